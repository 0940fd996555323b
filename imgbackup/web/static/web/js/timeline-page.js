// The timeline page: the timeline with its scrubber and selection, uploads (picker and
// drag-and-drop), the viewer.
import { addToAlbum } from "./album-picker.js";
import { api } from "./api.js";
import { $ } from "./dom.js";
import { filesFromDrop } from "./files.js";
import { plural } from "./format.js";
import { canHash } from "./hash.js";
import { Scrubber } from "./scrubber.js";
import { Selection } from "./selection.js";
import { Timeline } from "./timeline.js";
import { toast } from "./toast.js";
import { Uploader } from "./upload.js";
import { Viewer } from "./viewer.js";

// The toolbar sticks under the header, whose height depends on how its links wrap. The
// scrubber starts below the toolbar's lowest place: at the top of the page, where the page's
// padding is still above it (else its top year label sat partly under the toolbar).
const header = document.querySelector("header.bar");
const measureHeader = () => {
  const style = document.documentElement.style;
  const toolbar = $(".toolbar");
  const bar = header ? header.offsetHeight : 0;
  const padding = parseFloat(getComputedStyle(toolbar.parentElement).paddingTop) || 0;
  style.setProperty("--bar-height", `${bar}px`);
  style.setProperty("--toolbar-bottom", `${bar + padding + toolbar.offsetHeight}px`);
};
measureHeader();
window.addEventListener("resize", measureHeader);
// Both change height without a resize too (a selection bar shows, buttons wrap as fonts load):
// a stale height put the scrubber's top year label under the toolbar.
const watch = new ResizeObserver(measureHeader);
watch.observe($(".toolbar"));
if (header) watch.observe(header);

const container = $("#timeline");
const { since, until, camera, place, q, favourite } = container.dataset;

const selection = new Selection();
const timeline = new Timeline(container, {
  query: { since, until, camera, place, q, favourite: favourite ? "true" : undefined },
  status: $("#timeline-status"),
  selection,
  onOpen: (index) => viewer.open(index),
  onEmpty: () => container.replaceChildren($("#empty-template").content.cloneNode(true)),
});
const viewer = new Viewer(timeline);
new Scrubber($("#scrubber"), timeline);
timeline.refresh();

// New photos appear while uploads go on, but at most every few seconds, and not under the
// feet of someone looking at a photo: then once they are done.
let refreshTimer = null;
function refreshSoon() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    if (viewer.isOpen) refreshSoon();
    else timeline.refresh();
  }, 2000);
}

// Back on the page (another tab, a phone woken up): what other devices did meanwhile shows.
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") refreshSoon();
});

const uploader = new Uploader({ maxBytes: Number(container.dataset.maxUploadBytes) || Infinity, onUploaded: refreshSoon });

// The selection bar: what is ticked, and what can be done to all of it at once.
const bar = $("#selection-bar");
selection.onChange(() => {
  bar.hidden = !selection.size;
  $("#selection-count").textContent = `${plural(selection.size, "photo")} selected`;
});

async function bulk(action, ids = selection.list()) {
  const answer = await api("/photos/bulk", { method: "POST", body: { ids, action } });
  return answer.done;
}

const actions = {
  favourite: async () => { timeline.patch(await bulk("favourite"), { favourite: true }); toast("Marked as favourites."); },
  unfavourite: async () => { timeline.patch(await bulk("unfavourite"), { favourite: false }); toast("Favourites removed."); },
  trash: async () => {
    const done = await bulk("trash");
    selection.clear();
    await timeline.refresh();
    toast(`Moved ${plural(done.length, "photo")} to the trash.`, {
      action: "Undo",
      onAction: async () => { await bulk("restore", done); await timeline.refresh(); toast("Restored."); },
    });
  },
  download: () => {
    const form = $("#zip-form");
    form.elements.ids.value = selection.list().join(",");
    form.elements.csrfmiddlewaretoken.value = document.querySelector('meta[name="csrf-token"]').content;
    form.submit();
  },
  album: async () => {
    const album = await addToAlbum(selection.list());
    if (album) toast(`Added ${plural(album.added, "photo")} to ${album.name}.`);
  },
  clear: () => selection.clear(),
};
for (const [name, run] of Object.entries(actions)) {
  $(`#selection-${name}`).addEventListener("click", async () => {
    try {
      await run();
    } catch (err) {
      toast(`Could not ${name} the selection: ${err.message}`);
    }
  });
}

document.addEventListener("keydown", (event) => {
  if (viewer.isOpen || event.target.closest("input, textarea, select")) return;
  if (event.key === "Escape" && selection.size) selection.clear();
  else if (event.key === "Delete" && selection.size) actions.trash();
  else if (event.key === "a" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    selection.toggleAll(timeline.selectable.map((p) => p.id));
  } else return;
  event.preventDefault();
});

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
