// The Albums page: the user's albums and those shared with them, a form to create one, and
// partner sharing (partners.js).
import { api } from "./api.js";
import { $, el } from "./dom.js";
import { showPartners } from "./partners.js";

function card(album) {
  const cover = album.cover_url ? el("img", { src: album.cover_url, alt: "", loading: "lazy" }) : el("span", { class: "album-empty" }, "No cover");
  const who = album.role === "owner" ? "" : ` · shared by ${album.owner} (${album.role})`;
  return el("li", { class: "album-card" },
    el("a", { href: `/albums/${encodeURIComponent(album.id)}` }, cover,
      el("strong", {}, album.name), el("span", { class: "help" }, `${album.count} photo${album.count === 1 ? "" : "s"}${who}`)));
}

async function load() {
  const { items } = await api("/albums");
  const mine = items.filter((a) => a.role === "owner");
  const shared = items.filter((a) => a.role !== "owner");
  $("#my-albums").replaceChildren(...mine.map(card));
  $("#shared-albums").replaceChildren(...shared.map(card));
  $("#no-albums").hidden = mine.length > 0;
  $("#shared-section").hidden = shared.length === 0;
}

$("#new-album").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("#album-name").value.trim();
  if (!name) return;
  try {
    const album = await api("/albums", { method: "POST", body: { name } });
    location.assign(`/albums/${encodeURIComponent(album.id)}`);
  } catch (error) {
    $("#album-error").textContent = error.message;
  }
});

const say = (text) => { $("#album-error").textContent = text; };
load().catch((error) => say(error.message));
showPartners(say).catch((error) => say(error.message));
