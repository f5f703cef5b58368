// The files of a drop, folders included: a dropped folder arrives as one directory entry
// (its `files` item is an empty stand-in), so its tree is read entry by entry. Hidden
// files (".DS_Store", "._cover.jpg") are left out; a whole album folder uploads as its
// tracks, which the server groups into the album their tags name.

const MAX_FILES = 2000; // a drop of a whole music library is cut here, not the browser

const visible = (file) => !file.name.startsWith(".");

/** Every file of `dataTransfer`, reading into dropped folders. */
export async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items]
    .map((item) => (item.kind === "file" ? item.webkitGetAsEntry?.() : null))
    .filter(Boolean);
  if (!entries.some((entry) => entry.isDirectory)) {
    return [...dataTransfer.files].filter(visible).slice(0, MAX_FILES);
  }
  const files = [];
  for (const entry of entries) await collect(entry, files);
  return files;
}

/** The files picked with a folder chooser (`webkitdirectory`), without hidden ones. */
export const pickedFiles = (input) => [...input.files].filter(visible).slice(0, MAX_FILES);

async function collect(entry, files) {
  if (files.length >= MAX_FILES || entry.name.startsWith(".")) return;
  if (entry.isFile) {
    files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
    return;
  }
  const reader = entry.createReader();
  // readEntries answers in batches (100 in Chrome) until an empty one.
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return;
    for (const child of batch) await collect(child, files);
  }
}
