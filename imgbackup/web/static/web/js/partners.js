// Partner sharing on the Albums page: share one's timeline with another user, stop it, and,
// for a timeline shared with me, choose to show it in my own timeline (read-only there).
import { api } from "./api.js";
import { $, el } from "./dom.js";

const path = (username) => `/partners/${encodeURIComponent(username)}`;

function sharingWith(partner, reload) {
  return el("li", {}, `${partner.username} `,
    el("button", { type: "button", class: "link", onclick: async () => {
      await api(path(partner.username), { method: "DELETE" });
      await reload();
    } }, "Stop sharing"));
}

function sharedWithMe(partner, reload) {
  const box = el("input", { type: "checkbox", checked: partner.in_timeline, onchange: async () => {
    await api(path(partner.username), { method: "PATCH", body: { in_timeline: box.checked } });
  } });
  return el("li", { dataset: { partner: partner.username } }, el("strong", {}, partner.username), " ",
    el("label", { class: "check" }, box, " Show in my timeline"), " ",
    el("button", { type: "button", class: "link", onclick: async () => {
      await api(path(partner.username), { method: "DELETE" });
      await reload();
    } }, "Stop"));
}

/** Draw both lists and wire the form; ``say`` shows an error. */
export async function showPartners(say) {
  const reload = () => showPartners(say);
  const { sharing_with: mine, shared_with_me: theirs } = await api("/partners");
  $("#sharing-with").replaceChildren(...mine.map((p) => sharingWith(p, reload)));
  $("#shared-with-me").replaceChildren(...theirs.map((p) => sharedWithMe(p, reload)));
  $("#no-partners").hidden = theirs.length > 0;
  const form = $("#partner-form");
  form.onsubmit = async (event) => {
    event.preventDefault();
    try {
      await api("/partners", { method: "POST", body: { username: form.elements.username.value.trim() } });
      form.reset();
      await reload();
    } catch (error) {
      say(error.status === 404 ? "No such user." : error.message);
    }
  };
}
