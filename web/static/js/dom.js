// Building page content from DOM nodes: text always goes in with textContent, never as HTML.

/**
 * Create an element. `props` sets properties (className, id, type, value…); keys with a
 * dash, "role" and "for" become attributes; `dataset` is an object of data-* values.
 * `children` are nodes or strings (strings become text nodes).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) continue;
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "for") node.htmlFor = value;
    else if (key.includes("-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
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

/** Replace an element's content with `children` (nodes or strings). */
export function fill(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** An <option> list for a <select>: [[value, label], …]; keeps `selected` when present. */
export function setOptions(select, pairs, selected) {
  select.replaceChildren(...pairs.map(([value, label]) => el("option", { value, textContent: label })));
  if (selected !== undefined && pairs.some(([v]) => v === selected)) select.value = selected;
}

/** A coloured square for legends and lists. */
export function swatch(color, { shape = "box", stroke } = {}) {
  const node = el("span", { className: `legend-swatch legend-${shape}` });
  node.style.backgroundColor = color;
  if (stroke) node.style.borderColor = stroke;
  return node;
}
