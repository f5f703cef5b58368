// A photo that shows its BlurHash placeholder until the image itself has loaded. The
// canvas and the image are laid out alike from the photo's proportions (known before
// either has a pixel), so the one replaces the other in place: cropped to fill a gallery
// tile, or whole within the frame for a photo on its own. (Canvas ignores object-fit.)
import { h } from "../dom.js";
import { placeholderCanvas } from "./blurhash.js";

/** A short name for a photo: its caption, else when it was taken. */
export function photoName(photo) {
  if (photo.caption) return photo.caption;
  const date = new Date(photo.takenAt || photo.createdAt).toLocaleDateString(undefined, {
    dateStyle: "medium",
  });
  return `Photo of ${date}`;
}

/**
 * `tile`: a gallery thumbnail (the thumb, or the medium size on dense screens), lazily
 * loaded; otherwise the large size.
 */
export function photoFrame(photo, { tile = false } = {}) {
  const { thumb, medium, large } = photo.urls;
  const img = h("img", {
    alt: tile ? "" : photoName(photo), // a tile's button carries the name
    width: photo.width,
    height: photo.height,
    decoding: "async",
    loading: tile ? "lazy" : null,
    sizes: tile ? "(max-width: 600px) 50vw, 14rem" : null,
    srcset: tile && thumb && medium ? `${thumb} 200w, ${medium} 720w` : null,
  });
  const frame = h(
    "span",
    { class: tile ? "photo-frame tile" : "photo-frame" },
    placeholderCanvas(photo.placeholder, photo.width, photo.height),
    img,
  );
  // Through the CSSOM, which the CSP allows (unlike a style attribute in markup).
  frame.style.setProperty("--ratio", String(photo.width / photo.height || 1));
  img.addEventListener("load", () => frame.classList.add("loaded"));
  img.src = (tile ? thumb : large) || medium || large || thumb || "";
  return frame;
}
