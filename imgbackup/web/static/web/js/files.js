// What a drop or a file picker hands over, flattened to a list of File objects: a dropped
// folder is walked recursively, so "drag the whole folder in" works.

export async function filesFromDrop(dataTransfer) {
  const entries = [...dataTransfer.items]
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter(Boolean);
  if (!entries.length) return [...dataTransfer.files];
  const files = [];
  for (const entry of entries) await walk(entry, files);
  return files;
}

async function walk(entry, files) {
  if (entry.isFile) {
    files.push(await new Promise((resolve, reject) => entry.file(resolve, reject)));
  } else if (entry.isDirectory) {
    const reader = entry.createReader();
    // readEntries answers in batches (100 in Chromium) until it answers an empty one.
    for (;;) {
      const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
      if (!batch.length) break;
      for (const child of batch) await walk(child, files);
    }
  }
}

const MEDIA_EXTENSIONS = /\.(jpe?g|png|gif|webp|heic|heif|avif|tiff?|bmp|dng|mp4|m4v|mov|3gp|3g2|mkv|webm|avi|mts|m2ts|ts)$/i;

/** A file the server may take: an image or video type, or such an extension when the type is
 * unknown (browsers give MTS files no type). The server decides from the bytes. */
export function looksLikePhoto(file) {
  if (file.type && (file.type.startsWith("image/") || file.type.startsWith("video/"))) return true;
  return MEDIA_EXTENSIONS.test(file.name);
}
