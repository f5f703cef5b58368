// Albums dashboard: my albums in a table sorted by rank, with add, edit and delete in a
// dialog whose fields show the API's validation messages.
import { api } from "../api.js";
import { openShareDialog } from "../components/share-dialog.js";
import { h } from "../dom.js";
import { VISIBILITY, field, onSubmit, orNull, submitButton } from "../forms.js";
import { confirmDialog, fill, heading, notify, state, takenDownBadge } from "../ui.js";

const COLUMNS = ["Title", "Artist", "Year", "Genre", "Visibility"];

export function render(container, { signal }) {
  let albums = [];
  let descending = false;
  const body = h("tbody");
  const sortButton = h("button", { class: "sort", type: "button" }, "Rank");
  const rankHeader = h("th", { scope: "col", "aria-sort": "ascending" }, sortButton);
  const table = h(
    "table",
    { class: "albums" },
    h("caption", { class: "visually-hidden" }, "My albums"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        rankHeader,
        COLUMNS.map((name) => h("th", { scope: "col" }, name)),
        h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, "Actions")),
      ),
    ),
    body,
  );
  const slot = h("div");
  const add = h("button", { class: "button", type: "button" }, "Add album");

  // Albums without a rank go last either way.
  function content() {
    const sign = descending ? -1 : 1;
    albums.sort((a, b) => sign * ((a.rank ?? Infinity) - (b.rank ?? Infinity)) || 0);
    rankHeader.setAttribute("aria-sort", descending ? "descending" : "ascending");
    sortButton.dataset.direction = descending ? "down" : "up";
    body.replaceChildren(...albums.map((album) => row(album)));
    if (!albums.length) return state("No albums yet. Add one to order your releases by rank.");
    return h("div", { class: "table-wrap" }, table);
  }

  function draw(focusId) {
    slot.replaceChildren(content());
    if (focusId) body.querySelector(`[data-album-id="${focusId}"] .edit`)?.focus();
  }

  function row(album) {
    const cells = [album.title, album.artist, album.year ?? "", album.genre, album.visibility];
    const badge = takenDownBadge(album);
    return h(
      "tr",
      { "data-album-id": album.albumId },
      h("td", { "data-label": "Rank" }, album.rank ?? "–"),
      // No text node for a blank value, so `td:empty` can hide it on small screens.
      cells.map((value, i) =>
        h(
          "td",
          { "data-label": COLUMNS[i] },
          String(value) || null,
          i === 0 && badge ? [" ", badge] : null,
        ),
      ),
      h(
        "td",
        { class: "row-actions" },
        h(
          "button",
          {
            class: "button secondary small edit",
            "aria-label": `Edit ${album.title}`,
            onclick: () => albumDialog(album, saved),
          },
          "Edit",
        ),
        h(
          "button",
          {
            class: "button secondary small",
            "aria-label": `Share ${album.title}`,
            onclick: () =>
              openShareDialog({ targetType: "album", targetId: album.albumId, title: album.title }),
          },
          "Share",
        ),
        h(
          "button",
          {
            class: "button danger small",
            "aria-label": `Delete ${album.title}`,
            onclick: () => remove(album),
          },
          "Delete",
        ),
      ),
    );
  }

  function saved(album) {
    albums = albums.filter((a) => a.albumId !== album.albumId).concat(album);
    notify(`Saved “${album.title}”`);
    draw(album.albumId);
  }

  async function remove(album) {
    if (!(await confirmDialog(`Delete the album “${album.title}”? Its tracks are kept.`))) return;
    try {
      await api(`/albums/${encodeURIComponent(album.albumId)}`, { method: "DELETE" });
      albums = albums.filter((a) => a.albumId !== album.albumId);
      notify(`Deleted “${album.title}”`);
      draw();
      add.focus();
    } catch (error) {
      notify(error.message, { error: true });
    }
  }

  sortButton.addEventListener("click", () => {
    descending = !descending;
    draw();
  });
  add.addEventListener("click", () => albumDialog(null, saved));
  container.append(heading("Albums", add), slot);
  fill(slot, async () => {
    albums = await loadAll(signal);
    return content();
  });
}

async function loadAll(signal) {
  const all = [];
  let cursor = null;
  do {
    const query = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page = await api(`/albums?owner=me&sort=rank&limit=200${query}`, { signal });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

/** Add (album = null) or edit an album in a modal dialog; `onSaved(album)` after. */
function albumDialog(album, onSaved) {
  const title = album ? "Edit album" : "Add album";
  const form = h(
    "form",
    { class: "form" },
    field("Title", "title", { value: album?.title, autocomplete: "off" }),
    field("Artist", "artist", { value: album?.artist }),
    h(
      "div",
      { class: "field-row" },
      field("Year", "year", { value: album?.year ?? "", inputmode: "numeric" }),
      field("Rank", "rank", {
        value: album?.rank ?? "",
        inputmode: "numeric",
        hint: "1 comes first.",
      }),
    ),
    field("Genre", "genre", { value: album?.genre }),
    field("Who can see it", "visibility", {
      type: "select",
      choices: VISIBILITY,
      value: album?.visibility ?? "private",
    }),
  );
  const cancel = h("button", { type: "button", class: "button secondary" }, "Cancel");
  form.append(h("div", { class: "actions" }, submitButton("Save"), cancel));
  const dialog = h(
    "dialog",
    { class: "dialog", "aria-labelledby": "album-dialog-title" },
    h("h2", { id: "album-dialog-title" }, title),
    form,
  );
  cancel.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  onSubmit(
    form,
    async (values) => {
      const body = { ...values, year: orNull(values.year), rank: orNull(values.rank) };
      const result = album
        ? await api(`/albums/${encodeURIComponent(album.albumId)}`, {
            method: "PATCH",
            headers: { "If-Match": `"v${album.version}"` },
            body,
          })
        : await api("/albums", { method: "POST", body });
      dialog.close();
      onSaved(result);
    },
    // "Same title and artist" is about the title; the API does not say which field.
    { fieldOf: (error) => (error.code === "conflict" ? "title" : undefined) },
  );
  document.body.append(dialog);
  dialog.showModal();
}
