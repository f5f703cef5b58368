// Admin: the audit log, newest first, a page at a time: who did what to what, and the
// request id that ties an entry to the server's logs.
import { pagedList } from "../components/paged.js";
import { h } from "../dom.js";
import { adminPage, formatWhen } from "./admin.js";

const COLUMNS = ["Time", "Actor", "Action", "Target", "Request id"];

export function render(container, { signal }) {
  if (!adminPage(container, "Audit log")) return;
  // Rows go straight into the table (pagedList appends to the element it is given).
  const table = h(
    "table",
    { class: "audit" },
    h("caption", { class: "visually-hidden" }, "Audit log, newest first"),
    h("thead", {}, h("tr", {}, COLUMNS.map((name) => h("th", { scope: "col" }, name)))),
  );
  container.append(
    h(
      "div",
      { class: "table-wrap" },
      pagedList("/admin/audit?limit=25", row, { signal, list: table, empty: "Nothing yet." }),
    ),
  );
}

function row(entry) {
  const actor = entry.actorName ?? entry.actorId ?? "system";
  const target = entry.targetType ? `${entry.targetType} ${entry.targetId}` : "";
  return h(
    "tr",
    {},
    h("td", {}, h("time", { datetime: entry.at }, formatWhen(entry.at))),
    h("td", {}, entry.viaApiKey ? `${actor} (API key)` : actor),
    h("td", {}, h("code", {}, entry.action)),
    h("td", {}, target),
    h("td", {}, h("code", { class: "muted" }, entry.requestId ?? "")),
  );
}
