// My files (uploads that are neither music nor photos): download, share, delete. Files
// are private to their owner; a share link is the only way to give one to someone.
import { api } from "../api.js";
import { pagedList } from "../components/paged.js";
import { openShareDialog } from "../components/share-dialog.js";
import { h } from "../dom.js";
import { confirmDialog, formatBytes, heading, notify, takenDownBadge } from "../ui.js";

export function render(container, { signal }) {
  container.append(
    heading("My files", h("a", { class: "button", href: "/upload" }, "Upload")),
    pagedList("/files", row, {
      signal,
      empty: "No files yet. Whatever you upload that is not music or a photo is kept here.",
      list: h("ul", { class: "file-list" }),
    }),
  );
}

function row(file) {
  const path = `/files/${encodeURIComponent(file.fileId)}`;
  const name = file.filename;
  const download = async () => {
    try {
      const { downloadUrl } = await api(path); // signed and short-lived: fetched on demand
      // A download link (the router leaves those to the browser), clicked for the user.
      const link = h("a", { href: downloadUrl, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      notify(error.message, { error: true });
    }
  };
  const remove = async (event) => {
    const item = event.currentTarget.closest("li");
    if (!(await confirmDialog(`Delete “${name}”? This cannot be undone.`))) return;
    try {
      await api(path, { method: "DELETE" });
      item.remove();
      notify(`Deleted “${name}”`);
    } catch (error) {
      notify(error.message, { error: true });
    }
  };
  const share = () => openShareDialog({ targetType: "file", targetId: file.fileId, title: name });
  const button = (label, onclick, style = "secondary") =>
    h(
      "button",
      { type: "button", class: `button ${style} small`, "aria-label": `${label} ${name}`, onclick },
      label,
    );
  const added = new Date(file.createdAt).toLocaleDateString(undefined, { dateStyle: "medium" });
  return h(
    "li",
    { class: "file-row" },
    h(
      "div",
      { class: "file-text" },
      h("span", { class: "file-name" }, name),
      h("span", { class: "muted" }, `${file.contentType} · ${formatBytes(file.size)} · ${added}`),
    ),
    takenDownBadge(file),
    h(
      "div",
      { class: "file-actions" },
      button("Download", download, ""),
      button("Share", share),
      button("Delete", remove, "danger"),
    ),
  );
}
