// My tracks: everything I uploaded, whatever its visibility, with edit and delete.
import { trackSection } from "../components/track-list.js";
import { h } from "../dom.js";
import { heading } from "../ui.js";

export function render(container, { signal }) {
  container.append(
    heading("My tracks", h("a", { class: "button", href: "/upload" }, "Upload")),
    trackSection("Uploaded by me", "/tracks?owner=me", {
      signal,
      empty: "You have not uploaded any music yet.",
    }),
  );
}
