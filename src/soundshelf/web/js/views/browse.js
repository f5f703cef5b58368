// Browse the platform's public music: an albums grid (newest, A–Z, by year, most played,
// random), an artists grid, the genres and a genre's page. Every name is a link.
import { api } from "../api.js";
import { pagedList } from "../components/paged.js";
import { trackSection } from "../components/track-list.js";
import { h } from "../dom.js";
import { navigate } from "../router.js";
import { fill, heading, state } from "../ui.js";

const SORTS = [
  ["newest", "Newest"],
  ["alpha", "A–Z"],
  ["year", "By year"],
  ["played", "Most played"],
  ["random", "Random"],
];

const enc = encodeURIComponent;

function tabs(current) {
  const links = [
    ["/browse", "Albums"],
    ["/browse/artists", "Artists"],
    ["/genres", "Genres"],
  ];
  return h(
    "nav",
    { class: "browse-tabs", "aria-label": "Browse" },
    links.map(([href, text]) =>
      h("a", { href, "aria-current": href === current ? "page" : null }, text),
    ),
  );
}

/** A square cover (or a gradient placeholder with the initial) linking to `href`. */
function tile(href, title, subtitle, imageUrl) {
  const art = imageUrl
    ? h("img", { class: "tile-art", src: imageUrl, alt: "", loading: "lazy" })
    : h("span", { class: "tile-art tile-blank", "aria-hidden": "true" }, title.slice(0, 1));
  return h(
    "li",
    { class: "tile" },
    h("a", { href, class: "tile-link" }, art, h("span", { class: "tile-title" }, title)),
    subtitle,
  );
}

/** One album of a grid: the cover and title link to the album, the artist to theirs. */
export function albumTile(album) {
  return tile(
    `/albums/${enc(album.albumId)}`,
    album.title,
    h(
      "span",
      { class: "tile-sub" },
      h("a", { href: `/artists/${enc(album.owner)}` }, album.artist),
      album.year ? ` · ${album.year}` : "",
    ),
    album.coverUrl,
  );
}

export function render(container, { query, signal }) {
  const sort = SORTS.some(([value]) => value === query.get("sort")) ? query.get("sort") : "newest";
  const choose = h(
    "select",
    { id: "browse-sort", name: "sort" },
    SORTS.map(([value, text]) => h("option", { value, selected: value === sort }, text)),
  );
  choose.addEventListener("change", () =>
    navigate(`/browse?sort=${enc(choose.value)}`, { replace: true, focus: false }),
  );
  const label = h("label", { for: "browse-sort" }, "Sort");
  const sorter = h("div", { class: "field-inline" }, label, choose);
  container.append(
    heading("Browse"),
    tabs("/browse"),
    sorter,
    pagedList(`/browse/albums?sort=${enc(sort)}&limit=24`, albumTile, {
      signal,
      empty: "No public albums yet.",
      list: h("ul", { class: "tile-grid", "aria-label": "Albums" }),
    }),
  );
}

export function artists(container, { signal }) {
  const followers = (n) => `${n} follower${n === 1 ? "" : "s"}`;
  const row = (artist) =>
    tile(
      `/artists/${enc(artist.username)}`,
      artist.name,
      h("span", { class: "tile-sub" }, followers(artist.followerCount)),
      artist.imageUrl,
    );
  container.append(
    heading("Artists"),
    tabs("/browse/artists"),
    pagedList("/browse/artists?limit=24", row, {
      signal,
      empty: "No artists yet.",
      list: h("ul", { class: "tile-grid", "aria-label": "Artists" }),
    }),
  );
}

export function genres(container, { signal }) {
  const row = (genre) =>
    h(
      "li",
      {},
      h("a", { class: "genre-chip", href: `/genres/${enc(genre.name)}` }, genre.name),
      h("span", { class: "muted" }, ` ${genre.albumCount} albums · ${genre.trackCount} tracks`),
    );
  container.append(
    heading("Genres"),
    tabs("/genres"),
    pagedList("/browse/genres?limit=100", row, {
      signal,
      empty: "No genres yet.",
      list: h("ul", { class: "genre-list" }),
    }),
  );
}

export function genre(container, { params, signal }) {
  const head = heading(params.genre);
  const slot = h("div");
  container.append(head, tabs(""), slot);
  fill(slot, async () => {
    let found;
    try {
      found = await api(`/browse/genres/${enc(params.genre)}`, { signal });
    } catch (error) {
      if (error.status === 404) return state("No public music in this genre yet.");
      throw error;
    }
    head.querySelector("h1").textContent = found.name;
    document.title = `${found.name} · Soundshelf`;
    return h(
      "div",
      {},
      h(
        "section",
        { class: "section", "aria-labelledby": "genre-albums" },
        h("h2", { id: "genre-albums" }, "Albums"),
        pagedList(`/browse/albums?genre=${enc(found.name)}&limit=24`, albumTile, {
          signal,
          empty: "No albums in this genre yet.",
          list: h("ul", { class: "tile-grid", "aria-label": `${found.name} albums` }),
        }),
      ),
      trackSection("Tracks", `/browse/genres/${enc(found.name)}/tracks`, {
        signal,
        empty: "No tracks in this genre yet.",
      }),
    );
  });
}
