// A playlist's name, description and visibility in a dialog: a new one, or changes to
// one (with If-Match, so an edit made elsewhere meanwhile is not overwritten).
import { api } from "../api.js";
import { h } from "../dom.js";
import { VISIBILITY, field, onSubmit, submitButton } from "../forms.js";

export const tracksCount = (n) => `${n} track${n === 1 ? "" : "s"}`;

/** `playlist` null: create. `onSaved(playlist)` runs with the API's answer. */
export function playlistDialog(playlist, onSaved) {
  const title = playlist ? "Edit playlist" : "New playlist";
  const cancel = h("button", { type: "button", class: "button secondary" }, "Cancel");
  const form = h(
    "form",
    { class: "form" },
    field("Name", "name", { value: playlist?.name, autocomplete: "off" }),
    field("Description", "description", {
      type: "textarea",
      value: playlist?.description,
      rows: "3",
    }),
    field("Who can see it", "visibility", {
      type: "select",
      choices: VISIBILITY,
      value: playlist?.visibility ?? "private",
    }),
    h("div", { class: "actions" }, submitButton(playlist ? "Save" : "Create"), cancel),
  );
  const dialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": "playlist-dialog-title" },
    h("h2", { id: "playlist-dialog-title" }, title),
    form,
  );
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  onSubmit(form, async (values) => {
    const body = { ...values, name: values.name.trim() };
    const saved = playlist
      ? await api(`/playlists/${encodeURIComponent(playlist.playlistId)}`, {
          method: "PATCH",
          headers: { "If-Match": `"v${playlist.version}"` },
          body,
        })
      : await api("/playlists", { method: "POST", body });
    dialog.close();
    onSaved(saved);
  });
  document.body.append(dialog);
  dialog.showModal();
}
