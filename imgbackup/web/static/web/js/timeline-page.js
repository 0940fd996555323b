// The timeline page: timeline + infinite scroll, uploads (picker and drag-and-drop), viewer.
import { $ } from "./dom.js";
import { filesFromDrop } from "./files.js";
import { canHash } from "./hash.js";
import { infiniteScroll, Timeline } from "./timeline.js";
import { toast } from "./toast.js";
import { Uploader } from "./upload.js";
import { Viewer } from "./viewer.js";

const container = $("#timeline");
const { since, until, camera, place, q, favourite } = container.dataset;

const timeline = new Timeline(container, {
  query: { since, until, camera, place, q, favourite: favourite ? "true" : undefined },
  status: $("#timeline-status"),
  onOpen: (index) => viewer.open(index),
  onEmpty: () => container.replaceChildren($("#empty-template").content.cloneNode(true)),
});
const viewer = new Viewer(timeline);
const scroller = infiniteScroll($("#sentinel"), timeline);

// New photos appear while uploads go on, but at most every few seconds, and not under the
// feet of someone scrolled down the timeline or looking at a photo: then once they are done.
let refreshTimer = null;
function refreshSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    if (viewer.isOpen || (uploader.busy && window.scrollY > 400)) refreshSoon();
    else timeline.refresh().then(() => scroller.recheck());
  }, 2000);
}

const uploader = new Uploader({ maxBytes: Number(container.dataset.maxUploadBytes) || Infinity, onUploaded: refreshSoon });

$("#file-input").addEventListener("change", (event) => {
  uploader.add(event.target.files);
  event.target.value = ""; // choosing the same files again must fire "change" again
});

if (!canHash) {
  toast("This page is not served over HTTPS, so photos cannot be checked before upload: all of them will be sent.", { timeout: 10000 });
}

// On a phone the search form folds away behind a button.
$("#search-toggle").addEventListener("click", (event) => {
  const open = $("#search").classList.toggle("collapsed") === false;
  event.currentTarget.setAttribute("aria-expanded", String(open));
});

// Drag and drop anywhere on the page.
const hint = $("#drop-hint");
let depth = 0;
const carriesFiles = (event) => event.dataTransfer && [...event.dataTransfer.types].includes("Files");
document.addEventListener("dragenter", (event) => {
  if (!carriesFiles(event)) return;
  depth += 1;
  hint.hidden = false;
});
document.addEventListener("dragleave", () => {
  depth = Math.max(0, depth - 1);
  if (!depth) hint.hidden = true;
});
document.addEventListener("dragover", (event) => {
  if (carriesFiles(event)) event.preventDefault();
});
document.addEventListener("drop", async (event) => {
  if (!carriesFiles(event)) return;
  event.preventDefault();
  depth = 0;
  hint.hidden = true;
  uploader.add(await filesFromDrop(event.dataTransfer));
});

// Listeners are in place: tests (and scripts driving the page) wait for this before acting.
document.documentElement.dataset.ready = "timeline";
