// Sharing one of my items by link: how long the link works, a note for whoever opens it,
// an optional password and downloads; then the link with a Copy button, and the item's
// links to revoke.
import { api } from "../api.js";
import { h } from "../dom.js";
import { field, onSubmit, submitButton } from "../forms.js";
import { notify } from "../ui.js";
import { formatDateTime, showShareLinks } from "./share-links.js";

const EXPIRY = [
  ["3600", "1 hour"],
  ["86400", "1 day"],
  ["604800", "7 days"],
  ["2592000", "30 days"],
];
// A shared photo never includes its original (camera metadata): nothing to download.
const DOWNLOADABLE = new Set(["track", "album", "playlist", "file"]);
// What the link gives without downloads: music still plays, from a streamed copy (AAC at
// 128 kb/s) that is never the original file.
const LISTEN_ONLY =
  "Unticked, people with the link can only listen: they hear a streamed copy (128 kb/s), " +
  "never your original file, and get no download button.";
const DOWNLOAD_HINT = {
  track: LISTEN_ONLY,
  album: LISTEN_ONLY,
  playlist: LISTEN_ONLY,
  file: "Unticked, people with the link see the file's name and size, and cannot download it.",
};

/** `targetType`: track, album, playlist, photo or file; `title` names it for people. */
export function openShareDialog({ targetType, targetId, title }) {
  const close = h("button", { type: "button", class: "button secondary" }, "Done");
  const form = h(
    "form",
    { class: "form" },
    field("The link works for", "expiresInSeconds", {
      type: "select",
      choices: EXPIRY,
      value: "86400",
    }),
    field("Note for whoever opens it (optional)", "description", {
      type: "textarea",
      maxlength: 1000,
      rows: 2,
    }),
    field("Password (optional)", "password", {
      type: "password",
      autocomplete: "new-password",
      hint: "4 characters or more. Send it separately: it is not part of the link.",
    }),
    DOWNLOADABLE.has(targetType)
      ? h(
          "div",
          {},
          h(
            "label",
            { class: "check" },
            h("input", {
              type: "checkbox",
              name: "allowDownload",
              "aria-describedby": "share-download-hint",
            }),
            "Allow downloads",
          ),
          h("p", { class: "hint", id: "share-download-hint" }, DOWNLOAD_HINT[targetType]),
        )
      : null,
    h("div", { class: "actions" }, submitButton("Create link"), close),
  );
  const created = h("div", { class: "created-link" });
  const links = h("div");
  const dialog = h(
    "dialog",
    { class: "dialog share-dialog", "aria-labelledby": "share-dialog-title" },
    h("h2", { id: "share-dialog-title" }, `Share “${title}”`),
    form,
    created,
    h("h3", {}, "Links to it"),
    links,
  );
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  const reloadLinks = showShareLinks(links, {
    only: (share) => share.targetType === targetType && share.targetId === targetId,
    empty: "None yet.",
  });
  onSubmit(
    form,
    async (values) => {
      const share = await api("/shares", {
        method: "POST",
        body: {
          targetType,
          targetId,
          expiresInSeconds: Number(values.expiresInSeconds),
          description: values.description.trim() || undefined,
          password: values.password || undefined,
          allowDownload: values.allowDownload === "on",
        },
      });
      form.elements.namedItem("password").value = "";
      created.replaceChildren(newLink(share));
      created.querySelector("input").focus();
      reloadLinks();
    },
    // The API does not name the field of a too short password.
    { fieldOf: (error) => (/password/i.test(error.message) ? "password" : undefined) },
  );
  document.body.append(dialog);
  dialog.showModal();
}

function newLink(share) {
  const until = formatDateTime(share.expiresAt);
  const input = h("input", {
    type: "text",
    readonly: true,
    value: share.url,
    class: "secret",
    "aria-label": "Share link",
  });
  input.addEventListener("focus", () => input.select());
  const copy = h("button", { type: "button", class: "button" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(share.url);
      notify("Link copied");
    } catch {
      // No clipboard access (an http:// page, a refused permission): select it instead.
      input.focus();
      notify("Press Ctrl+C (or ⌘C) to copy the selected link.");
    }
  });
  return h(
    "div",
    { class: "new-link" },
    h("p", { role: "status" }, `Anyone who has this link can open it until ${until}.`),
    h("div", { class: "inline" }, input, copy),
  );
}
