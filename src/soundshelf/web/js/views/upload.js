// Upload: drop or pick many files, or a whole folder (an album: the server groups its
// tracks by their tags). The list is kept by this module, so uploads go on (and stay
// visible) while the user looks at other pages.
import { droppedFiles, pickedFiles } from "../components/dropped-files.js";
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
    uploads.add(pickedFiles(input));
    input.value = "";
  });
  const folderInput = h("input", {
    type: "file",
    webkitdirectory: true,
    id: "upload-folder",
    class: "visually-hidden",
    tabindex: "-1", // its button takes the focus
  });
  folderInput.addEventListener("change", () => {
    uploads.add(pickedFiles(folderInput));
    folderInput.value = "";
  });
  const folderButton = h(
    "button",
    { type: "button", class: "button secondary", onclick: () => folderInput.click() },
    "Choose a folder (an album)",
  );
  const zone = h(
    "label",
    { class: "drop-zone", for: "upload-input" },
    icon("plus"),
    h("strong", {}, "Drop files or folders here, or choose files"),
    h("span", { class: "hint" }, "Music (MP3, AAC, FLAC, Ogg, WAV…), photos and other files."),
  );
  zone.addEventListener("dragover", (event) => {
    event.preventDefault(); // allows the drop
    zone.classList.add("dragging");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
  zone.addEventListener("drop", async (event) => {
    event.preventDefault();
    zone.classList.remove("dragging");
    uploads.add(await droppedFiles(event.dataTransfer));
  });
  container.append(
    heading("Upload"),
    input,
    folderInput,
    zone,
    h("p", { class: "actions" }, folderButton),
    h(
      "p",
      { class: "hint" },
      "Tracks tagged with an album go into that album, in disc and track order. " +
        "New tracks are private until you change who can listen.",
    ),
    uploads,
  );
}
