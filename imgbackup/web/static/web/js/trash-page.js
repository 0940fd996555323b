// The trash: photos deleted in the last IMGBACKUP_TRASH_DAYS days, each with the days it has
// left, to restore or destroy now, one at a time or ticked together; or empty the whole trash.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { daysLeft, plural } from "./format.js";
import { Selection } from "./selection.js";
import { toast } from "./toast.js";

const list = $("#trash");
const status = $("#trash-status");
const emptyButton = $("#empty-trash");
const selection = new Selection();
let cursor;
let loading = null;

function loadMore() {
  if (cursor === null) return Promise.resolve(false);
  if (!loading) {
    status.textContent = "Loading…";
    loading = api("/trash", { query: { limit: 100, cursor } })
      .then((page) => {
        cursor = page.next_cursor || null;
        list.append(...page.items.map(card));
        render();
        return page.items.length > 0;
      })
      .catch((err) => {
        status.textContent = `Could not load the trash: ${err.message}`;
        return false;
      })
      .finally(() => { loading = null; });
  }
  return loading;
}

function render() {
  const n = list.children.length;
  emptyButton.hidden = n === 0;
  status.textContent = n === 0 && cursor === null ? "The trash is empty." : "";
}

function card(photo) {
  const name = photo.filename || photo.id.slice(0, 12);
  const left = daysLeft(photo.purge_at);
  const item = el("li", { class: "trash-item", dataset: { id: photo.id } });
  item.photo = photo;
  const thumb = el("img", { src: photo.urls.thumbnail, alt: "", loading: "lazy" });
  thumb.addEventListener("error", () => thumb.replaceWith(el("div", { class: "no-thumb" }, "no preview")));
  const tick = el("label", { class: "tick" },
    el("input", { type: "checkbox", "aria-label": `Select ${name}`,
      onclick: (event) => selection.click(photo.id, event.shiftKey, loaded()) }));
  item.append(
    tick,
    thumb,
    el("p", { class: "name", title: name }, name),
    el("p", { class: "days-left" }, left === null ? "" : left === 0 ? "removed today" : `${plural(left, "day")} left`),
    el("div", { class: "row" },
      el("button", { type: "button", class: "restore", onclick: () => restore(photo, item) }, "Restore"),
      el("button", { type: "button", class: "danger destroy", onclick: () => destroy(photo, item) }, "Delete forever")),
  );
  return item;
}

async function restore(photo, item) {
  try {
    await api(`/photos/${photo.id}/restore`, { method: "POST" });
  } catch (err) {
    toast(`Could not restore: ${err.message}`);
    return;
  }
  item.remove();
  render();
  toast(`Restored ${photo.filename || "the photo"} to your photos.`);
}

async function destroy(photo, item) {
  if (!confirm(`Delete ${photo.filename || "this photo"} forever? This cannot be undone.`)) return;
  try {
    await api(`/trash/${photo.id}`, { method: "DELETE" });
  } catch (err) {
    toast(`Could not delete: ${err.message}`);
    return;
  }
  item.remove();
  render();
  toast("Deleted forever.");
}

function loaded() {
  return [...list.children].map((item) => item.photo);
}

selection.onChange(() => {
  $("#selection-bar").hidden = !selection.size;
  $("#selection-count").textContent = `${plural(selection.size, "photo")} selected`;
  for (const item of list.children) item.querySelector(".tick input").checked = selection.has(item.dataset.id);
});

async function bulk(action, verb) {
  const ids = selection.list();
  if (action === "destroy" && !confirm(`Delete ${plural(ids.length, "photo")} forever? This cannot be undone.`)) return;
  try {
    const answer = await api("/photos/bulk", { method: "POST", body: { ids, action } });
    const done = new Set(answer.done);
    for (const item of [...list.children]) if (done.has(item.dataset.id)) item.remove();
    selection.clear();
    render();
    toast(`${verb} ${plural(done.size, "photo")}.`);
  } catch (err) {
    toast(`Could not ${action} the selection: ${err.message}`);
  }
}

$("#selection-restore").addEventListener("click", () => bulk("restore", "Restored"));
$("#selection-destroy").addEventListener("click", () => bulk("destroy", "Deleted forever"));
$("#selection-clear").addEventListener("click", () => selection.clear());
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") selection.clear();
});

emptyButton.addEventListener("click", async () => {
  if (!confirm("Delete every photo in the trash forever? This cannot be undone.")) return;
  try {
    const answer = await api("/trash", { method: "DELETE" });
    list.replaceChildren();
    cursor = null;
    render();
    toast(`Deleted ${plural(answer ? answer.destroyed : 0, "photo")} forever.`);
  } catch (err) {
    toast(`Could not empty the trash: ${err.message}`);
  }
});

const observer = new IntersectionObserver(async (entries) => {
  if (!entries.some((e) => e.isIntersecting)) return;
  if (await loadMore()) {
    observer.unobserve($("#sentinel"));
    observer.observe($("#sentinel"));
  }
}, { rootMargin: "800px 0px" });
observer.observe($("#sentinel"));
