// Search results for ?q= across artists, albums, playlists and tracks.
import { api } from "../api.js";
import { trackList } from "../components/track-list.js";
import { h } from "../dom.js";
import { fill, heading, state } from "../ui.js";

const enc = encodeURIComponent;

export function render(container, { query, signal }) {
  const q = (query.get("q") || "").trim();
  const box = document.getElementById("search-q");
  if (document.activeElement !== box) box.value = q; // never under the typing fingers
  container.append(heading(q ? `Results for “${q}”` : "Search"));
  if (!q) {
    container.append(state("Type in the search box to find artists, albums, playlists and tracks."));
    return;
  }
  const slot = h("div");
  container.append(slot);
  fill(slot, async () => {
    const types = "track,album,artist,playlist";
    return sections(await api(`/search?q=${encodeURIComponent(q)}&types=${types}`, { signal }));
  });
}

function sections({ tracks = [], albums = [], artists = [], playlists = [] }) {
  if (!tracks.length && !albums.length && !artists.length && !playlists.length) {
    return state("Nothing found.");
  }
  return h(
    "div",
    {},
    section("Artists", artists, (artist) =>
      h(
        "li",
        {},
        h("a", { href: `/artists/${encodeURIComponent(artist.username)}` }, artist.name || artist.username),
      ),
    ),
    section("Albums", albums, (album) =>
      h(
        "li",
        {},
        h("a", { class: "album-title", href: `/albums/${enc(album.albumId)}` }, album.title),
        " · ",
        h("a", { href: `/artists/${enc(album.owner)}` }, album.artist),
      ),
    ),
    section("Playlists", playlists, (playlist) =>
      h(
        "li",
        {},
        h("a", { href: `/playlists/${encodeURIComponent(playlist.playlistId)}` }, playlist.name),
        ` · ${playlist.owner}`,
      ),
    ),
    tracks.length
      ? h("section", { class: "section" }, h("h2", {}, "Tracks"), trackList(tracks))
      : null,
  );
}

function section(title, items, item) {
  if (!items.length) return null;
  return h("section", { class: "section" }, h("h2", {}, title), h("ul", { class: "plain-list" }, items.map(item)));
}
