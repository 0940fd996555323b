// Building DOM nodes without HTML strings: every piece of text (file names, EXIF, errors)
// goes in through textContent, so nothing a photo carries is ever parsed as markup.

/**
 * el("button", {class: "x", onclick: f}, "text", child) -> HTMLElement.
 * Attribute values go through setAttribute (never parsed as HTML); functions become listeners.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") node.addEventListener(name.replace(/^on/, ""), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(node) {
  node.replaceChildren();
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}
