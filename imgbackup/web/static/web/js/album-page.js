// One album: its photos in the viewer; for the owner, sharing with users and share links;
// for the owner and contributors, adding photos from the library and taking them out.
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { PhotoViewer, drawGrid } from "./photo-viewer.js";

const root = $("#album-page");
const ID = root.dataset.albumId;
const PATH = `/albums/${encodeURIComponent(ID)}`;
let album = null;

function say(text) {
  $("#album-status").textContent = text;
}

const viewer = new PhotoViewer({
  actions: (photo) => [
    (album && (album.role === "owner" || (album.role === "contributor" && photo.owner === root.dataset.me)))
      ? el("button", { type: "button", class: "danger", onclick: () => remove(photo) }, "Remove from album") : null,
    // A guest's upload is the owner's photo (their storage): they can also throw it away.
    (album && album.role === "owner" && photo.guest_upload)
      ? el("button", { type: "button", class: "danger", onclick: () => trashGuestUpload(photo) }, "Move to trash") : null,
  ].filter(Boolean),
});
let guestOnly = false;

async function remove(photo) {
  await api(`${PATH}/photos`, { method: "DELETE", body: { ids: [photo.id] } });
  viewer.close();
  await load();
}

async function trashGuestUpload(photo) {
  await api(`/photos/${encodeURIComponent(photo.id)}`, { method: "DELETE" });
  viewer.close();
  await load();
  say(`Moved ${photo.filename || "the guest's photo"} to your trash.`);
}

/** The owner's review of guest uploads: how many, and the grid showing only them. */
function drawItems() {
  const guests = album.items.filter((p) => p.guest_upload);
  const review = $("#guest-review");
  if (review) {
    review.hidden = guests.length === 0;
    if (!guests.length) guestOnly = false;
    $("#guest-count").textContent = `${guests.length} guest upload${guests.length === 1 ? "" : "s"}.`;
    $("#guest-only").setAttribute("aria-pressed", String(guestOnly));
    $("#guest-only").textContent = guestOnly ? "Show all photos" : "Show only guest uploads";
  }
  drawGrid($("#album-grid"), guestOnly ? guests : album.items, viewer);
}

async function load() {
  album = await api(PATH);
  $("#album-title").textContent = album.name;
  $("#album-description").textContent = album.description;
  $("#album-count").textContent = `${album.count} photo${album.count === 1 ? "" : "s"}` +
    (album.role === "owner" ? "" : ` · shared by ${album.owner} (you are ${album.role})`);
  drawItems();
  $("#add-photos").hidden = album.role === "viewer";
  if (album.role === "owner") {
    $("#members").replaceChildren(...album.members.map((m) => el("li", {}, `${m.username} (${m.role}) `,
      el("button", { type: "button", class: "link", onclick: () => unshare(m.username) }, "Stop sharing"))));
    await loadLinks();
  }
}

async function unshare(username) {
  await api(`${PATH}/members/${encodeURIComponent(username)}`, { method: "DELETE" });
  await load();
}

async function loadLinks() {
  const { items } = await api("/shares");
  $("#links").replaceChildren(...items.filter((l) => l.album === ID).map((link) => el("li", {},
    el("a", { href: link.url, class: "share-url" }, link.url),
    el("span", { class: "help" }, [link.has_password && "password", link.expires_at && `expires ${new Date(link.expires_at).toLocaleString()}`,
      link.allow_download ? "downloads" : "view only", link.allow_upload && "guests upload", link.show_metadata && "metadata"].filter(Boolean).join(" · ")),
    el("button", { type: "button", class: "link danger", onclick: () => revoke(link.key) }, "Revoke"))));
}

async function revoke(key) {
  await api(`/shares/${encodeURIComponent(key)}`, { method: "DELETE" });
  await loadLinks();
}

function onSubmit(selector, action) {
  const form = $(selector);
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await action(form);
      say("");
    } catch (error) {
      say(error.message);
    }
  });
}

onSubmit("#rename-form", async (form) => {
  await api(PATH, { method: "PATCH", body: { name: form.elements.name.value, description: form.elements.description.value } });
  await load();
});

onSubmit("#member-form", async (form) => {
  await api(`${PATH}/members`, { method: "POST", body: { username: form.elements.username.value.trim(), role: form.elements.role.value } });
  form.reset();
  await load();
});

onSubmit("#link-form", async (form) => {
  const body = { album: ID, allow_download: form.elements.allow_download.checked,
    allow_upload: form.elements.allow_upload.checked, show_metadata: form.elements.show_metadata.checked };
  if (form.elements.password.value) body.password = form.elements.password.value;
  if (form.elements.expires.value) body.expires_at = new Date(form.elements.expires.value).toISOString();
  const link = await api("/shares", { method: "POST", body });
  $("#new-link").textContent = link.url;
  form.reset();
  await loadLinks();
});

onSubmit("#delete-form", async () => {
  if (!confirm("Delete this album? Its photos stay in your library.")) return;
  await api(PATH, { method: "DELETE" });
  location.assign("/albums");
});

// Adding: the newest photos of the library, picked by clicking, then added at once.
const picked = new Set();
$("#add-photos").addEventListener("click", async () => {
  const picker = $("#picker");
  picker.hidden = false;
  const { items } = await api("/photos", { query: { limit: 200 } });
  $("#picker-grid").replaceChildren(...items.map((photo) => el("li", { class: "pv-tile" },
    el("button", { type: "button", class: "pick", "aria-pressed": "false", dataset: { id: photo.id }, onclick: (event) => {
      const button = event.currentTarget;
      if (picked.has(photo.id)) picked.delete(photo.id); else picked.add(photo.id);
      button.setAttribute("aria-pressed", String(picked.has(photo.id)));
    } }, el("img", { src: photo.urls.thumbnail, alt: photo.filename, loading: "lazy" })))));
});
$("#picker-add").addEventListener("click", async () => {
  if (picked.size) await api(`${PATH}/photos`, { method: "POST", body: { ids: [...picked] } });
  picked.clear();
  $("#picker").hidden = true;
  await load();
});
$("#picker-cancel").addEventListener("click", () => { picked.clear(); $("#picker").hidden = true; });

$("#guest-only")?.addEventListener("click", () => { guestOnly = !guestOnly; drawItems(); });

load().catch((error) => say(error.message));
