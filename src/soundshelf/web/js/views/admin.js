// Admin area, first tab: the moderation queue. Reported items (newest report first)
// with their counts per reason, resolved by dismissing the reports or taking the item
// down with a note for its owner; below, what was resolved, with Restore for items
// still down. The other tabs are their own modules (admin-users, -audit, -stats).
import { api, currentUser } from "../api.js";
import { pagedList } from "../components/paged.js";
import { h } from "../dom.js";
import { heading, notify, state } from "../ui.js";

const TABS = [
  ["/admin", "Moderation"],
  ["/admin/users", "Users"],
  ["/admin/stats", "Statistics"],
  ["/admin/audit", "Audit log"],
];

/**
 * Draws the admin heading and tabs; false (after saying so) for someone who is not an
 * admin. The API refuses them anyway: this only spares them a page of errors.
 */
export function adminPage(container, title) {
  container.append(heading(title));
  if (!currentUser()?.roles.includes("admin")) {
    container.append(state("Only administrators are allowed to see this page.", { error: true }));
    return false;
  }
  const link = ([href, text]) => {
    const current = href === location.pathname ? "page" : null;
    return h("a", { href, class: "tab", "aria-current": current }, text);
  };
  container.append(h("nav", { class: "tabs admin-tabs", "aria-label": "Admin" }, TABS.map(link)));
  return true;
}

export const formatWhen = (iso) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

export function render(container, { signal }) {
  if (!adminPage(container, "Moderation")) return;
  const open = h("section", { class: "section", "aria-labelledby": "admin-open" });
  const resolved = h("section", { class: "section", "aria-labelledby": "admin-resolved" });
  // Resolving or restoring moves an item between the lists: both are drawn again.
  const draw = () => {
    open.replaceChildren(
      h("h2", { id: "admin-open" }, "Open reports"),
      pagedList("/admin/reports?status=open&limit=20", (group) => openRow(group, draw), {
        signal,
        list: h("ul", { class: "report-groups" }),
        empty: "Nothing to review. Reports people send show up here.",
      }),
    );
    resolved.replaceChildren(
      h("h2", { id: "admin-resolved" }, "Resolved"),
      pagedList("/admin/reports?status=resolved&limit=20", (group) => resolvedRow(group, draw), {
        signal,
        list: h("ul", { class: "report-groups" }),
        empty: "Nothing resolved yet.",
      }),
    );
  };
  draw();
  container.append(open, resolved);
}

function describe(group) {
  const target = group.target;
  const type = group.targetType[0].toUpperCase() + group.targetType.slice(1);
  const what = `${type} “${target ? target.title : group.targetId}”`;
  const by = target?.owner ? ` by ${target.owner}` : "";
  return h(
    "p",
    { class: "report-target" },
    h("strong", {}, what),
    by,
    target ? null : h("span", { class: "badge" }, "gone"),
    target?.takenDown ? h("span", { class: "badge down" }, "taken down") : null,
  );
}

function openRow(group, redraw) {
  const reasons = Object.entries(group.reasons)
    .filter(([, count]) => count)
    .map(([reason, count]) => `${count} ${reason}`)
    .join(", ");
  const latest = formatWhen(group.lastReportedAt);
  const reports = group.openCount === 1 ? "1 report" : `${group.openCount} reports`;
  const note = h("textarea", {
    name: "note",
    rows: "2",
    maxlength: "2000",
    "aria-label": `Note to the owner of ${group.target?.title ?? group.targetId}`,
    placeholder: "Note to the owner (optional)",
  });
  const resolve = (action) => async (event) => {
    const row = event.currentTarget.closest("li");
    row.setAttribute("aria-busy", "true");
    try {
      await api(`/admin/reports/${encodeURIComponent(group.reportId)}/resolve`, {
        method: "POST",
        body: { action, note: note.value.trim() },
      });
      notify(action === "takedown" ? "Taken down; the owner is told why" : "Reports dismissed");
      redraw();
    } catch (error) {
      row.removeAttribute("aria-busy");
      notify(error.message, { error: true });
    }
  };
  const button = (text, action, kind) =>
    h("button", { type: "button", class: `button small ${kind}`, onclick: resolve(action) }, text);
  return h(
    "li",
    { class: "card report-group" },
    describe(group),
    h("p", { class: "muted" }, `${reports} (${reasons}); latest ${latest}`),
    note,
    h(
      "div",
      { class: "actions" },
      button("Dismiss", "dismiss", "secondary"),
      button("Take down", "takedown", "danger"),
    ),
  );
}

function resolvedRow(group, redraw) {
  const { resolution, target } = group;
  const verdict = resolution.action === "takedown" ? "Taken down" : "Dismissed";
  const restore = async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const path = `/admin/takedowns/${group.targetType}/${encodeURIComponent(group.targetId)}`;
      await api(`${path}/restore`, { method: "POST" });
      notify("Restored; the owner is told");
      redraw();
    } catch (error) {
      button.disabled = false;
      notify(error.message, { error: true });
    }
  };
  return h(
    "li",
    { class: "card report-group" },
    describe(group),
    h(
      "p",
      { class: "muted" },
      `${verdict} on ${formatWhen(resolution.at)}`,
      resolution.note ? `: “${resolution.note}”` : "",
    ),
    target?.takenDown
      ? h("button", { type: "button", class: "button small", onclick: restore }, "Restore")
      : null,
  );
}
