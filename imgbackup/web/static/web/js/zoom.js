// Zoom and pan in the viewer: the wheel or a pinch zooms around the pointer, a double click
// or double tap toggles 2.5x, a drag pans while zoomed. Past the preview's own resolution the
// image switches to the original, so a zoomed photo shows its real pixels (HEIC and TIFF,
// which browsers cannot show, stay on the preview).
const DOUBLE = 2.5;
const SHOWABLE = /^image\/(jpeg|png|webp|gif|avif)$/;

export class Zoom {
  constructor(stage, image) {
    this.stage = stage;
    this.image = image;
    this.pointers = new Map();
    this.reset(null);
    stage.addEventListener("wheel", (event) => this.onWheel(event), { passive: false });
    image.addEventListener("dblclick", (event) => this.toggle(event));
    stage.addEventListener("pointerdown", (event) => this.onDown(event));
    stage.addEventListener("pointermove", (event) => this.onMove(event));
    for (const type of ["pointerup", "pointercancel", "pointerleave"]) {
      stage.addEventListener(type, (event) => this.pointers.delete(event.pointerId));
    }
  }

  get zoomed() {
    return this.scale > 1.01;
  }

  /** A new photo is shown: back to fit. */
  reset(photo) {
    this.photo = photo;
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.pointers.clear();
    this.apply();
  }

  /** The most it zooms: twice the original's own pixels, at least 4x the fitted size. */
  get maxScale() {
    const shown = this.image.getBoundingClientRect().width / this.scale || 1;
    return Math.max(4, ((this.photo && this.photo.width) || 0) / shown * 2);
  }

  zoomAt(scale, clientX, clientY) {
    const next = Math.min(Math.max(scale, 1), this.maxScale);
    const box = this.stage.getBoundingClientRect();
    // Keep the point under the pointer where it is: offsets are from the stage's centre.
    const px = clientX - box.left - box.width / 2;
    const py = clientY - box.top - box.height / 2;
    this.x = px - ((px - this.x) * next) / this.scale;
    this.y = py - ((py - this.y) * next) / this.scale;
    this.scale = next;
    if (next === 1) this.x = this.y = 0;
    this.apply();
  }

  apply() {
    this.image.style.transform = this.zoomed ? `translate(${this.x}px, ${this.y}px) scale(${this.scale})` : "";
    this.image.classList.toggle("zoomed", this.zoomed);
    this.stage.classList.toggle("zoomed", this.zoomed);
    if (this.zoomed) this.sharpen();
  }

  /** Past the preview's resolution, show the original (when the browser can). */
  sharpen() {
    const photo = this.photo;
    if (!photo || this.image.dataset.full === photo.id || !SHOWABLE.test(photo.content_type)) return;
    const shownWidth = this.image.getBoundingClientRect().width;
    if (shownWidth <= this.image.naturalWidth || (photo.width || 0) <= this.image.naturalWidth) return;
    this.image.dataset.full = photo.id;
    this.image.src = photo.urls.original;
  }

  onWheel(event) {
    event.preventDefault();
    this.zoomAt(this.scale * Math.exp(-event.deltaY * 0.002), event.clientX, event.clientY);
  }

  toggle(event) {
    this.zoomAt(this.zoomed ? 1 : DOUBLE, event.clientX, event.clientY);
  }

  onDown(event) {
    this.pointers.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (this.pointers.size === 2) this.pinch = { distance: this.distance(), scale: this.scale };
  }

  onMove(event) {
    const last = this.pointers.get(event.pointerId);
    if (!last) return;
    const now = { x: event.clientX, y: event.clientY };
    this.pointers.set(event.pointerId, now);
    if (this.pointers.size === 2 && this.pinch) {
      const [a, b] = [...this.pointers.values()];
      this.zoomAt(this.pinch.scale * (this.distance() / this.pinch.distance), (a.x + b.x) / 2, (a.y + b.y) / 2);
    } else if (this.pointers.size === 1 && this.zoomed) {
      this.x += now.x - last.x;
      this.y += now.y - last.y;
      this.apply();
    }
  }

  distance() {
    const [a, b] = [...this.pointers.values()];
    return Math.hypot(a.x - b.x, a.y - b.y) || 1;
  }
}
