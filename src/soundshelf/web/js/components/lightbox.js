// The lightbox: one photo at a time, large, in a modal dialog over everything. ← and →
// go through the gallery (round the ends), Escape closes. My own photos are edited
// (caption, tags, visibility), shared and deleted here.
import { api, currentUser } from "../api.js";
import { h, icon } from "../dom.js";
import { VISIBILITY, field, onSubmit, submitButton } from "../forms.js";
import { confirmDialog, notify, takenDownBadge } from "../ui.js";
import { photoFrame, photoName } from "./photo-frame.js";
import { openShareDialog } from "./share-dialog.js";

const VISIBLE_TO = { private: "only I see it", friends: "friends see it", public: "public" };

const tagsOf = (text) =>
  text
    .split(",")
    .map((tag) => tag.trim())
    .filter(Boolean);

/**
 * Shows `photos[index]`. `onChange(photo)` runs after an edit (the object is updated in
 * place), `onDelete(photo)` after a delete (it is taken out of `photos`).
 */
export function openLightbox(photos, index, { onChange, onDelete }) {
  let at = index;
  const counter = h("span", { class: "lightbox-counter" });
  const stage = h("div", { class: "lightbox-stage" });
  const details = h("div", { class: "lightbox-details" });
  const button = (name, label, onclick, style = "icon-button") =>
    h("button", { type: "button", class: style, "aria-label": label, onclick }, icon(name));
  // Chevrons pointing down and up, turned a quarter: left and right.
  const prev = button("down", "Previous photo", () => show(at - 1), "icon-button turn");
  const next = button("up", "Next photo", () => show(at + 1), "icon-button turn");
  const dialog = h(
    "dialog",
    { class: "lightbox" },
    h(
      "div",
      { class: "lightbox-bar" },
      counter,
      prev,
      next,
      button("close", "Close", () => dialog.close()),
    ),
    h("div", { class: "lightbox-body" }, stage, details),
  );
  dialog.addEventListener("keydown", (event) => {
    if (event.target.closest("input, textarea, select")) return; // typing, not browsing
    if (event.key === "ArrowLeft") show(at - 1);
    else if (event.key === "ArrowRight") show(at + 1);
    else return;
    event.preventDefault();
  });
  dialog.addEventListener("close", () => dialog.remove());

  function show(i) {
    if (!photos.length) return dialog.close();
    at = (i + photos.length) % photos.length;
    const photo = photos[at];
    counter.textContent = `${at + 1} of ${photos.length}`;
    prev.hidden = next.hidden = photos.length < 2;
    dialog.setAttribute("aria-label", photoName(photo));
    stage.replaceChildren(photoFrame(photo));
    details.replaceChildren(...describe(photo).filter(Boolean));
  }

  function describe(photo) {
    const mine = currentUser()?.username === photo.owner;
    // Links lead to other galleries: the lightbox closes on the way.
    const link = (href, text) => h("a", { href, onclick: () => dialog.close() }, text);
    const theirs = `/photos?owner=${encodeURIComponent(photo.owner)}`;
    const tagged = (tag) => `${mine ? "/photos?" : `${theirs}&`}tag=${encodeURIComponent(tag)}`;
    // Without a caption the name already says when it was taken.
    const taken = photo.caption && photo.takenAt;
    return [
      h("h2", { class: "lightbox-title" }, photoName(photo)),
      h(
        "p",
        { class: "muted" },
        mine ? "My photo" : ["By ", link(theirs, photo.owner)],
        taken ? ` · taken ${new Date(taken).toLocaleDateString()}` : null,
        mine ? ` · ${VISIBLE_TO[photo.visibility]}` : null,
        photo.status === "taken_down" ? [" ", takenDownBadge(photo)] : null,
      ),
      photo.tags.length
        ? h(
            "ul",
            { class: "tags", "aria-label": "Tags" },
            photo.tags.map((tag) => h("li", {}, link(tagged(tag), `#${tag}`))),
          )
        : null,
      mine ? ownerTools(photo) : null,
    ];
  }

  function ownerTools(photo) {
    const form = h(
      "form",
      { class: "form" },
      field("Caption", "caption", { type: "textarea", value: photo.caption, rows: "2" }),
      field("Tags", "tags", { value: photo.tags.join(", "), hint: "Separated by commas." }),
      field("Who can see it", "visibility", {
        type: "select",
        choices: VISIBILITY,
        value: photo.visibility,
      }),
      submitButton("Save"),
    );
    onSubmit(form, async ({ caption, tags, visibility }) => {
      const saved = await api(`/photos/${encodeURIComponent(photo.photoId)}`, {
        method: "PATCH",
        headers: { "If-Match": `"v${photo.version}"` },
        body: { caption, tags: tagsOf(tags), visibility },
      });
      Object.assign(photo, saved);
      onChange(photo);
      notify("Saved");
      show(at);
    });
    const share = h("button", { type: "button", class: "button secondary" }, "Share");
    share.addEventListener("click", () =>
      openShareDialog({ targetType: "photo", targetId: photo.photoId, title: photoName(photo) }),
    );
    const remove = h("button", { type: "button", class: "button danger" }, "Delete");
    remove.addEventListener("click", async () => {
      const question = `Delete “${photoName(photo)}”? This cannot be undone.`;
      if (!(await confirmDialog(question))) return;
      try {
        await api(`/photos/${encodeURIComponent(photo.photoId)}`, { method: "DELETE" });
      } catch (error) {
        notify(error.message, { error: true });
        return;
      }
      photos.splice(photos.indexOf(photo), 1);
      onDelete(photo);
      notify("Photo deleted");
      show(at);
    });
    return h(
      "div",
      {},
      h("div", { class: "actions" }, share, remove),
      h("details", { class: "edit-photo" }, h("summary", {}, "Edit details"), form),
    );
  }

  document.body.append(dialog);
  dialog.showModal();
  show(index);
}
