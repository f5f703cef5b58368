// Admin: platform statistics. Totals, then the last 30 days as charts (plays and new
// people per day) and what the storage holds by kind.
import { api } from "../api.js";
import { chart } from "../components/chart.js";
import { h } from "../dom.js";
import { fill, formatBytes } from "../ui.js";
import { adminPage } from "./admin.js";

const KINDS = [
  ["tracks", "Tracks"],
  ["photos", "Photos"],
  ["files", "Files"],
];

// Days are UTC dates ("2024-05-01"): written as such, not moved to local time.
const day = (date) =>
  new Date(`${date}T00:00:00Z`).toLocaleDateString(undefined, {
    month: "short",
    day: "numeric",
    timeZone: "UTC",
  });
const perDay = (series) => series.map((d) => ({ label: day(d.date), value: d.count }));
const number = (n) => n.toLocaleString();

export function render(container, { signal }) {
  if (!adminPage(container, "Statistics")) return;
  const slot = h("div");
  container.append(slot);
  fill(slot, async () => dashboard(await api("/admin/stats", { signal })));
}

function dashboard(stats) {
  const totals = [
    ["People", number(stats.users.total)],
    ...KINDS.map(([key, label]) => [label, number(stats.items[key])]),
    ["Storage", formatBytes(stats.storageBytes.total)],
    ["Open reports", number(stats.openReports)],
  ];
  return h(
    "div",
    {},
    h(
      "dl",
      { class: "stat-totals" },
      totals.map(([label, value]) =>
        h("div", { class: "card" }, h("dt", {}, label), h("dd", {}, value)),
      ),
    ),
    h(
      "div",
      { class: "chart-grid" },
      chart({ title: "Plays per day", data: perDay(stats.playsPerDay), format: number }),
      chart({
        title: "New people per day",
        data: perDay(stats.users.newPerDay),
        kind: "line",
        format: number,
      }),
      chart({
        title: "Items by kind",
        data: KINDS.map(([key, label]) => ({ label, value: stats.items[key] })),
        format: number,
      }),
      chart({
        title: "Storage by kind",
        data: KINDS.map(([key, label]) => ({ label, value: stats.storageBytes[key] })),
        format: formatBytes,
      }),
    ),
  );
}
