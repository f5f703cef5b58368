// Edit a track's details and visibility (If-Match: a concurrent edit is not overwritten).
import { api } from "../api.js";
import { h } from "../dom.js";
import { VISIBILITY, field, onSubmit, orNull, submitButton } from "../forms.js";
import { navigate } from "../router.js";
import { confirmDialog, fill, heading, notify } from "../ui.js";

export function render(container, { params, signal }) {
  const path = `/tracks/${encodeURIComponent(params.trackId)}`;
  const slot = h("div");
  container.append(heading("Edit track"), slot);
  fill(slot, async () => form(path, await api(path, { signal })));
}

function form(path, track) {
  const editor = h(
    "form",
    { class: "form" },
    field("Title", "title", { value: track.title, autocomplete: "off" }),
    field("Artist", "artist", { value: track.artist }),
    field("Album", "album", { value: track.album }),
    h(
      "div",
      { class: "field-row" },
      field("Genre", "genre", { value: track.genre }),
      field("Year", "year", { value: track.year ?? "", inputmode: "numeric" }),
    ),
    field("Who can listen", "visibility", {
      type: "select",
      choices: VISIBILITY,
      value: track.visibility,
    }),
    h(
      "div",
      { class: "actions" },
      submitButton("Save"),
      h("a", { class: "button secondary", href: "/library" }, "Cancel"),
    ),
  );
  onSubmit(editor, async (values) => {
    const saved = await api(path, {
      method: "PATCH",
      headers: { "If-Match": `"v${track.version}"` },
      body: { ...values, year: orNull(values.year) },
    });
    // The player shows the new title at once if the track is queued.
    dispatchEvent(new CustomEvent("ss:track-changed", { detail: { track: saved } }));
    notify("Saved");
    navigate("/library");
  });
  const remove = h("button", { type: "button", class: "button danger" }, "Delete track");
  remove.addEventListener("click", async () => {
    if (!(await confirmDialog(`Delete “${track.title}”? This cannot be undone.`))) return;
    try {
      await api(path, { method: "DELETE" });
      notify(`Deleted “${track.title}”`);
      navigate("/library", { replace: true });
    } catch (error) {
      notify(error.message, { error: true });
    }
  });
  return h("div", {}, editor, h("section", { class: "danger-zone" }, remove));
}
