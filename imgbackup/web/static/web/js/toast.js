// One toast at a time at the bottom of the page, with an optional action (Undo).
import { $ } from "./dom.js";

let timer = null;

export function toast(text, { action, onAction, timeout = 6000 } = {}) {
  const box = $("#toast");
  const button = $("#toast-action");
  $("#toast-text").textContent = text;
  button.hidden = !action;
  button.textContent = action || "";
  button.onclick = action ? () => { hide(); onAction(); } : null;
  box.hidden = false;
  clearTimeout(timer);
  timer = setTimeout(hide, timeout);
}

function hide() {
  $("#toast").hidden = true;
}
