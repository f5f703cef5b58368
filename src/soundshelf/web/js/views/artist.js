// An artist's public page: profile, follow button, albums and tracks.
import { api, currentUser } from "../api.js";
import { trackList } from "../components/track-list.js";
import { h, icon } from "../dom.js";
import { fill, heading, notify, state } from "../ui.js";

export function render(container, { params, signal }) {
  const path = `/artists/${encodeURIComponent(params.username)}`;
  const head = heading(params.username);
  const slot = h("div");
  container.append(head, slot);
  fill(slot, async () => {
    let page;
    try {
      page = await api(path, { signal });
    } catch (error) {
      if (error.status === 404) return state("There is no artist page by this name.");
      throw error;
    }
    head.querySelector("h1").textContent = page.name;
    document.title = `${page.name} · Soundshelf`;
    return profile(page, path);
  });
}

function profile(page, path) {
  const followers = h("span", { "aria-live": "polite" });
  const showFollowers = () => {
    const n = page.followerCount;
    followers.textContent = `${n} follower${n === 1 ? "" : "s"}`;
  };
  showFollowers();
  const user = currentUser();
  const canFollow = user && user.username !== page.username;
  return h(
    "div",
    {},
    h(
      "div",
      { class: "artist-meta" },
      h("span", { class: "muted" }, `@${page.username}`),
      followers,
      canFollow ? followButton(page, path, showFollowers) : null,
    ),
    page.bio ? h("p", { class: "bio" }, page.bio) : null,
    h(
      "section",
      { class: "section", "aria-labelledby": "artist-albums" },
      h("h2", { id: "artist-albums" }, "Albums"),
      page.albums.length ? albumList(page.albums) : state("No albums yet."),
    ),
    h(
      "section",
      { class: "section", "aria-labelledby": "artist-tracks" },
      h("h2", { id: "artist-tracks" }, "Tracks"),
      page.tracks.length ? trackList(page.tracks) : state("No tracks yet."),
    ),
  );
}

function followButton(page, path, showFollowers) {
  const button = h("button", { class: "button", "aria-pressed": String(page.followedByMe) });
  // Following looks settled (outlined, a tick); Follow is the call to action (filled).
  const show = () => {
    const following = page.followedByMe;
    button.replaceChildren(...(following ? [icon("check"), "Following"] : ["Follow"]));
    button.classList.toggle("secondary", following);
    button.setAttribute("aria-pressed", String(following));
    showFollowers();
  };
  show();
  button.addEventListener("click", async () => {
    const follow = !page.followedByMe;
    try {
      await api(`${path}/follow`, { method: follow ? "PUT" : "DELETE" });
      page.followedByMe = follow;
      page.followerCount += follow ? 1 : -1;
      show();
    } catch (error) {
      notify(error.message, { error: true });
    }
  });
  return button;
}

const FIRST_ALBUMS = 12;

// A long discography shows its first albums and a button for the rest.
function albumList(albums) {
  const list = h("ul", { class: "album-list" }, albums.slice(0, FIRST_ALBUMS).map(albumItem));
  if (albums.length <= FIRST_ALBUMS) return list;
  const more = h("button", { class: "button secondary" }, `Show all ${albums.length} albums`);
  more.addEventListener("click", () => {
    const rest = albums.slice(FIRST_ALBUMS).map(albumItem);
    list.append(...rest);
    more.remove();
    rest[0].querySelector("button").focus();
  });
  return h("div", {}, list, more);
}

const enc = encodeURIComponent;

function albumItem(album) {
  const play = async () => {
    try {
      const { items } = await api(`/tracks?album=${encodeURIComponent(album.albumId)}`);
      if (!items.length) return notify(`“${album.title}” has no tracks yet.`);
      dispatchEvent(new CustomEvent("ss:play", { detail: { tracks: items, index: 0 } }));
    } catch (error) {
      notify(error.message, { error: true });
    }
  };
  return h(
    "li",
    { class: "album-item" },
    h(
      "button",
      { class: "icon-button", "aria-label": `Play the album ${album.title}`, onclick: play },
      icon("play"),
    ),
    h("a", { class: "album-title", href: `/albums/${enc(album.albumId)}` }, album.title),
    album.year ? h("span", { class: "muted" }, String(album.year)) : null,
  );
}
