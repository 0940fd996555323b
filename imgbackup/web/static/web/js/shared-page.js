// The public page of a share link: asks for the password when the link has one, then shows
// the photos in a grid with the viewer, a "download all" ZIP and, when the link allows it, an
// upload form. No account involved: plain fetch, no CSRF token, no redirect to a login.
import { $, el } from "./dom.js";
import { PhotoViewer, drawGrid } from "./photo-viewer.js";

const root = $("#shared-page");
const KEY = root.dataset.key;
const BASE = `/api/v2/s/${encodeURIComponent(KEY)}`;
const viewer = new PhotoViewer();
let password = "";

function say(text) {
  $("#shared-status").textContent = text;
}

async function load() {
  const headers = { Accept: "application/json" };
  if (password) headers["Share-Password"] = password;
  const response = await fetch(BASE, { headers, credentials: "same-origin" });
  const body = await response.json().catch(() => null);
  if (response.status === 401 || response.status === 429) {
    $("#unlock").hidden = false;
    if (password) say(body && body.error ? body.error.message : "wrong password");
    return;
  }
  if (!response.ok) {
    say(body && body.error ? body.error.message : `the server answered ${response.status}`);
    return;
  }
  $("#unlock").hidden = true;
  say("");
  show(body);
}

function show(page) {
  $("#shared-title").textContent = page.album ? page.album.name : "Shared photos";
  $("#shared-description").textContent = page.album ? page.album.description : "";
  $("#shared-meta").textContent = `${page.items.length} photo${page.items.length === 1 ? "" : "s"} shared by ${page.owner}` +
    (page.expires_at ? ` · until ${new Date(page.expires_at).toLocaleString()}` : "");
  const zip = $("#download-all");
  zip.hidden = !page.zip_url;
  if (page.zip_url) zip.href = page.zip_url;
  $("#guest-upload").hidden = !page.allow_upload;
  drawGrid($("#shared-grid"), page.items, viewer);
}

$("#unlock").addEventListener("submit", (event) => {
  event.preventDefault();
  password = $("#share-password").value;
  load().catch((error) => say(error.message));
});

$("#guest-upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const files = $("#guest-files").files;
  if (!files.length) return;
  const form = new FormData();
  for (const file of files) form.append("file", file, file.name);
  const headers = password ? { "Share-Password": password } : {};
  say(`sending ${files.length} file${files.length === 1 ? "" : "s"}…`);
  const response = await fetch(`${BASE}/upload`, { method: "POST", body: form, headers, credentials: "same-origin" });
  const body = await response.json().catch(() => null);
  const refused = body && body.rejected ? body.rejected.length : 0;
  const outcome = response.ok ? `thank you: ${body.ids.length} sent${refused ? `, ${refused} refused` : ""}`
    : (body && body.error ? body.error.message : `the server answered ${response.status}`);
  event.target.reset();
  await load(); // the gallery with the new photos first: loading clears the status line
  say(outcome);
});

load().catch((error) => say(error.message));
