// Photo galleries: mine, my friends' (their friends-only and public photos) or one
// person's (?owner=), each filtered by a tag (?tag=). Tiles show the BlurHash
// placeholder until the thumbnail is in; a tile opens the lightbox.
import { currentUser } from "../api.js";
import { openLightbox } from "../components/lightbox.js";
import { pagedList } from "../components/paged.js";
import { photoFrame, photoName } from "../components/photo-frame.js";
import { h } from "../dom.js";
import { navigate } from "../router.js";
import { heading } from "../ui.js";

export function render(container, { query, signal }) {
  const me = currentUser().username;
  const asked = query.get("owner") || "me";
  const owner = asked === me ? "me" : asked;
  const tag = (query.get("tag") || "").trim();
  const title = { me: "My photos", friends: "Friends’ photos" }[owner] || `Photos by ${owner}`;
  const listing = new URLSearchParams({ owner });
  if (tag) listing.set("tag", tag);

  const grid = h("ul", { class: "photo-grid" });
  const tile = (photo, photos) => {
    const open = () =>
      openLightbox(photos, photos.indexOf(photo), {
        onChange: (changed) => item.replaceWith(tile(changed, photos)),
        onDelete: () => item.remove(),
      });
    const name = owner === "me" ? photoName(photo) : `${photoName(photo)}, by ${photo.owner}`;
    const item = h(
      "li",
      { "data-photo-id": photo.photoId },
      h(
        "button",
        { type: "button", class: "photo-tile", "aria-label": `Open ${name}`, onclick: open },
        photoFrame(photo, { tile: true }),
        owner === "friends" ? h("span", { class: "tile-owner" }, photo.owner) : null,
      ),
    );
    return item;
  };

  container.append(
    heading(title, owner === "me" ? h("a", { class: "button", href: "/upload" }, "Upload") : null),
    tabs(owner),
    tagFilter(owner, tag),
    pagedList(`/photos?${listing}`, tile, {
      signal,
      list: grid,
      empty: emptyText(owner, tag),
    }),
  );
}

function tabs(owner) {
  const link = (href, text, current) =>
    h("a", { href, class: "tab", "aria-current": current ? "page" : null }, text);
  return h(
    "nav",
    { class: "tabs", "aria-label": "Galleries" },
    link("/photos", "My photos", owner === "me"),
    link("/photos?owner=friends", "Friends’ photos", owner === "friends"),
  );
}

function tagFilter(owner, tag) {
  const gallery = owner === "me" ? "/photos" : `/photos?owner=${encodeURIComponent(owner)}`;
  const input = h("input", {
    type: "search",
    name: "tag",
    id: "photo-tag",
    value: tag,
    autocomplete: "off",
    placeholder: "e.g. holiday",
  });
  const form = h(
    "form",
    { class: "tag-filter", role: "search" },
    h("label", { for: "photo-tag" }, "Tag"),
    input,
    h("button", { type: "submit", class: "button secondary" }, "Filter"),
    tag ? h("a", { href: gallery }, "Show all") : null,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams(owner === "me" ? {} : { owner });
    const value = input.value.trim().replace(/^#/, "");
    if (value) params.set("tag", value);
    navigate(`/photos${params.size ? `?${params}` : ""}`);
  });
  return form;
}

function emptyText(owner, tag) {
  if (tag) return `No photos tagged “${tag}”.`;
  if (owner === "me") return "No photos yet. Upload some: they are private until you share them.";
  if (owner === "friends") return "Your friends have not shared any photos with you yet.";
  return "No photos you can see here.";
}
