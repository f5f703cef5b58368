// Home: what is new in public, and the listener's likes.
import { currentUser } from "../api.js";
import { trackSection } from "../components/track-list.js";
import { h } from "../dom.js";
import { heading } from "../ui.js";

export function render(container, { signal }) {
  const user = currentUser();
  if (user) {
    container.append(heading(`Hello, ${user.displayName || user.username}`));
  } else {
    container.append(
      heading("Music from people, not algorithms"),
      h(
        "p",
        { class: "lead" },
        "Upload your own music, stream it anywhere and share it with friends. ",
        h("a", { href: "/signup" }, "Create a free account"),
        " or ",
        h("a", { href: "/signin" }, "sign in"),
        ".",
      ),
    );
  }
  container.append(
    trackSection("Recently added", "/tracks?limit=20", {
      signal,
      empty: "No public tracks yet. Be the first to upload one!",
    }),
  );
  if (user) {
    container.append(
      trackSection("Your likes", "/me/likes?limit=20", {
        signal,
        empty: "Tracks you like show up here. Press the heart next to a track.",
      }),
    );
  }
}
