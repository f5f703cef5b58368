// My share links: what each opens, until when, and revoking it (the link dies at once).
// The token is shown only when a link is made, so these rows cannot show the URL again.
import { api } from "../api.js";
import { h } from "../dom.js";
import { confirmDialog, fill, notify, state } from "../ui.js";
import { loadAll } from "./paged.js";

const TYPES = {
  track: "Track",
  album: "Album",
  playlist: "Playlist",
  photo: "Photo",
  file: "File",
};

export const formatDateTime = (iso) =>
  new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * Draws my links into `slot` (those `only(share)` accepts) and returns a function that
 * draws them again, e.g. after a new one was made.
 */
export function showShareLinks(slot, { only = () => true, empty = "No links yet.", signal } = {}) {
  const reload = () =>
    fill(slot, async () => {
      const shares = (await loadAll("/shares?limit=200", { signal })).filter(only);
      if (!shares.length) return state(empty);
      return h("ul", { class: "plain-list share-links" }, shares.map((s) => linkRow(s, reload)));
    });
  reload();
  return reload;
}

function linkRow(share, reload) {
  const created = formatDateTime(share.createdAt);
  const revoke = async () => {
    const question = `Revoke the link to “${share.title}”? It stops working at once.`;
    if (!(await confirmDialog(question, "Revoke"))) return;
    try {
      await api(`/shares/${encodeURIComponent(share.shareId)}`, { method: "DELETE" });
      notify(`Revoked the link to “${share.title}”`);
      reload();
    } catch (error) {
      notify(error.message, { error: true });
    }
  };
  return h(
    "li",
    { class: "share-link", "data-expired": String(share.expired) },
    h(
      "div",
      { class: "share-text" },
      h("span", { class: "share-title" }, share.title),
      h(
        "span",
        { class: "muted" },
        `${TYPES[share.targetType] || share.targetType} · made ${created} · `,
        share.expired ? "expired" : `expires ${formatDateTime(share.expiresAt)}`,
      ),
    ),
    h(
      "span",
      { class: "share-badges" },
      share.hasPassword ? h("span", { class: "badge" }, "password") : null,
      share.allowDownload ? h("span", { class: "badge" }, "downloads") : null,
    ),
    h(
      "button",
      {
        type: "button",
        class: "button danger small",
        "aria-label": `Revoke the link to ${share.title} made ${created}`,
        onclick: revoke,
      },
      "Revoke",
    ),
  );
}
