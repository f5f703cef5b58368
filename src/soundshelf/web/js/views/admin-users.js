// Admin: people. Search by username; per person what they store, their roles (saved as
// soon as a box is ticked), disable or enable, and delete (after a confirmation).
import { api } from "../api.js";
import { pagedList } from "../components/paged.js";
import { h } from "../dom.js";
import { navigate } from "../router.js";
import { confirmDialog, formatBytes, notify } from "../ui.js";
import { adminPage, formatWhen } from "./admin.js";

const ROLES = [
  ["artist", "Artist"],
  ["admin", "Admin"],
];

export function render(container, { query, signal }) {
  if (!adminPage(container, "Users")) return;
  const q = query.get("q")?.trim() ?? "";
  const input = h("input", {
    type: "search",
    name: "q",
    id: "admin-user-q",
    value: q,
    autocomplete: "off",
    placeholder: "Username starts with…",
  });
  const search = h(
    "form",
    { class: "inline admin-search", role: "search" },
    h("label", { for: "admin-user-q", class: "visually-hidden" }, "Search users"),
    input,
    h("button", { type: "submit", class: "button secondary" }, "Search"),
  );
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    const wanted = input.value.trim();
    navigate(wanted ? `/admin/users?q=${encodeURIComponent(wanted)}` : "/admin/users");
  });
  const path = q ? `/admin/users?limit=20&q=${encodeURIComponent(q)}` : "/admin/users?limit=20";
  container.append(
    search,
    pagedList(path, userRow, {
      signal,
      list: h("ul", { class: "admin-users" }),
      empty: q ? `Nobody’s username starts with “${q}”.` : "No users yet.",
    }),
  );
}

function userRow(initial) {
  let user = initial;
  const li = h("li", { class: "card admin-user" });
  // Every change answers the whole user: the row is drawn again from it.
  const change = async (body) => {
    li.setAttribute("aria-busy", "true");
    try {
      user = await api(`/admin/users/${encodeURIComponent(user.userId)}`, {
        method: body ? "PATCH" : "DELETE",
        body,
      });
      notify(body ? `${user.username} updated` : `${user.username} is being deleted`);
    } catch (error) {
      notify(error.message, { error: true }); // e.g. 409: the last admin
    }
    li.removeAttribute("aria-busy");
    draw();
  };
  // Drawn anew, the row keeps the keyboard where it was (the same control, by its key).
  const draw = () => {
    const focused = li.contains(document.activeElement) && document.activeElement.dataset.key;
    li.replaceChildren(...userParts(user, change));
    if (focused) li.querySelector(`[data-key="${focused}"]`)?.focus();
  };
  draw();
  return li;
}

function userParts(user, change) {
  const roles = ROLES.map(([role, label]) => {
    const box = h("input", {
      type: "checkbox",
      name: "roles",
      value: role,
      "data-key": role,
      checked: user.roles.includes(role),
      disabled: user.deleting,
    });
    box.addEventListener("change", () => {
      const others = user.roles.filter((r) => r !== role);
      change({ roles: box.checked ? [...others, role] : others });
    });
    return h("label", { class: "check" }, box, label);
  });
  const remove = async () => {
    const question = `Delete ${user.username} and everything they uploaded? This cannot be undone.`;
    if (await confirmDialog(question, "Delete user")) change();
  };
  const counts = `${user.trackCount} tracks, ${user.photoCount} photos, ${user.fileCount} files`;
  return [
    h(
      "div",
      { class: "admin-user-who" },
      h("strong", {}, user.username),
      user.displayName && user.displayName !== user.username ? ` (${user.displayName})` : "",
      user.disabled ? h("span", { class: "badge down" }, "disabled") : null,
      user.deleting ? h("span", { class: "badge down" }, "being deleted") : null,
      h("span", { class: "muted" }, user.email),
    ),
    h(
      "p",
      { class: "muted" },
      `${formatBytes(user.storageBytes)} in ${counts}; joined ${formatWhen(user.createdAt)}`,
    ),
    h(
      "div",
      { class: "actions" },
      h(
        "fieldset",
        { class: "roles" },
        h("legend", { class: "visually-hidden" }, `Roles of ${user.username}`),
        roles,
      ),
      user.deleting
        ? null
        : h(
            "button",
            {
              type: "button",
              class: "button small secondary",
              "data-key": "disabled",
              "aria-label": `${user.disabled ? "Enable" : "Disable"} ${user.username}`,
              onclick: () => change({ disabled: !user.disabled }),
            },
            user.disabled ? "Enable" : "Disable",
          ),
      user.deleting
        ? null
        : h(
            "button",
            {
              type: "button",
              class: "button small danger",
              "aria-label": `Delete ${user.username}`,
              onclick: remove,
            },
            "Delete",
          ),
    ),
  ];
}
