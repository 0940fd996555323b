// The viewer: one photo's preview over the page, previous/next by buttons, arrow keys or a
// swipe, its metadata beside it, and download, add to album, favourite and delete (with undo).
// A partner's photo (merged into the timeline) is read-only: download only.
import { addToAlbum } from "./album-picker.js";
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { cameraName, formatBytes, formatDuration, formatLocal, takenSource } from "./format.js";
import { toast } from "./toast.js";
import { whyNotShown } from "./viewer-error.js";
import { Zoom } from "./zoom.js";
import { VideoPlayer } from "./video-player.js";

const SWIPE_PX = 50;

export class Viewer {
  /** ``source`` is the Timeline: items, loadMore(), done, ready(), hold(), update(), remove(),
   * reinsert(). Items far from the timeline's screen may be stubs (a folded page's, month-pages.js):
   * ready(i) fetches its page again before it is shown; hold() keeps the indexes still while the
   * viewer is open. */
  constructor(source) {
    this.source = source;
    this.index = -1;
    this.root = $("#viewer");
    this.image = $("#viewer-image");
    this.player = new VideoPlayer($("#viewer-video"), $("#viewer-video-note"));
    // No preview (a pixel bomb, damaged bytes): the photo is kept; the broken image says so.
    this.image.addEventListener("error", () => {
      if (this.image.getAttribute("src")) this.image.alt = "No preview of this photo: download the original";
    });
    $("#viewer-close").addEventListener("click", () => this.close());
    $("#viewer-prev").addEventListener("click", () => this.step(-1));
    $("#viewer-next").addEventListener("click", () => this.step(1));
    $("#viewer-favourite").addEventListener("click", () => this.toggleFavourite());
    $("#viewer-delete").addEventListener("click", () => this.trash());
    $("#viewer-album").addEventListener("click", () => this.addToAlbum());
    // A picture that does not come (server down, photo gone): a sentence, not a broken icon.
    this.image.addEventListener("error", () => this.notShown());
    this.image.addEventListener("load", () => { this.image.hidden = false; });
    $("#viewer-retry").addEventListener("click", () => this.show(this.index));
    $("#viewer-live").addEventListener("click", () => this.playMotion());
    this.image.addEventListener("mouseenter", () => this.playMotion());
    document.addEventListener("keydown", (event) => this.onKey(event));
    window.addEventListener("popstate", () => {
      if (!(history.state && history.state.viewer)) this.hide();
    });
    this.zoom = new Zoom($(".viewer-stage", this.root), this.image);
    this.listenForSwipes($(".viewer-stage", this.root));
  }

  get photo() {
    return this.source.items[this.index];
  }

  get isOpen() {
    return !this.root.hidden;
  }

  open(index) {
    if (index < 0 || index >= this.source.items.length) return;
    if (!this.isOpen) {
      this.returnFocus = document.activeElement;
      this.source.hold(true);
      history.pushState({ viewer: true }, "", location.pathname + location.search + "#photo");
      document.body.classList.add("viewing");
      this.setBackgroundInert(true);
      this.root.hidden = false;
      this.root.focus();
    }
    this.show(index);
  }

  show(index) {
    this.index = index;
    const photo = this.photo;
    this.root.dataset.id = photo.id;
    delete this.image.dataset.full;
    $("#viewer-error").hidden = true;
    const isVideo = photo.media_type === "video";
    this.image.hidden = isVideo;
    if (isVideo) {
      this.image.removeAttribute("src");
      this.player.show(photo);
    } else {
      this.player.hide();
      if (this.image.getAttribute("src") === photo.urls.preview) this.image.removeAttribute("src"); // load again
      this.image.src = photo.urls.preview;
    }
    this.zoom.reset(photo);
    this.image.alt = photo.filename || "photo";
    $("#viewer-live").hidden = !photo.has_motion;
    $("#viewer-filename").textContent = photo.filename || photo.id;
    this.renderMeta(photo);
    this.renderFavourite(photo);
    for (const id of ["#viewer-favourite", "#viewer-delete", "#viewer-album"]) $(id).hidden = Boolean(photo.read_only);
    const download = $("#viewer-download");
    download.href = photo.urls.original + "?download=1";
    download.setAttribute("download", photo.filename || photo.id);
    $("#viewer-prev").disabled = index === 0;
    $("#viewer-next").disabled = index === this.source.items.length - 1 && this.source.done;
    this.preload(index + 1);
    this.preload(index - 1);
  }

