// Building DOM nodes. Text always goes in as text nodes, never as HTML, so a book title can never run as markup.

/**
 * Make an element: h("a", {href: "#/library", class: "nav"}, "Library").
 * Props: "class", "text", "dataset" (object), "on<event>" (function), anything else becomes an attribute
 * (true: present, false/null/undefined: left out). Children may be nodes, strings, numbers, arrays or null.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any> | null} [props]
 * @param {...any} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") element.className = value;
    else if (name === "text") element.textContent = String(value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

/**
 * Append children (nodes, text, nested arrays; null and false are skipped).
 * @template {Element} E
 * @param {E} parent
 * @param {any} children
 * @returns {E}
 */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : String(child));
  }
  return parent;
}

/**
 * Replace every child of ``parent``.
 * @template {Element} E
 * @param {E} parent
 * @param {...any} children
 * @returns {E}
 */
export function fill(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/**
 * The page's element with this id, of this kind; a missing one is a broken page, said at once.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} kind
 * @returns {T}
 */
export function byId(id, kind) {
  const found = document.getElementById(id);
  if (!(found instanceof kind)) throw new Error(`The page has no ${kind.name} #${id}.`);
  return found;
}
