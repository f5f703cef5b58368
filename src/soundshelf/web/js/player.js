// <ss-player>: the persistent player bar. It sits outside the routed view, so playback
// goes on while the user navigates. Views talk to it with window events:
//   ss:play    {tracks, index}  replace the queue and play tracks[index]
//   ss:enqueue {tracks}         add to the end of the queue
//   ss:track-changed {track}    a track was edited: its queue entries show the new details
// A track may come with a ready signed `streamUrl` (and `waveform` peaks): a shared link's
// tracks play from those alone, with no call to the (authenticated) track API.
import { api, currentUser, onSessionChange } from "./api.js";
import { h, icon } from "./dom.js";
import { formatTime, notify } from "./ui.js";
import { bindShortcuts } from "./components/shortcuts-help.js";
import "./components/waveform.js";
import { setNowPlaying } from "./now-playing.js";

const SAVED = "soundshelf.player";
const COUNT_AFTER_S = 30; // a listen counts after 30 s of playing (or at the end)
const SAVE_EVERY_MS = 3000;
const REPEAT_MODES = ["off", "all", "one"];
const REPEAT_LABELS = { off: "Repeat: off", all: "Repeat: all", one: "Repeat: this track" };

// Fisher–Yates, in place.
function shuffled(items) {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

// What the queue keeps of a track (and what survives a reload).
const entry = (track) => {
  const { trackId, title, artist, album, owner, durationMs, coverUrl } = track;
  const { streamUrl, waveform } = track; // shared tracks only
  return { trackId, title, artist, album, owner, durationMs, coverUrl, streamUrl, waveform };
};

class Player extends HTMLElement {
  queue = [];
  index = -1;
  shuffle = false;
  repeat = "off";
  #unshuffled = null; // the queue's order before shuffling, put back when shuffle ends
  #audio = h("audio", { preload: "metadata" });
  // The next track, fetched while this one plays, so the step between them does not wait
  // for the API's signed URL nor for the first bytes from the network.
  #upNext = { track: null, url: null, audio: h("audio", { preload: "auto" }) };
  #loading = 0; // which load is current; answers to older ones are dropped
  #startAt = 0;
  #listened = 0;
  #lastTime = 0;
  #counted = false;
  #recovered = false;
  #savedAt = 0;
  #ui = {};

  connectedCallback() {
    if (this.#ui.bar) return;
    this.#build();
    this.#listen();
    this.#mediaSessionHandlers();
    addEventListener("ss:play", (event) => this.play(event.detail.tracks, event.detail.index));
    addEventListener("ss:enqueue", (event) => this.enqueue(event.detail.tracks));
    addEventListener("ss:track-changed", (event) => this.#changed(event.detail.track));
    bindShortcuts(this);
    addEventListener("pagehide", () => this.#save());
    onSessionChange(() => {
      if (!currentUser() && this.queue.length) this.clear(); // private tracks leave too
    });
  }

  // --- public ---------------------------------------------------------------------------

  /** Brings back the queue and position of the last visit (paused: no autoplay). */
  restore() {
    let saved = null;
    try {
      saved = JSON.parse(localStorage.getItem(SAVED));
    } catch {
      return;
    }
    if (!saved?.queue?.length) return;
    this.queue = saved.queue;
    this.shuffle = Boolean(saved.shuffle);
    this.repeat = REPEAT_MODES.includes(saved.repeat) ? saved.repeat : "off";
    const order = Array.isArray(saved.unshuffled) ? saved.unshuffled : null;
    this.#unshuffled = this.shuffle && order ? order.map((i) => this.queue[i]).filter(Boolean) : null;
    this.#showModes();
    this.#audio.volume = saved.volume ?? 1;
    this.#ui.volume.value = String(this.#audio.volume);
    this.#load(Math.min(saved.index, this.queue.length - 1), {
      autoplay: false,
      at: saved.position,
    });
  }

  play(tracks, index = 0) {
    this.queue = tracks.map(entry);
    this.#unshuffled = null;
    if (this.shuffle) {
      // The chosen track first, the rest in a random order.
      this.#unshuffled = [...this.queue];
      const [chosen] = this.queue.splice(index, 1);
      this.queue = [chosen, ...shuffled(this.queue)];
      index = 0;
    }
    this.#load(index, { autoplay: true });
  }

  enqueue(tracks) {
    this.queue.push(...tracks.map(entry));
    notify(tracks.length === 1 ? `Added “${tracks[0].title}” to the queue` : "Added to the queue");
    if (this.index < 0) this.#load(0, { autoplay: false });
    else this.#renderQueue();
  }

  next() {
    const following = this.#following();
    if (following >= 0) this.#load(following, { autoplay: true });
  }

  /** Play or pause (the play button, the space bar). */
  toggle() {
    if (this.#audio.paused) this.#audio.play().catch(() => {});
    else this.#audio.pause();
  }

  seekBy(seconds) {
    const duration = Number.isFinite(this.#audio.duration) ? this.#audio.duration : Infinity;
    this.#seek(Math.max(0, Math.min(duration, this.#audio.currentTime + seconds)));
  }

  /** Whether there is a track to control. */
  active() {
    return this.index >= 0;
  }

  /** Shuffle the tracks after the playing one, or put the queue back in its order. */
  setShuffle(on) {
    if (on === this.shuffle) return;
    this.shuffle = on;
    const current = this.queue[this.index];
    if (on) {
      this.#unshuffled = [...this.queue];
      const rest = this.queue.filter((_, i) => i !== this.index);
      this.queue = current ? [current, ...shuffled(rest)] : shuffled(rest);
    } else if (this.#unshuffled) {
      // Tracks added while shuffled stay, after the others; removed ones stay removed.
      const kept = this.#unshuffled.filter((track) => this.queue.includes(track));
      const added = this.queue.filter((track) => !kept.includes(track));
      this.queue = [...kept, ...added];
      this.#unshuffled = null;
    }
    this.index = current ? this.queue.indexOf(current) : -1;
    this.#afterQueueChange();
  }

  /** off → all → one → off. */
  cycleRepeat() {
    this.repeat = REPEAT_MODES[(REPEAT_MODES.indexOf(this.repeat) + 1) % REPEAT_MODES.length];
    this.#afterQueueChange();
  }

  // The index to play after this one: -1 at the end (unless repeating the whole queue).
  #following() {
    if (this.index < this.queue.length - 1) return this.index + 1;
    return this.repeat === "all" && this.queue.length ? 0 : -1;
  }

  #afterQueueChange() {
    this.#showModes();
    this.#renderQueue();
    this.#save();
    this.#preloadNext();
  }

  previous() {
    if (this.#audio.currentTime > 3 || this.index === 0) this.#seek(0);
    else this.#load(this.index - 1, { autoplay: true });
  }

  clear() {
    this.#loading += 1;
    this.#audio.pause();
    this.#audio.removeAttribute("src");
    this.#audio.load();
    this.queue = [];
    this.index = -1;
    this.#unshuffled = null;
    this.#forgetUpNext();
    setNowPlaying(null);
    localStorage.removeItem(SAVED);
    if ("mediaSession" in navigator) navigator.mediaSession.metadata = null;
    if (this.#ui.panel.matches(":popover-open")) this.#ui.panel.hidePopover();
    this.#show(false);
  }

  // --- loading a track ------------------------------------------------------------------

  async #load(index, { autoplay, at = 0 }) {
    const loading = ++this.#loading;
    this.index = index;
    const track = this.queue[index];
    this.#startAt = at;
    this.#listened = 0;
    this.#lastTime = at;
    this.#counted = false;
    this.#recovered = false;
    this.#audio.removeAttribute("src"); // the previous track stops now, not when the URL is in
    this.#audio.load();
    this.#show(true);
    this.#showTrack(track);
    setNowPlaying(track.trackId);
    this.#ui.wave.peaks = [];
    this.#ui.wave.duration = track.durationMs / 1000;
    this.#ui.wave.position = at;
    this.#renderQueue();
    this.#save();
    if (track.streamUrl) this.#ui.wave.peaks = track.waveform || [];
    else this.#refresh(track, loading);
    try {
      await this.#setSource(track);
      if (loading === this.#loading && autoplay) await this.#audio.play();
    } catch (error) {
      if (loading !== this.#loading || error.name === "AbortError") return;
      if (error.name === "NotAllowedError") return; // the browser wants a click first
      notify(`Cannot play “${track.title}”: ${error.message}`, { error: true });
    }
  }

  // Fresh details (a cover URL expires; the title may have been edited) and the peaks.
  #refresh(track, loading) {
    const id = encodeURIComponent(track.trackId);
    api(`/tracks/${id}`)
      .then((fresh) => {
        if (loading !== this.#loading) return;
        Object.assign(track, entry(fresh));
        this.#showTrack(track);
        this.#renderQueue();
      })
      .catch(() => {});
    api(`/tracks/${id}/waveform`)
      .then(({ peaks }) => {
        if (loading === this.#loading) this.#ui.wave.peaks = peaks;
      })
      .catch(() => {}); // no peaks: the seek bar stays a flat line
  }

  // <audio> cannot send Authorization, so ask the API for the signed URL as JSON.
  async #setSource(track) {
    if (track.streamUrl) {
      this.#audio.src = track.streamUrl;
      return;
    }
    if (this.#upNext.track === track && this.#upNext.url) {
      this.#audio.src = this.#upNext.url; // its bytes are on their way or in the cache
      this.#forgetUpNext();
      return;
    }
    this.#audio.src = await this.#streamUrl(track);
  }

  async #streamUrl(track) {
    if (track.streamUrl) return track.streamUrl;
    const id = encodeURIComponent(track.trackId);
    return (await api(`/tracks/${id}/stream?quality=high`)).url;
  }

  // Once this track plays, the next one's URL is asked for and its first bytes loaded.
  async #preloadNext() {
    const following = this.#following();
    const track = following >= 0 && following !== this.index ? this.queue[following] : null;
    if (!track || this.#upNext.track === track || this.#audio.paused) return;
    this.#forgetUpNext();
    this.#upNext.track = track;
    try {
      const url = await this.#streamUrl(track);
      if (this.#upNext.track !== track) return;
      this.#upNext.url = url;
      this.#upNext.audio.src = url;
    } catch {
      this.#upNext.track = null; // it will be asked for again when it plays
    }
  }

  #forgetUpNext() {
    this.#upNext.track = null;
    this.#upNext.url = null;
    this.#upNext.audio.removeAttribute("src");
  }

  // An edited track: every queue entry of it, and the bar if it is playing, show the change.
  #changed(fresh) {
    let shown = false;
    for (const [i, track] of this.queue.entries()) {
      if (track.trackId !== fresh.trackId) continue;
      const { streamUrl, waveform } = track;
      Object.assign(track, entry(fresh), { streamUrl, waveform });
      if (i === this.index) shown = true;
    }
    if (shown) this.#showTrack(this.queue[this.index]);
    this.#renderQueue();
    this.#save();
  }

  // A signed URL expires (e.g. after a long pause): fetch a new one and carry on.
  async #recover() {
    const track = this.queue[this.index];
    if (!track || this.#recovered) {
      if (track) notify(`Cannot play “${track.title}”.`, { error: true });
      return;
    }
    this.#recovered = true;
    const wasPlaying = !this.#audio.paused;
    this.#startAt = this.#lastTime;
    try {
      await this.#setSource(track);
      if (wasPlaying) await this.#audio.play();
    } catch (error) {
      notify(`Cannot play “${track.title}”: ${error.message}`, { error: true });
    }
  }

  // Repeat one: the same track from the start, counted again after another 30 s.
  #again() {
    this.#listened = 0;
    this.#counted = false;
    this.#seek(0);
    this.#audio.play().catch(() => {});
  }

  #seek(seconds) {
    if (!Number.isFinite(this.#audio.duration)) {
      this.#startAt = seconds; // applied once the metadata is in
      return;
    }
    this.#audio.currentTime = seconds;
    this.#lastTime = seconds;
  }

  // --- events -----------------------------------------------------------------------------

  #listen() {
    const audio = this.#audio;
    audio.addEventListener("loadedmetadata", () => {
      this.#ui.wave.duration = audio.duration;
      this.#ui.duration.textContent = formatTime(audio.duration);
      if (this.#startAt) audio.currentTime = this.#startAt;
      this.#startAt = 0;
      this.#positionState();
    });
    audio.addEventListener("timeupdate", () => this.#onTime());
    audio.addEventListener("play", () => this.#onPlayState());
    audio.addEventListener("pause", () => this.#onPlayState());
    audio.addEventListener("playing", () => {
      this.#recovered = false;
      this.#preloadNext();
    });
    audio.addEventListener("seeked", () => {
      this.#lastTime = audio.currentTime;
      this.#positionState();
    });
    audio.addEventListener("ended", () => {
      this.#count();
      if (this.repeat === "one") this.#again();
      else this.next();
    });
    audio.addEventListener("error", () => {
      if (audio.getAttribute("src")) this.#recover();
    });
    audio.addEventListener("volumechange", () => this.#save());
  }

  #onTime() {
    const now = this.#audio.currentTime;
    this.#ui.wave.position = now;
    this.#ui.current.textContent = formatTime(now);
    // Only time actually played counts towards a listen, not jumps made by seeking.
    const step = now - this.#lastTime;
    if (step > 0 && step < 2) this.#listened += step;
    this.#lastTime = now;
    if (this.#listened >= COUNT_AFTER_S) this.#count();
    if (Date.now() - this.#savedAt > SAVE_EVERY_MS) this.#save();
  }

  #onPlayState() {
    const playing = !this.#audio.paused;
    this.#ui.play.replaceChildren(icon(playing ? "pause" : "play"));
    this.#ui.play.setAttribute("aria-label", playing ? "Pause" : "Play");
    if ("mediaSession" in navigator) {
      navigator.mediaSession.playbackState = playing ? "playing" : "paused";
    }
    this.#save();
  }

  #count() {
    const track = this.queue[this.index];
    if (this.#counted || !track) return;
    this.#counted = true;
    if (!currentUser()) return; // plays are recorded for signed-in listeners
    api(`/tracks/${encodeURIComponent(track.trackId)}/plays`, { method: "POST" }).catch(() => {});
  }

  #save() {
    if (this.index < 0) return;
    this.#savedAt = Date.now();
    const position = this.#audio.getAttribute("src") ? this.#audio.currentTime : this.#startAt;
    // Without the peaks of shared tracks: a thousand numbers each, rewritten every 3 s.
    const queue = this.queue.map(({ waveform, ...track }) => track);
    const { shuffle, repeat } = this;
    // The order before shuffling, as positions in the queue.
    const unshuffled = this.#unshuffled?.map((track) => this.queue.indexOf(track));
    const volume = this.#audio.volume;
    const saved = { queue, index: this.index, position, volume, shuffle, repeat, unshuffled };
    localStorage.setItem(SAVED, JSON.stringify(saved));
  }

  // --- Media Session (lock screen, media keys, headset buttons) ----------------------------

  #mediaSessionHandlers() {
    if (!("mediaSession" in navigator)) return;
    const handlers = {
      play: () => this.#audio.play(),
      pause: () => this.#audio.pause(),
      previoustrack: () => this.previous(),
      nexttrack: () => this.next(),
      seekto: (details) => this.#seek(details.seekTime),
      seekbackward: (details) => this.#seek(this.#audio.currentTime - (details.seekOffset || 10)),
      seekforward: (details) => this.#seek(this.#audio.currentTime + (details.seekOffset || 10)),
    };
    for (const [action, handler] of Object.entries(handlers)) {
      try {
        navigator.mediaSession.setActionHandler(action, handler);
      } catch {
        // This browser does not know the action.
      }
    }
  }

  #positionState() {
    const { duration, currentTime, playbackRate } = this.#audio;
    if (!("mediaSession" in navigator) || !Number.isFinite(duration)) return;
    navigator.mediaSession.setPositionState({
      duration,
      playbackRate,
      position: Math.min(currentTime, duration),
    });
  }

  // --- drawing ----------------------------------------------------------------------------

  #build() {
    const ui = this.#ui;
    ui.cover = h("span", { class: "cover" });
    ui.title = h("span", { class: "now-title" });
    ui.artist = h("span", { class: "now-artist" });
    ui.play = this.#button("play", "Play", () => this.toggle());
    ui.play.classList.add("main");
    ui.shuffle = this.#button("shuffle", "Shuffle", () => this.setShuffle(!this.shuffle));
    ui.repeat = this.#button("repeat", REPEAT_LABELS.off, () => this.cycleRepeat());
    ui.wave = h("ss-waveform", { class: "wave", "aria-label": "Seek" });
    ui.wave.addEventListener("seek", (event) => this.#seek(event.detail));
    ui.current = h("span", { class: "time" }, "0:00");
    ui.duration = h("span", { class: "time" }, "0:00");
    ui.volume = h("input", {
      type: "range",
      min: "0",
      max: "1",
      step: "0.05",
      value: "1",
      "aria-label": "Volume",
    });
    ui.volume.addEventListener("input", () => {
      this.#audio.volume = Number(ui.volume.value);
    });
    // A popover: the browser handles opening, Escape, clicking outside and aria-expanded.
    ui.queueButton = h(
      "button",
      { class: "icon-button", "aria-label": "Queue", popovertarget: "queue-panel" },
      icon("queue"),
    );
    ui.queueList = h("ol", { class: "queue-list" });
    ui.queueTitle = h("h2", { id: "queue-title" }, "Queue");
    ui.panel = h(
      "section",
      { class: "queue-panel", id: "queue-panel", "aria-labelledby": "queue-title", popover: "auto" },
      h(
        "div",
        { class: "queue-head" },
        ui.queueTitle,
        h("button", { class: "button secondary", onclick: () => this.clear() }, "Clear queue"),
      ),
      ui.queueList,
    );
    ui.panel.addEventListener("toggle", (event) => {
      if (event.newState === "open") this.#renderQueue();
    });
    ui.bar = h(
      "div",
      { class: "player-bar" },
      h("div", { class: "now" }, ui.cover, h("div", { class: "now-text" }, ui.title, ui.artist)),
      h(
        "div",
        { class: "transport" },
        ui.shuffle,
        this.#button("prev", "Previous track", () => this.previous()),
        ui.play,
        this.#button("next", "Next track", () => this.next()),
        ui.repeat,
      ),
      h("div", { class: "seek" }, ui.current, ui.wave, ui.duration),
      h(
        "div",
        { class: "extras" },
        h("label", { class: "volume" }, icon("volume"), ui.volume),
        ui.queueButton,
      ),
    );
    this.setAttribute("role", "region");
    this.setAttribute("aria-label", "Player");
    this.append(ui.panel, ui.bar, this.#audio);
    this.#showModes();
    this.#show(false);
  }

  // Shuffle is a toggle (aria-pressed); repeat names its mode and is pressed unless off.
  #showModes() {
    const { shuffle, repeat } = this.#ui;
    shuffle.setAttribute("aria-pressed", String(this.shuffle));
    repeat.setAttribute("aria-pressed", String(this.repeat !== "off"));
    repeat.setAttribute("aria-label", REPEAT_LABELS[this.repeat]);
    repeat.dataset.mode = this.repeat;
    repeat.replaceChildren(icon(this.repeat === "one" ? "repeat-one" : "repeat"));
  }

  #button(name, label, onclick) {
    return h("button", { class: "icon-button", "aria-label": label, onclick }, icon(name));
  }

  #show(visible) {
    this.hidden = !visible;
    document.body.classList.toggle("has-player", visible);
  }

  #showTrack(track) {
    this.#ui.title.textContent = track.title;
    this.#ui.artist.textContent = track.artist || track.owner || "";
    this.#ui.current.textContent = formatTime(this.#startAt);
    this.#ui.duration.textContent = formatTime(track.durationMs / 1000);
    this.#ui.cover.replaceChildren(
      track.coverUrl ? h("img", { src: track.coverUrl, alt: "" }) : icon("note"),
    );
    if ("mediaSession" in navigator) {
      navigator.mediaSession.metadata = new MediaMetadata({
        title: track.title,
        artist: track.artist || track.owner || "",
        album: track.album || "",
        artwork: track.coverUrl ? [{ src: track.coverUrl }] : [],
      });
    }
  }

  // Rows with play / up / down / remove buttons. `focus` = [row, action] says which
  // button gets focus after drawing (by default the one that had it), so keyboard users
  // keep their place while rows are redrawn and moved.
  #renderQueue(focus = this.#focusInQueue()) {
    const ui = this.#ui;
    ui.queueTitle.textContent = `Queue (${this.queue.length})`;
    if (!ui.panel.matches(":popover-open")) return;
    const last = this.queue.length - 1;
    ui.queueList.replaceChildren(
      ...this.queue.map((track, i) =>
        h(
          "li",
          {
            class: "queue-item",
            "aria-current": i === this.index ? "true" : null,
            draggable: "true",
            ondragstart: (event) => {
              event.dataTransfer.effectAllowed = "move";
              event.dataTransfer.setData("text/plain", String(i));
            },
            ondragover: (event) => event.preventDefault(), // says a drop is welcome here
            ondrop: (event) => {
              event.preventDefault();
              const from = Number(event.dataTransfer.getData("text/plain"));
              if (Number.isInteger(from) && from !== i) this.#moveTo(from, i, null);
            },
          },
          h("span", { class: "drag-handle", "aria-hidden": "true" }, "⠿"),
          h(
            "button",
            {
              class: "queue-track",
              "data-action": "play",
              onclick: () => this.#load(i, { autoplay: true }),
            },
            h("span", { class: "queue-title" }, track.title),
            h("span", { class: "queue-artist" }, track.artist || track.owner || ""),
          ),
          this.#queueButton("up", `Move “${track.title}” up`, i === 0, () => this.#move(i, -1)),
          this.#queueButton("down", `Move “${track.title}” down`, i === last, () =>
            this.#move(i, 1),
          ),
          this.#queueButton("close", `Remove “${track.title}”`, false, () => this.#remove(i)),
        ),
      ),
    );
    if (focus) ui.queueList.children[focus[0]]?.querySelector(`[data-action=${focus[1]}]`)?.focus();
  }

  #focusInQueue() {
    const row = document.activeElement?.closest(".queue-item");
    if (!row || !this.#ui.queueList.contains(row)) return null;
    return [[...this.#ui.queueList.children].indexOf(row), document.activeElement.dataset.action];
  }

  #queueButton(name, label, disabled, onclick) {
    const button = this.#button(name, label, onclick);
    button.dataset.action = name;
    button.disabled = disabled;
    return button;
  }

  #move(from, by) {
    const to = from + by;
    // Keep focus on the same arrow unless it just became disabled at an end.
    const last = this.queue.length - 1;
    const arrow = by < 0 ? (to === 0 ? "down" : "up") : to === last ? "up" : "down";
    this.#moveTo(from, to, [to, arrow]);
  }

  // The up/down buttons and dragging a row both end here.
  #moveTo(from, to, focus) {
    const playing = this.queue[this.index];
    const [track] = this.queue.splice(from, 1);
    this.queue.splice(to, 0, track);
    this.index = this.queue.indexOf(playing);
    this.#save();
    this.#preloadNext();
    this.#renderQueue(focus);
  }

  #remove(i) {
    const removingCurrent = i === this.index;
    this.queue.splice(i, 1);
    if (!this.queue.length) return this.clear();
    if (i < this.index) this.index -= 1;
    if (removingCurrent) {
      const wasPlaying = !this.#audio.paused;
      this.#load(Math.min(i, this.queue.length - 1), { autoplay: wasPlaying });
    }
    this.#save();
    this.#preloadNext();
    this.#renderQueue([Math.min(i, this.queue.length - 1), "close"]);
  }
}

customElements.define("ss-player", Player);