  async notShown() {
    const photo = this.photo;
    if (!this.isOpen || !photo || !this.image.getAttribute("src")) return;
    this.image.hidden = true;
    const text = $("#viewer-error-text");
    text.textContent = "Loading the photo failed; asking the server why…";
    $("#viewer-error").hidden = false;
    const why = await whyNotShown(photo.urls.preview);
    if (this.photo === photo && !$("#viewer-error").hidden) text.textContent = why;
  }

  /** A Live or Motion Photo moves on hover or on the Live button (a press, on phones). */
  playMotion() {
    const photo = this.photo;
    if (!photo || !photo.has_motion || !this.image.isConnected || this.image.hidden) return;
    this.image.hidden = true;
    this.player.showMotion(photo, () => {
      if (this.photo === photo) this.image.hidden = false;
    });
  }

  preload(index) {
    const photo = this.source.items[index];
    if (photo && !photo.stub) new Image().src = photo.urls.preview;
  }

  renderMeta(photo) {
    const camera = cameraName(photo.camera_make, photo.camera_model);
    const rows = [
      ["Taken", photo.taken_at ? `${formatLocal(photo.taken_at)}` : "", takenSource(photo.taken_at_source)],
      ["Camera", camera],
      ["Lens", photo.lens],
      ["Dimensions", photo.width && photo.height ? `${photo.width} × ${photo.height}` : ""],
      ["Duration", photo.duration ? formatDuration(photo.duration) : ""],
      ["Video", photo.video ? [photo.video.video_codec, photo.video.audio_codec, photo.video.fps ? `${photo.video.fps} fps` : ""].filter(Boolean).join(", ") : ""],
      ["Size", formatBytes(photo.size)],
      ["Type", photo.content_type],
      ["Place", placeName(photo.place)],
      ["Location", this.location(photo)],
      ["Uploaded", photo.uploaded_at ? formatLocal(photo.uploaded_at) : ""],
      ["Shared by", photo.read_only ? photo.owner : ""],
      ["SHA-256", el("code", { class: "hash", title: photo.sha256 }, photo.sha256)],
    ];
    $("#viewer-meta").replaceChildren(...rows.filter(([, value]) => value).flatMap(([label, value, note]) => [
      el("dt", {}, label),
      el("dd", {}, value, note ? el("small", {}, ` (${note})`) : null),
    ]));
  }

