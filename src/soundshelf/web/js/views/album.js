// An album's page: cover, title, artist and genre links, year, total time, its tracks in
// order with play, shuffle and add to queue; its owner edits the tracklist (add, move,
// remove) and picks the cover from a track's art.
import { api, currentUser } from "../api.js";
import { openShareDialog } from "../components/share-dialog.js";
import { loadAll } from "../components/paged.js";
import { trackList } from "../components/track-list.js";
import { h, icon } from "../dom.js";
import { fill, formatTime, heading, notify, state } from "../ui.js";

const enc = encodeURIComponent;

export function render(container, { params, signal }) {
  const path = `/albums/${enc(params.albumId)}`;
  const head = heading("Album");
  const slot = h("div");
  container.append(head, slot);
  const draw = async () => {
    let album;
    try {
      album = await api(path, { signal });
    } catch (error) {
      if (error.status === 404) {
        return state("There is no such album, or it is not shared with you.");
      }
      throw error;
    }
    head.querySelector("h1").textContent = album.title;
    document.title = `${album.title} · Soundshelf`;
    return page(album, path, () => fill(slot, draw));
  };
  fill(slot, draw);
}

function page(album, path, redraw) {
  const mine = currentUser()?.username === album.owner;
  const tracks = album.tracks;
  const play = (list) => {
    if (!list.length) return notify(`“${album.title}” has no tracks to play yet.`);
    dispatchEvent(new CustomEvent("ss:play", { detail: { tracks: list, index: 0 } }));
  };
  const shuffled = () => {
    const list = [...tracks];
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  };
  const count = `${album.trackCount} track${album.trackCount === 1 ? "" : "s"}`;
  const facts = [
    h("a", { href: `/artists/${enc(album.owner)}`, class: "album-artist" }, album.artist),
    album.year ? h("span", {}, String(album.year)) : null,
    album.genre ? h("a", { href: `/genres/${enc(album.genre)}` }, album.genre) : null,
    h("span", {}, `${count}, ${formatTime(album.durationMs / 1000)}`),
  ].filter(Boolean);
  const cover = album.coverUrl
    ? h("img", { class: "album-cover", src: album.coverUrl, alt: `Cover of ${album.title}` })
    : h("div", { class: "album-cover tile-blank", "aria-hidden": "true" }, album.title[0]);
  const actions = h(
    "div",
    { class: "album-actions" },
    h(
      "button",
      { class: "button", type: "button", onclick: () => play(tracks) },
      icon("play"),
      "Play",
    ),
    h(
      "button",
      { class: "button secondary", type: "button", onclick: () => play(shuffled()) },
      "Shuffle",
    ),
    h(
      "button",
      {
        class: "button secondary",
        type: "button",
        onclick: () => {
          dispatchEvent(new CustomEvent("ss:enqueue", { detail: { tracks } }));
          notify(`Added “${album.title}” to the queue`);
        },
      },
      "Add to queue",
    ),
    mine
      ? h(
          "button",
          {
            class: "button secondary",
            type: "button",
            onclick: () =>
              openShareDialog({ targetType: "album", targetId: album.albumId, title: album.title }),
          },
          "Share",
        )
      : null,
  );
  return h(
    "div",
    { class: "album-page" },
    h(
      "div",
      { class: "album-head" },
      cover,
      h(
        "div",
        { class: "album-facts" },
        h("p", { class: "album-meta" }, facts.flatMap((f, i) => (i ? [" · ", f] : [f]))),
        actions,
      ),
    ),
    h(
      "section",
      { class: "section", "aria-labelledby": "album-tracks" },
      h("h2", { id: "album-tracks" }, "Tracks"),
      tracks.length ? trackList(tracks) : state("No tracks in this album yet."),
    ),
    mine ? editor(album, path, redraw) : null,
  );
}

// The owner's tracklist editor: move up/down, remove, add one of their tracks, cover.
function editor(album, path, redraw) {
  const call = async (url, options) => {
    try {
      await api(url, options);
      redraw();
    } catch (error) {
      notify(error.message, { error: true });
    }
  };
  const order = album.tracks.map((t) => t.trackId);
  const move = (index, by) => {
    const next = [...order];
    [next[index], next[index + by]] = [next[index + by], next[index]];
    call(`${path}/tracks`, {
      method: "PUT",
      headers: { "If-Match": `"v${album.version}"` },
      body: { trackIds: next },
    });
  };
  const button = (label, text, onclick, { disabled = false, kind = "icon-button" } = {}) =>
    h("button", { class: kind, type: "button", "aria-label": label, disabled, onclick }, text);
  const rows = album.tracks.map((track, i) =>
    h(
      "li",
      { class: "editor-row" },
      h("span", { class: "editor-title" }, `${track.trackNumber ?? ""}. ${track.title}`),
      button(`Move ${track.title} up`, icon("up"), () => move(i, -1), { disabled: i === 0 }),
      button(`Move ${track.title} down`, icon("down"), () => move(i, 1), {
        disabled: i === order.length - 1,
      }),
      track.coverUrl
        ? button(
            `Use the art of ${track.title} as the cover`,
            "Cover",
            () => call(`${path}/cover`, { method: "PUT", body: { fromTrackId: track.trackId } }),
            { kind: "button secondary small" },
          )
        : null,
      button(
        `Remove ${track.title} from the album`,
        "Remove",
        () => call(`${path}/tracks/${enc(track.trackId)}`, { method: "DELETE" }),
        { kind: "button danger small" },
      ),
    ),
  );
  const picker = h(
    "select",
    { id: "album-add-track", name: "trackId" },
    h("option", { value: "" }, "Loading your tracks…"),
  );
  const add = h("button", { class: "button", type: "submit" }, "Add to album");
  const form = h(
    "form",
    { class: "field-inline" },
    h("label", { for: "album-add-track" }, "Add a track"),
    picker,
    add,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (picker.value) call(`${path}/tracks`, { method: "POST", body: { trackId: picker.value } });
  });
  loadAll("/tracks?owner=me&limit=200")
    .then((mine) => {
      const held = new Set(order);
      const choices = mine.filter((t) => !held.has(t.trackId));
      const first = choices.length ? "Choose one of your tracks" : "All your tracks are here";
      const label = (t) => (t.album ? `${t.title} (${t.album})` : t.title);
      picker.replaceChildren(
        h("option", { value: "" }, first),
        ...choices.map((t) => h("option", { value: t.trackId }, label(t))),
      );
    })
    .catch((error) => notify(error.message, { error: true }));
  return h(
    "section",
    { class: "section album-editor", "aria-labelledby": "album-edit" },
    h("h2", { id: "album-edit" }, "Edit the tracklist"),
    rows.length ? h("ol", { class: "editor-list" }, rows) : null,
    form,
  );
}
