// "Add to album" for the timeline's selection: choose one of your albums (or one you may add
// to), or name a new one; the photos are added with one request.
import { api } from "./api.js";
import { $, el } from "./dom.js";

const NEW = "";

/** Ask which album; resolves {id, name} or null when cancelled. */
export async function chooseAlbum() {
  const dialog = $("#album-dialog");
  const choice = $("#album-choice");
  const name = $("#album-name");
  const { items } = await api("/albums");
  const writable = items.filter((album) => album.role !== "viewer");
  choice.replaceChildren(
    ...writable.map((album) => el("option", { value: album.id }, album.name)),
    el("option", { value: NEW }, "New album…"));
  const showName = () => { name.closest("label").hidden = choice.value !== NEW; };
  choice.onchange = showName;
  name.value = "";
  showName();
  dialog.showModal();
  const answer = await new Promise((resolve) => {
    dialog.onclose = () => resolve(dialog.returnValue === "add");
  });
  if (!answer) return null;
  if (choice.value !== NEW) return { id: choice.value, name: choice.selectedOptions[0].textContent };
  const created = await api("/albums", { method: "POST", body: { name: name.value.trim() || "New album" } });
  return { id: created.id, name: created.name };
}

/** Add ``ids`` to the album chosen; the album or null. */
export async function addToAlbum(ids) {
  const album = await chooseAlbum();
  if (!album) return null;
  const answer = await api(`/albums/${encodeURIComponent(album.id)}/photos`, { method: "POST", body: { ids } });
  return { ...album, added: answer.done.length };
}
