// A share link's page (/s/{token}) for whoever holds the link, signed in or not: who
// shared what, and the item itself. Music plays in the player straight from the link's
// signed URLs, a photo shows large, a file downloads when the owner allowed it. Only the
// public share API is called, and without credentials.
import { api } from "../api.js";
import { photoFrame, photoName } from "../components/photo-frame.js";
import { h, icon } from "../dom.js";
import { field, onSubmit, submitButton } from "../forms.js";
import { formatBytes, formatTime, heading, state } from "../ui.js";

export function render(container, { params, signal }) {
  const path = `/public/shares/${encodeURIComponent(params.token)}`;
  const head = heading("Shared with you");
  const slot = h("div", {}, state("Loading…"));
  container.append(head, slot);

  const open = (password) =>
    api(path, { auth: false, signal, headers: password ? { "X-Share-Password": password } : {} });
  const title = (text) => {
    head.querySelector("h1").textContent = text;
    document.title = `${text} · Soundshelf`;
  };

  function gone() {
    title("Link not available");
    slot.replaceChildren(
      h("p", { class: "lead", role: "alert" }, "This link has expired or was revoked."),
      h("p", {}, "Ask the person who shared it for a new one."),
    );
  }

  function askPassword() {
    const form = h(
      "form",
      { class: "form narrow" },
      field("Password", "password", {
        type: "password",
        autocomplete: "off",
        hint: "Whoever shared this link protected it with a password.",
      }),
      submitButton("Open"),
    );
    onSubmit(
      form,
      async ({ password }) => {
        let share;
        try {
          share = await open(password);
        } catch (error) {
          if (error.status !== 404) throw error;
          return gone();
        }
        show(share);
      },
      { fieldOf: (error) => (error.code === "invalid_share_password" ? "password" : undefined) },
    );
    title("This link needs a password");
    slot.replaceChildren(form);
    form.elements.namedItem("password").focus();
  }

  function show(share) {
    const item = share[share.targetType];
    const view = VIEWS[share.targetType];
    title(view.title(item));
    const until = new Date(share.expiresAt).toLocaleString(undefined, {
      dateStyle: "medium",
      timeStyle: "short",
    });
    // Through h(), which leaves out an absent note (replaceChildren would print "null").
    const page = h(
      "div",
      {},
      h("p", { class: "muted share-by" }, `Shared by ${share.owner} · the link works until ${until}`),
      share.description ? h("blockquote", { class: "share-note" }, share.description) : null,
      view.draw(item, share),
    );
    slot.replaceChildren(...page.childNodes);
  }

  open().then(show, (error) => {
    if (error.name === "AbortError") return;
    if (error.code === "share_password_required") askPassword();
    else if (error.status === 404) gone();
    else slot.replaceChildren(state(error.message, { error: true }));
  });
}

// Music shared without downloads plays here and offers no file: say so.
const listenOnly = (share) =>
  share.allowDownload
    ? null
    : h(
        "p",
        { class: "muted listen-only" },
        "Listening only: the owner did not allow downloads. You hear a streamed copy, not the original file.",
      );

const VIEWS = {
  track: {
    title: (track) => track.title,
    draw: (track, share) => h("div", {}, musicList([track]), listenOnly(share)),
  },
  album: {
    title: (album) => album.title,
    draw: (album, share) =>
      h(
        "div",
        {},
        h("p", {}, [album.artist, album.year].filter(Boolean).join(" · ")),
        musicList(album.tracks),
        listenOnly(share),
      ),
  },
  playlist: {
    title: (playlist) => playlist.name,
    draw: (playlist, share) =>
      h(
        "div",
        {},
        playlist.description ? h("p", { class: "bio" }, playlist.description) : null,
        musicList(playlist.entries.map((entry) => entry.track)),
        listenOnly(share),
      ),
  },
  photo: {
    title: photoName,
    draw: (photo) =>
      h(
        "figure",
        { class: "shared-photo" },
        photoFrame(photo),
        photo.tags.length
          ? h("figcaption", { class: "muted" }, photo.tags.map((t) => `#${t}`).join(" "))
          : null,
      ),
  },
  file: {
    title: (file) => file.filename,
    draw: (file, share) =>
      h(
        "div",
        { class: "card shared-file" },
        h("p", {}, `${file.contentType} · ${formatBytes(file.size)}`),
        share.allowDownload && file.downloadUrl
          ? h("a", { class: "button", href: file.downloadUrl, download: file.filename }, "Download")
          : h("p", {}, "The owner did not allow downloads of this file."),
      ),
  },
};

// Tracks that play from their signed `streamUrl`; null stands for an unavailable one
// (a playlist may hold tracks its owner cannot share). A track with a null `streamUrl` is
// shared without downloads and its listening copy is still being made: it plays soon.
function musicList(tracks) {
  if (!tracks.length) return state("There is nothing in it yet.");
  const playable = tracks.filter((track) => track && track.streamUrl);
  const play = (index) =>
    dispatchEvent(new CustomEvent("ss:play", { detail: { tracks: playable, index } }));
  const all = h("button", { type: "button", class: "button" }, icon("play"), "Play all");
  all.addEventListener("click", () => play(0));
  return h(
    "div",
    { class: "shared-music" },
    playable.length > 1 ? h("div", { class: "actions" }, all) : null,
    h(
      "ul",
      { class: "track-list" },
      tracks.map((track) =>
        !track
          ? gap("Unavailable track")
          : track.streamUrl
            ? trackRow(track, () => play(playable.indexOf(track)))
            : gap(`${track.title}: being prepared for listening, try again in a minute`),
      ),
    ),
  );
}

function trackRow(track, play) {
  return h(
    "li",
    { class: "track-row", "data-track-id": track.trackId },
    h(
      "button",
      { type: "button", class: "play-track", "aria-label": `Play ${track.title}`, onclick: play },
      track.coverUrl ? h("img", { class: "cover", src: track.coverUrl, alt: "" }) : null,
      icon("play"),
    ),
    h(
      "div",
      { class: "track-text" },
      h("span", { class: "track-title" }, track.title),
      h("span", { class: "track-artist" }, track.artist || track.owner),
    ),
    h("span", { class: "duration" }, formatTime(track.durationMs / 1000)),
    track.downloadUrl
      ? h(
          "a",
          {
            class: "button secondary small",
            href: track.downloadUrl,
            download: "",
            "aria-label": `Download ${track.title}`,
          },
          "Download",
        )
      : null,
  );
}

const gap = (text) =>
  h("li", { class: "track-row unavailable" }, h("span", { class: "track-title" }, text));
