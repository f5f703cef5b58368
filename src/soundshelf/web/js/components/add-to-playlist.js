// "Add to playlist…": pick one of my playlists for a track, or start a new one with it.
import { api } from "../api.js";
import { h } from "../dom.js";
import { field, onSubmit, submitButton } from "../forms.js";
import { fill, notify, state } from "../ui.js";
import { loadAll } from "./paged.js";
import { tracksCount } from "./playlist-form.js";

export function addToPlaylist(track) {
  const slot = h("div");
  const cancel = h("button", { type: "button", class: "button secondary" }, "Cancel");
  const create = h(
    "form",
    { class: "form new-playlist" },
    field("Or a new playlist", "name", { autocomplete: "off", placeholder: "Name" }),
    submitButton("Create and add"),
  );
  const dialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": "add-to-playlist-title" },
    // Focus starts on the title (the playlists are still loading): Tab goes to them.
    h(
      "h2",
      { id: "add-to-playlist-title", tabindex: "-1", autofocus: true },
      `Add “${track.title}” to a playlist`,
    ),
    slot,
    create,
    h("div", { class: "actions" }, cancel),
  );
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());

  const add = async (playlist) => {
    await api(`/playlists/${encodeURIComponent(playlist.playlistId)}/entries`, {
      method: "POST",
      body: { trackId: track.trackId },
    });
    dialog.close();
    notify(`Added “${track.title}” to “${playlist.name}”`);
  };
  const choice = (playlist) =>
    h(
      "li",
      {},
      h(
        "button",
        {
          type: "button",
          class: "playlist-choice",
          onclick: () => add(playlist).catch((error) => notify(error.message, { error: true })),
        },
        h("span", { class: "playlist-name" }, playlist.name),
        h("span", { class: "muted" }, tracksCount(playlist.entryCount)),
      ),
    );
  onSubmit(create, async ({ name }) => {
    const playlist = await api("/playlists", { method: "POST", body: { name: name.trim() } });
    await add(playlist);
  });
  fill(slot, async () => {
    const playlists = await loadAll("/playlists?owner=me&limit=200");
    if (!playlists.length) return state("You have no playlists yet.");
    const labelled = { class: "playlist-choices", "aria-label": "My playlists" };
    return h("ul", labelled, playlists.map(choice));
  });
  document.body.append(dialog);
  dialog.showModal();
}
