// Lists of tracks: play (the list becomes the queue), add to queue, like, and for the
// owner edit and delete. Every title and name goes in as text, never as HTML.
import { api, currentUser } from "../api.js";
import { h, icon } from "../dom.js";
import { confirmDialog, formatTime, notify, state, takenDownBadge } from "../ui.js";

const play = (tracks, index) => dispatchEvent(new CustomEvent("ss:play", { detail: { tracks, index } }));
const enqueue = (track) => dispatchEvent(new CustomEvent("ss:enqueue", { detail: { tracks: [track] } }));
let sections = 0;

/**
 * A titled section listing `path` (an API list of tracks) page by page.
 * `empty`: what to say when there is nothing.
 */
export function trackSection(title, path, { signal, empty = "Nothing here yet." }) {
  const id = `tracks-${++sections}`;
  const tracks = [];
  const list = h("ul", { class: "track-list" });
  const status = h("div", {}, state("Loading…"));
  const more = h("button", { class: "button secondary", hidden: true }, "Load more");
  let cursor = null;

  async function load() {
    const separator = path.includes("?") ? "&" : "?";
    const url = cursor ? `${path}${separator}cursor=${encodeURIComponent(cursor)}` : path;
    try {
      const page = await api(url, { signal });
      for (const track of page.items) {
        tracks.push(track);
        list.append(trackRow(track, tracks));
      }
      cursor = page.nextCursor;
      more.hidden = !cursor;
      status.replaceChildren(tracks.length ? "" : state(empty));
    } catch (error) {
      if (error.name !== "AbortError") status.replaceChildren(state(error.message, { error: true }));
    }
  }

  more.addEventListener("click", load);
  load();
  return h(
    "section",
    { class: "section", "aria-labelledby": id },
    h("h2", { id }, title),
    status,
    list,
    more,
  );
}

/** A list of tracks already at hand (artist pages, search results). */
export function trackList(tracks) {
  return h("ul", { class: "track-list" }, tracks.map((track) => trackRow(track, tracks)));
}

/** The track's artist, album and genre, each a link to its page. */
export function trackLinks(track) {
  const enc = encodeURIComponent;
  const by = track.artist || track.owner;
  const genrePath = `/genres/${enc(track.genre)}`;
  return h(
    "span",
    { class: "track-links" },
    h("a", { class: "track-artist", href: `/artists/${enc(track.owner)}` }, by),
    track.albumId && track.album
      ? [" · ", h("a", { class: "track-album", href: `/albums/${enc(track.albumId)}` }, track.album)]
      : null,
    track.genre ? [" · ", h("a", { class: "track-genre", href: genrePath }, track.genre)] : null,
  );
}

function trackRow(track, tracks) {
  const mine = currentUser()?.username === track.owner;
  return h(
    "li",
    { class: "track-row", "data-track-id": track.trackId },
    h(
      "button",
      {
        class: "play-track",
        "aria-label": `Play ${track.title}`,
        onclick: () => play(tracks, tracks.indexOf(track)),
      },
      track.coverUrl
        ? h("img", { class: "cover", src: track.coverUrl, alt: "", loading: "lazy" })
        : null,
      icon("play"),
    ),
    h(
      "div",
      { class: "track-text" },
      h("span", { class: "track-title" }, track.title),
      trackLinks(track),
    ),
    mine && track.visibility !== "public" ? h("span", { class: "badge" }, track.visibility) : null,
    takenDownBadge(track),
    h("span", { class: "duration" }, formatTime(track.durationMs / 1000)),
    h(
      "div",
      { class: "track-actions" },
      currentUser() ? likeButton(track) : null,
      h(
        "button",
        {
          class: "icon-button",
          "aria-label": `Add ${track.title} to the queue`,
          onclick: () => enqueue(track),
        },
        icon("plus"),
      ),
      currentUser() ? moreButton(track) : null,
      mine ? ownerActions(track, tracks) : null,
    ),
  );
}

// "Add to playlist…" and, for the owner, "Share…": a menu loaded on first use.
function moreButton(track) {
  const open = async (event) => {
    const button = event.currentTarget;
    let menu;
    try {
      menu = await import("./track-menu.js");
    } catch {
      return notify("This could not be loaded. Reload to try again.", { error: true });
    }
    menu.openTrackMenu(button, track);
  };
  return h(
    "button",
    {
      class: "icon-button more",
      "aria-label": `More actions for ${track.title}`,
      "aria-haspopup": "menu",
      "aria-expanded": "false",
      onclick: open,
    },
    h("span", { "aria-hidden": "true" }, "⋯"),
  );
}

function likeButton(track) {
  const count = h("span", { class: "like-count" }, String(track.likeCount));
  const button = h(
    "button",
    {
      class: "icon-button like",
      "aria-label": `Like ${track.title}`,
      "aria-pressed": String(track.likedByMe),
    },
    icon("heart"),
    count,
  );
  button.addEventListener("click", async () => {
    const liked = !track.likedByMe;
    const show = (on) => {
      track.likedByMe = on;
      track.likeCount += on ? 1 : -1;
      button.setAttribute("aria-pressed", String(on));
      count.textContent = String(track.likeCount);
    };
    show(liked); // at once; put back if the server says no
    try {
      await api(`/tracks/${encodeURIComponent(track.trackId)}/like`, {
        method: liked ? "PUT" : "DELETE",
      });
    } catch (error) {
      show(!liked);
      notify(error.message, { error: true });
    }
  });
  return button;
}

function ownerActions(track, tracks) {
  const remove = async (event) => {
    const row = event.currentTarget.closest("li");
    if (!(await confirmDialog(`Delete “${track.title}”? This cannot be undone.`))) return;
    try {
      await api(`/tracks/${encodeURIComponent(track.trackId)}`, { method: "DELETE" });
      row.remove();
      tracks.splice(tracks.indexOf(track), 1);
      notify(`Deleted “${track.title}”`);
    } catch (error) {
      notify(error.message, { error: true });
    }
  };
  return [
    h(
      "a",
      {
        class: "button secondary small",
        href: `/tracks/${encodeURIComponent(track.trackId)}/edit`,
        "aria-label": `Edit ${track.title}`,
      },
      "Edit",
    ),
    h(
      "button",
      { class: "button danger small", "aria-label": `Delete ${track.title}`, onclick: remove },
      "Delete",
    ),
  ];
}
