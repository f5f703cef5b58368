// The playing track, marked wherever a list shows it: every element with its
// `data-track-id` gets `aria-current="true"` (and the `.playing` look), in lists on the
// page now and in those drawn later (a MutationObserver marks rows as they arrive), so no
// list has to know about the player.
let playing = null;

function mark(row) {
  const on = playing !== null && row.dataset.trackId === playing;
  row.classList.toggle("playing", on);
  if (on) row.setAttribute("aria-current", "true");
  else if (row.getAttribute("aria-current") === "true") row.removeAttribute("aria-current");
}

function markWithin(root) {
  if (root.matches("[data-track-id]")) mark(root);
  for (const row of root.querySelectorAll("[data-track-id]")) mark(row);
}

new MutationObserver((records) => {
  if (playing === null) return;
  for (const record of records) {
    for (const node of record.addedNodes) if (node.nodeType === Node.ELEMENT_NODE) markWithin(node);
  }
}).observe(document.documentElement, { childList: true, subtree: true });

/** `trackId` is now the one playing (null: none). */
export function setNowPlaying(trackId) {
  if (trackId === playing) return;
  playing = trackId;
  markWithin(document.documentElement);
}
