// Playlists: mine (whatever their visibility) and everyone's public ones.
import { currentUser } from "../api.js";
import { pagedList } from "../components/paged.js";
import { playlistDialog, tracksCount } from "../components/playlist-form.js";
import { h } from "../dom.js";
import { navigate } from "../router.js";
import { heading, takenDownBadge } from "../ui.js";

export function render(container, { signal }) {
  const user = currentUser();
  const create = h("button", { type: "button", class: "button" }, "New playlist");
  const open = (playlist) => navigate(`/playlists/${encodeURIComponent(playlist.playlistId)}`);
  create.addEventListener("click", () => playlistDialog(null, open));
  container.append(heading("Playlists", user ? create : null));
  if (user) {
    container.append(
      section(
        "playlists-mine",
        "My playlists",
        pagedList("/playlists?owner=me", row, {
          signal,
          empty: "No playlists yet. Make one, then add tracks with the ⋯ button of any track.",
          list: h("ul", { class: "playlist-list" }),
        }),
      ),
    );
  }
  container.append(
    section(
      "playlists-public",
      "Public playlists",
      pagedList("/playlists", row, {
        signal,
        empty: "No public playlists yet.",
        list: h("ul", { class: "playlist-list" }),
      }),
    ),
  );
}

function section(id, title, content) {
  return h("section", { class: "section", "aria-labelledby": id }, h("h2", { id }, title), content);
}

function row(playlist) {
  const mine = currentUser()?.username === playlist.owner;
  return h(
    "li",
    { class: "playlist-row" },
    h(
      "a",
      { class: "playlist-name", href: `/playlists/${encodeURIComponent(playlist.playlistId)}` },
      playlist.name,
    ),
    h(
      "span",
      { class: "muted" },
      tracksCount(playlist.entryCount),
      mine ? null : ` · by ${playlist.owner}`,
    ),
    mine && playlist.visibility !== "public"
      ? h("span", { class: "badge" }, playlist.visibility)
      : null,
    takenDownBadge(playlist),
    playlist.description ? h("p", { class: "playlist-description" }, playlist.description) : null,
  );
}
