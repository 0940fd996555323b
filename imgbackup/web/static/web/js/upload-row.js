// One row of the upload list: a thumbnail of the chosen file, its name and size, a progress
// bar, a Retry button, and under the name what happened to it.
import { el } from "./dom.js";
import { formatBytes } from "./format.js";

// Decoding a huge file for a 40 px picture is not worth it (a panorama, a RAW-sized TIFF).
const THUMBNAIL_LIMIT = 50 * 1024 * 1024;

export function uploadRow(file, { onRetry, thumbnails, photo }) {
  const thumb = el("span", { class: "thumb" }); // a grey square until (unless) a picture comes
  if (photo && file.size <= THUMBNAIL_LIMIT) {
    const img = el("img", { alt: "", decoding: "async" });
    thumb.append(img);
    thumbnails.watch(img, file);
  }
  const status = el("span", { class: "state" });
  const bar = el("progress", { max: file.size || 1, value: 0 });
  const retry = el("button", { type: "button", class: "link retry", hidden: true, onclick: onRetry }, "Retry");
  // Read in this order (name, what happened, size...); the grid places them.
  const li = el("li", { class: "upload" }, thumb,
    el("span", { class: "name", title: file.name }, file.name), status,
    el("span", { class: "size" }, formatBytes(file.size)), bar, retry);
  return { li, status, bar, retry };
}

/** The server starts a file's error with its name ("IMG_1.jpg: the file is empty") for
 * clients that send many files at once; the row already shows the name. */
export function withoutName(message, ...names) {
  for (const name of names) {
    if (name && message.startsWith(`${name}: `)) return message.slice(name.length + 2);
  }
  return message;
}

/**
 * Thumbnails from the chosen files themselves (object URLs: nothing is sent or copied), made
 * only for rows scrolled into view, and each URL revoked as soon as its picture is decoded, so
 * a thousand-file upload holds a handful of them at a time.
 */
export class Thumbnails {
  constructor(root) {
    this.files = new WeakMap();
    this.live = new Set();
    this.observer = new IntersectionObserver((entries) => this.show(entries), { root, rootMargin: "200px 0px" });
  }

  watch(img, file) {
    this.files.set(img, file);
    this.observer.observe(img);
  }

  show(entries) {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const img = entry.target;
      this.observer.unobserve(img);
      const url = URL.createObjectURL(this.files.get(img));
      this.live.add(url);
      const done = () => this.revoke(url);
      img.addEventListener("load", done, { once: true });
      // Not decodable here (HEIC in most browsers, a damaged file): the grey square stays.
      img.addEventListener("error", () => { done(); img.remove(); }, { once: true });
      img.src = url;
    }
  }

  revoke(url) {
    if (this.live.delete(url)) URL.revokeObjectURL(url);
  }

  /** The list was cleared: stop watching and let go of every URL still held. */
  clear() {
    this.observer.disconnect();
    for (const url of [...this.live]) this.revoke(url);
  }
}
