// One playlist: play it; for its owner also edit, share, delete, remove entries and put
// them in order (drag and drop, or the move buttons for keyboards and touch screens).
// Every change carries the version shown (If-Match): when the playlist was changed
// elsewhere meanwhile, the API says 412 and the page reloads instead of overwriting.
import { api, currentUser } from "../api.js";
import { playlistDialog, tracksCount } from "../components/playlist-form.js";
import { openShareDialog } from "../components/share-dialog.js";
import { trackLinks } from "../components/track-list.js";
import { h, icon } from "../dom.js";
import { navigate } from "../router.js";
import { confirmDialog, fill, formatTime, heading, notify, state, takenDownBadge } from "../ui.js";

const PAGE = 1000; // entries per request (a playlist holds up to 5,000)

export function render(container, { params, signal }) {
  const path = `/playlists/${encodeURIComponent(params.playlistId)}`;
  const head = heading("Playlist");
  const slot = h("div");
  const list = h("ol", { class: "entries", "aria-label": "Tracks" });
  let playlist = null; // the header and every entry
  let busy = false; // one change at a time: each needs the version the last one made

  container.append(head, slot);
  fill(slot, async () => {
    try {
      await load();
    } catch (error) {
      if (error.status !== 404) throw error;
      return state("This playlist does not exist or is not shared with you.");
    }
    return page();
  });

  // All pages. The first page's version is the oldest: if anything changed while the
  // rest loaded, the next change gets a 412 and a reload.
  async function load() {
    const entries = [];
    let first = null;
    let cursor = null;
    do {
      const query = `?limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const part = await api(path + query, { signal });
      first ??= part;
      entries.push(...part.entries);
      cursor = part.nextCursor;
    } while (cursor);
    playlist = { ...first, entries };
  }

  async function reload(focus) {
    try {
      await load();
      slot.replaceChildren(page());
      if (focus) focusEntry(focus);
    } catch (error) {
      if (error.name !== "AbortError") slot.replaceChildren(state(error.message, { error: true }));
    }
  }

  const mine = () => currentUser()?.username === playlist.owner;
  const ifMatch = () => ({ "If-Match": `"v${playlist.version}"` });
  const tracks = () => playlist.entries.filter((e) => e.track).map((e) => e.track);

  function page() {
    head.querySelector("h1").textContent = playlist.name;
    document.title = `${playlist.name} · Soundshelf`;
    const meta = [tracksCount(playlist.entries.length), `by ${playlist.owner}`];
    if (mine()) meta.push(playlist.visibility);
    const badge = takenDownBadge(playlist);
    drawEntries();
    return h(
      "div",
      {},
      h("p", { class: "muted playlist-meta" }, meta.join(" · "), badge ? [" ", badge] : null),
      playlist.description ? h("p", { class: "bio" }, playlist.description) : null,
      h("div", { class: "actions" }, playActions(), mine() ? ownerActions() : null),
      playlist.entries.length
        ? list
        : state("No tracks yet. Add some with the ⋯ button next to any track."),
    );
  }

  function playActions() {
    const none = !tracks().length;
    const button = (style, ...label) =>
      h("button", { type: "button", class: style, disabled: none }, ...label);
    const play = button("button", icon("play"), "Play");
    const queue = button("button secondary", "Add to queue");
    play.addEventListener("click", () => emit("ss:play", { tracks: tracks(), index: 0 }));
    queue.addEventListener("click", () => emit("ss:enqueue", { tracks: tracks() }));
    return [play, queue];
  }

  function ownerActions() {
    const edit = h("button", { type: "button", class: "button secondary" }, "Edit");
    const share = h("button", { type: "button", class: "button secondary" }, "Share");
    const remove = h("button", { type: "button", class: "button danger" }, "Delete");
    edit.addEventListener("click", () =>
      playlistDialog(playlist, () => {
        notify("Saved");
        reload();
      }),
    );
    const { playlistId, name } = playlist;
    share.addEventListener("click", () =>
      openShareDialog({ targetType: "playlist", targetId: playlistId, title: name }),
    );
    remove.addEventListener("click", async () => {
      const question = `Delete the playlist “${playlist.name}”? Its tracks are kept.`;
      if (!(await confirmDialog(question))) return;
      write(
        () => api(path, { method: "DELETE", headers: ifMatch() }),
        () => {
          notify(`Deleted “${playlist.name}”`);
          navigate("/playlists", { replace: true });
        },
      );
    });
    return [edit, share, remove];
  }

  // --- entries ------------------------------------------------------------------------

  // `focus` = [row, action]: which button gets focus after drawing, so keyboard users
  // keep their place while rows move.
  function drawEntries(focus) {
    const owner = mine();
    list.replaceChildren(...playlist.entries.map((entry, i) => entryRow(entry, i, owner)));
    if (focus) focusEntry(focus);
  }

  function focusEntry([index, action]) {
    const row = list.children[Math.min(index, list.children.length - 1)];
    row?.querySelector(`[data-action=${action}]`)?.focus();
  }

  function entryRow(entry, i, owner) {
    const track = entry.track;
    const name = track ? track.title : "Unavailable track";
    const last = playlist.entries.length - 1;
    const button = (action, label, disabled, onclick) => {
      const props = { type: "button", class: "icon-button", "aria-label": label, disabled };
      return h("button", { ...props, "data-action": action, onclick }, icon(action));
    };
    return h(
      "li",
      {
        class: track ? "entry" : "entry unavailable",
        draggable: owner ? "true" : null,
        "data-entry-id": entry.entryId,
        "data-track-id": track?.trackId, // marked while it plays
      },
      owner ? h("span", { class: "drag-handle", "aria-hidden": "true" }, "⠿") : null,
      h("span", { class: "entry-position" }, String(i + 1)),
      track
        ? h(
            "button",
            {
              type: "button",
              class: "icon-button",
              "aria-label": `Play ${track.title}`,
              onclick: () => emit("ss:play", { tracks: tracks(), index: tracks().indexOf(track) }),
            },
            icon("play"),
          )
        : h("span", { class: "entry-no-play" }),
      h(
        "div",
        { class: "track-text" },
        h("span", { class: "track-title" }, name),
        track
          ? trackLinks(track)
          : h("span", { class: "track-artist" }, "unavailable: deleted or no longer shared"),
      ),
      track ? h("span", { class: "duration" }, formatTime(track.durationMs / 1000)) : null,
      owner
        ? h(
            "div",
            { class: "entry-actions" },
            button("up", `Move “${name}” up`, i === 0, () => move(i, i - 1)),
            button("down", `Move “${name}” down`, i === last, () => move(i, i + 1)),
            button("close", `Remove “${name}” from the playlist`, false, () => removeEntry(i)),
          )
        : null,
    );
  }

  function move(from, to) {
    const entry = playlist.entries[from];
    const url = `${path}/entries/${encodeURIComponent(entry.entryId)}/move`;
    write(
      () => api(url, { method: "POST", headers: ifMatch(), body: { position: to } }),
      (change) => {
        playlist.version = change.version;
        playlist.entries.splice(from, 1);
        playlist.entries.splice(to, 0, entry);
        // Keep focus on the same arrow unless it just became disabled at an end.
        const last = playlist.entries.length - 1;
        const arrow = to < from ? (to === 0 ? "down" : "up") : to === last ? "up" : "down";
        drawEntries([to, arrow]);
        const name = entry.track ? `“${entry.track.title}”` : "The unavailable track";
        notify(`${name} is now number ${to + 1} of ${last + 1}`);
      },
    );
  }

  function removeEntry(i) {
    const entry = playlist.entries[i];
    const url = `${path}/entries/${encodeURIComponent(entry.entryId)}`;
    write(
      () => api(url, { method: "DELETE", headers: ifMatch() }),
      () => {
        const name = entry.track ? `“${entry.track.title}”` : "the unavailable track";
        notify(`Removed ${name}`);
        // The answer has no body to learn the new version from: read the playlist again.
        return reload([i, "close"]);
      },
    );
  }

  async function write(request, done) {
    if (busy) return;
    busy = true;
    list.setAttribute("aria-busy", "true");
    try {
      await done(await request());
    } catch (error) {
      if (error.status === 412) {
        notify("This playlist was changed somewhere else, so it was reloaded. Please try again.", {
          error: true,
        });
        await reload();
      } else if (error.name !== "AbortError") {
        notify(error.message, { error: true });
      }
    } finally {
      busy = false;
      list.removeAttribute("aria-busy");
    }
  }

  // HTML5 drag and drop of whole rows; a row dropped on another takes its place.
  let dragged = null;
  const rowIndex = (row) => [...list.children].indexOf(row);
  const clearMarks = () => {
    for (const row of list.querySelectorAll(".drop-above, .drop-below, .dragging")) {
      row.classList.remove("drop-above", "drop-below", "dragging");
    }
  };
  list.addEventListener("dragstart", (event) => {
    const row = event.target.closest?.("li.entry");
    if (!row || busy) return event.preventDefault();
    dragged = rowIndex(row);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", row.dataset.entryId);
    row.classList.add("dragging");
  });
  list.addEventListener("dragover", (event) => {
    const row = event.target.closest?.("li.entry");
    if (dragged === null || !row) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "move";
    const to = rowIndex(row);
    for (const other of list.querySelectorAll(".drop-above, .drop-below")) {
      if (other !== row) other.classList.remove("drop-above", "drop-below");
    }
    row.classList.toggle("drop-above", to < dragged);
    row.classList.toggle("drop-below", to > dragged);
  });
  list.addEventListener("drop", (event) => {
    const row = event.target.closest?.("li.entry");
    if (dragged === null || !row) return;
    event.preventDefault();
    const [from, to] = [dragged, rowIndex(row)];
    if (from !== to) move(from, to);
  });
  list.addEventListener("dragend", () => {
    dragged = null;
    clearMarks();
  });
}

const emit = (name, detail) => dispatchEvent(new CustomEvent(name, { detail }));