  location(photo) {
    if (photo.latitude === null || photo.latitude === undefined || photo.longitude === null || photo.longitude === undefined) return "";
    const lat = Number(photo.latitude).toFixed(5);
    const lon = Number(photo.longitude).toFixed(5);
    const href = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=15/${lat}/${lon}`;
    return el("a", { href, target: "_blank", rel: "noopener noreferrer" }, `${lat}, ${lon}`);
  }

  renderFavourite(photo) {
    const button = $("#viewer-favourite");
    button.setAttribute("aria-pressed", String(Boolean(photo.favourite)));
    button.textContent = photo.favourite ? "★ Favourite" : "☆ Favourite";
  }

  async step(delta) {
    const target = this.index + delta;
    if (target < 0) return;
    if (target >= this.source.items.length) {
      if (this.source.done) return;
      await this.source.loadMore();
      if (target >= this.source.items.length) return;
    }
    if (this.source.items[target].stub && !(await this.source.ready(target))) return;
    this.show(target);
  }

  close() {
    if (history.state && history.state.viewer) history.back(); // popstate hides it
    else this.hide();
  }

  hide() {
    if (!this.isOpen) return;
    this.root.hidden = true;
    this.source.hold(false);
    this.image.removeAttribute("src");
    this.player.hide();
    document.body.classList.remove("viewing");
    this.setBackgroundInert(false);
    const tile = this.photo && this.source.tileFor(this.photo.id);
    (tile || this.returnFocus || document.body).focus?.();
  }

  /** Keep keyboard focus and screen readers inside the viewer (the toast with Undo too). */
  setBackgroundInert(inert) {
    const main = document.querySelector("main");
    for (const node of [document.querySelector("header.bar"), ...main.children]) {
      // The album picker opens over the viewer: it must stay usable.
      if (node && node !== this.root && node.id !== "toast" && node.id !== "album-dialog") node.inert = inert;
    }
  }

  onKey(event) {
    if (!this.isOpen || event.altKey || event.ctrlKey || event.metaKey) return;
    if (document.querySelector("dialog[open]")) return; // the album picker has the keys
    const actions = { ArrowLeft: () => this.step(-1), ArrowRight: () => this.step(1), Escape: () => this.close() };
    const action = actions[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  }

  listenForSwipes(stage) {
    let start = null;
    stage.addEventListener("pointerdown", (event) => {
      // One finger pans a zoomed photo; two pinch: neither is a swipe.
      if (event.pointerType !== "mouse" && !this.zoom.zoomed && this.zoom.pointers.size < 2) start = { x: event.clientX, y: event.clientY };
    });
    stage.addEventListener("pointerup", (event) => {
      if (!start) return;
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      start = null;
      if (this.zoom.zoomed) return;
      if (Math.abs(dx) > SWIPE_PX && Math.abs(dx) > Math.abs(dy)) this.step(dx < 0 ? 1 : -1);
    });
    stage.addEventListener("pointercancel", () => { start = null; });
  }

  async addToAlbum() {
    const photo = this.photo;
    try {
      const album = await addToAlbum([photo.id]);
      if (album) toast(album.added ? `Added to ${album.name}.` : `Could not add it to ${album.name}.`);
    } catch (err) {
      toast(`Could not add to the album: ${err.message}`);
    }
  }

  async toggleFavourite() {
    const photo = this.photo;
    try {
      const updated = await api(`/photos/${photo.id}`, { method: "PATCH", body: { favourite: !photo.favourite } });
      this.source.update(updated);
      if (this.photo && this.photo.id === updated.id) this.renderFavourite(updated);
    } catch (err) {
      toast(`Could not change the favourite: ${err.message}`);
    }
  }

  async trash() {
    const photo = this.photo;
    try {
      await api(`/photos/${photo.id}`, { method: "DELETE" });
    } catch (err) {
      toast(`Could not delete: ${err.message}`);
      return;
    }
    const index = this.source.remove(photo.id);
    if (!this.source.items.length) this.close();
    else this.show(Math.min(index, this.source.items.length - 1));
    toast(`Moved ${photo.filename || "the photo"} to the trash.`, {
      action: "Undo", onAction: () => this.undoTrash(photo, index),
    });
  }

  async undoTrash(photo, index) {
    try {
      const restored = await api(`/photos/${photo.id}/restore`, { method: "POST" });
      this.source.reinsert(restored || photo, index);
      if (this.isOpen) this.show(this.source.indexOf(photo.id));
      toast("Restored.");
    } catch (err) {
      toast(`Could not restore: ${err.message}`);
    }
  }
}

// "Kyoto, Kyoto, Japan" says the region twice: leave out what repeats the city.
function placeName(place) {
  if (!place) return "";
  return [place.city, place.region, place.country]
    .filter((part, i, all) => part && all.indexOf(part) === i).join(", ");
}
