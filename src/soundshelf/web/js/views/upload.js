// Upload: drop or pick many files. The list is kept by this module, so uploads go on
// (and stay visible) while the user looks at other pages.
import "../components/upload-list.js";
import { h, icon } from "../dom.js";
import { heading } from "../ui.js";

const uploads = h("ss-upload-list");

// Leaving the site would cut uploads that are still sending.
addEventListener("beforeunload", (event) => {
  if (uploads.busy) event.preventDefault();
});

export function render(container) {
  const input = h("input", {
    type: "file",
    multiple: true,
    id: "upload-input",
    class: "visually-hidden",
  });
  input.addEventListener("change", () => {
    uploads.add([...input.files]);
    input.value = "";
  });
  const zone = h(
    "label",
    { class: "drop-zone", for: "upload-input" },
    icon("plus"),
    h("strong", {}, "Drop files here or choose them"),
    h("span", { class: "hint" }, "Music (MP3, AAC, FLAC, Ogg, WAV…), photos and other files."),
  );
  zone.addEventListener("dragover", (event) => {
    event.preventDefault(); // allows the drop
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    uploads.add([...event.dataTransfer.files]);
  });
  container.append(
    heading("Upload"),
    input,
    zone,
    h("p", { class: "hint" }, "New tracks are private until you change who can listen."),
    uploads,
  );
}
