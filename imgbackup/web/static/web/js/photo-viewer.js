// A read-only viewer for albums and share links: one photo's preview over the page,
// previous/next by buttons, arrow keys or a swipe, Escape or ✕ to close, and a download link
// when the photo has one. Extra actions (remove from album) come from the page as buttons.
import { el } from "./dom.js";

const SWIPE_PX = 50;

export class PhotoViewer {
  /** ``actions(photo)`` returns extra elements for the panel (may be empty). */
  constructor({ actions = () => [] } = {}) {
    this.items = [];
    this.index = -1;
    this.actions = actions;
    this.image = el("img", { alt: "", class: "pv-image" });
    this.caption = el("p", { class: "pv-caption" });
    this.tools = el("div", { class: "pv-tools" });
    const stage = el("div", { class: "pv-stage" }, this.image,
      el("button", { type: "button", class: "pv-nav prev", "aria-label": "Previous photo", onclick: () => this.step(-1) }, "‹"),
      el("button", { type: "button", class: "pv-nav next", "aria-label": "Next photo", onclick: () => this.step(1) }, "›"));
    this.root = el("div", { class: "pv", role: "dialog", "aria-modal": "true", "aria-label": "Photo viewer", tabindex: "-1", hidden: true },
      stage, el("div", { class: "pv-bar" }, this.caption, this.tools,
        el("button", { type: "button", class: "pv-close", "aria-label": "Close", onclick: () => this.close() }, "✕")));
    document.body.append(this.root);
    document.addEventListener("keydown", (event) => {
      if (this.root.hidden) return;
      if (event.key === "Escape") this.close();
      else if (event.key === "ArrowLeft") this.step(-1);
      else if (event.key === "ArrowRight") this.step(1);
    });
    this.listenForSwipes(stage);
  }

  open(items, index) {
    this.items = items;
    this.returnFocus = document.activeElement;
    this.root.hidden = false;
    document.body.classList.add("viewing");
    this.show(index);
    this.root.focus();
  }

  show(index) {
    if (index < 0 || index >= this.items.length) return;
    this.index = index;
    const photo = this.items[index];
    this.image.src = photo.urls.preview;
    this.image.alt = photo.filename || "photo";
    this.caption.textContent = [photo.filename, photo.taken_at && new Date(photo.taken_at).toLocaleString()]
      .filter(Boolean).join(" · ") || `${index + 1} of ${this.items.length}`;
    const download = photo.urls.original
      ? el("a", { class: "button", href: photo.urls.original + "?download=1", download: "" }, "Download")
      : null;
    this.tools.replaceChildren(...[download, ...this.actions(photo)].filter(Boolean));
  }

  step(delta) {
    this.show(this.index + delta);
  }

  close() {
    this.root.hidden = true;
    this.image.removeAttribute("src");
    document.body.classList.remove("viewing");
    if (this.returnFocus) this.returnFocus.focus();
  }

  listenForSwipes(stage) {
    let startX = null;
    stage.addEventListener("touchstart", (e) => { startX = e.touches.length === 1 ? e.touches[0].clientX : null; }, { passive: true });
    stage.addEventListener("touchend", (e) => {
      if (startX === null) return;
      const dx = e.changedTouches[0].clientX - startX;
      if (Math.abs(dx) > SWIPE_PX) this.step(dx < 0 ? 1 : -1);
      startX = null;
    });
  }
}

/** A grid of thumbnails that opens the viewer; ``items`` are API photo objects. */
export function drawGrid(grid, items, viewer) {
  grid.replaceChildren(...items.map((photo, index) => el("li", { class: "pv-tile" },
    el("button", { type: "button", class: "pv-open", "aria-label": photo.filename || `Photo ${index + 1}`,
      dataset: { id: photo.id }, onclick: () => viewer.open(items, index) },
    el("img", { src: photo.urls.thumbnail, alt: "", loading: "lazy" })),
    // Sent by a guest through a share link: the album's owner reviews these.
    photo.guest_upload ? el("span", { class: "pv-badge" }, "guest") : null)));
}
