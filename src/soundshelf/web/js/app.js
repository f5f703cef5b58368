// Entry module: resumes the session, starts the player and the router, and keeps the
// header in step with who is signed in.
import { currentUser, onSessionChange, signOut, start } from "./api.js";
import { navigate, refresh, startRouter } from "./router.js";
import { notify } from "./ui.js";
import "./player.js";

const view = (name) => () => import(`./views/${name}.js`);

const ROUTES = [
  { path: "/", load: view("home") },
  { path: "/signin", load: view("auth"), view: "signIn" },
  { path: "/signup", load: view("auth"), view: "signUp" },
  { path: "/forgot-password", load: view("auth"), view: "forgotPassword" },
  { path: "/library", load: view("library"), auth: true },
  { path: "/tracks/:trackId/edit", load: view("track-edit"), auth: true },
  { path: "/albums", load: view("albums"), auth: true },
  { path: "/albums/:albumId", load: view("album") },
  { path: "/browse", load: view("browse") },
  { path: "/browse/artists", load: view("browse"), view: "artists" },
  { path: "/genres", load: view("browse"), view: "genres" },
  { path: "/genres/:genre", load: view("browse"), view: "genre" },
  { path: "/artists/:username", load: view("artist") },
  { path: "/upload", load: view("upload"), auth: true },
  { path: "/playlists", load: view("playlists") },
  { path: "/playlists/:playlistId", load: view("playlist") },
  { path: "/photos", load: view("photos"), auth: true },
  { path: "/files", load: view("files"), auth: true },
  { path: "/friends", load: view("friends"), auth: true },
  { path: "/notifications", load: view("notifications"), auth: true },
  { path: "/s/:token", load: view("share") },
  { path: "/settings", load: view("settings"), auth: true },
  { path: "/search", load: view("search") },
  { path: "/admin", load: view("admin"), auth: true },
  { path: "/admin/users", load: view("admin-users"), auth: true },
  { path: "/admin/stats", load: view("admin-stats"), auth: true },
  { path: "/admin/audit", load: view("admin-audit"), auth: true },
  { path: "*", load: view("not-found") },
];

function showSession() {
  const user = currentUser();
  // The bell's module is fetched for signed-in people only; it then keeps itself current
  // (should it fail to load, the bell stays a plain link to the notifications).
  if (user) import("./components/notification-bell.js").catch(() => {});
  document.documentElement.dataset.session = user ? "in" : "out";
  // Only hides the Admin link: the admin pages and the API check the role themselves.
  document.documentElement.dataset.admin = String(Boolean(user?.roles.includes("admin")));
  document.querySelector(".whoami").textContent = user ? user.displayName || user.username : "";
}

// Home first, so the sign-out's own refresh lands on a public page.
document.getElementById("sign-out").addEventListener("click", () => {
  navigate("/");
  signOut();
});

const searchBox = document.getElementById("search-q");
let typing; // the pause after the last keystroke

document.querySelector(".search").addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(typing);
  const q = searchBox.value.trim();
  navigate(q ? `/search?q=${encodeURIComponent(q)}` : "/search");
});

// Results follow the box as you type (after a short pause), and the box keeps the focus;
// on the results page each pause replaces the entry in the history instead of adding one.
searchBox.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => {
    if (document.activeElement !== searchBox) return; // they went elsewhere meanwhile
    const q = searchBox.value.trim();
    const onResults = location.pathname === "/search";
    if (q.length < 2 && !onResults) return; // one letter finds nothing
    const url = q ? `/search?q=${encodeURIComponent(q)}` : "/search";
    navigate(url, { replace: onResults, focus: false });
  }, 300);
});

// The first view's module downloads while the session is being restored.
const session = start()
  .catch(() => {
    // The API does not answer: start signed out; each view says what failed.
  })
  .then(() => {
    showSession();
    document.querySelector("ss-player").restore();
    onSessionChange((reason) => {
      showSession();
      if (reason) notify(reason, { error: true });
      // Signed out (here, in another tab, or expired): private views go to sign-in.
      if (!currentUser()) refresh();
    });
  });
await startRouter(ROUTES, document.getElementById("view"), session);
performance.mark("soundshelf:first-render");
