// Editors for the settings a text box serves badly: remote path mappings (pairs of paths) and the format order
// (a list put in order). Each returns {element, read}: ``read()`` is the new value, or ``undefined`` when unchanged.

import { h, fill } from "./dom.js";

function sameList(a, b) {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}

/** "remote=local" pairs as rows of two path boxes, with Add and Remove. */
export function pathMappingsEditor(key, value, { disabled = false } = {}) {
  const original = Array.isArray(value) ? value : [];
  const rows = h("ol", { class: "mapping-rows" });
  const addRow = (remote = "", local = "") => {
    const number = rows.children.length + 1;
    const remoteInput = h("input", { type: "text", class: "mapping-remote", value: remote, placeholder: "/downloads (as the client sees it)", "aria-label": `Remote path ${number}`, spellcheck: "false", disabled });
    const localInput = h("input", { type: "text", class: "mapping-local", value: local, placeholder: "/data/downloads (as Shelfkeeper sees it)", "aria-label": `Local path ${number}`, spellcheck: "false", disabled });
    const item = h("li", { class: "mapping-row" }, remoteInput, h("span", { "aria-hidden": "true", text: "→" }), localInput);
    const remove = h("button", { type: "button", class: "button button-quiet", text: "Remove", "aria-label": `Remove mapping ${number}`, disabled });
    remove.addEventListener("click", () => item.remove());
    item.append(remove);
    rows.append(item);
    return remoteInput;
  };
  for (const pair of original) {
    const [remote, local = ""] = pair.split("=");
    addRow(remote.trim(), local.trim());
  }
  const add = h("button", { type: "button", class: "button", text: "Add a mapping", disabled });
  add.addEventListener("click", () => addRow().focus());
  const read = () => {
    const pairs = [...rows.querySelectorAll(".mapping-row")]
      .map((item) => [item.querySelector(".mapping-remote").value.trim(), item.querySelector(".mapping-local").value.trim()])
      .filter(([remote, local]) => remote || local)
      .map(([remote, local]) => `${remote}=${local}`);
    if (sameList(pairs, original)) return undefined;
    return pairs.length ? pairs : null;
  };
  return { element: h("div", { class: "mapping-editor", id: `setting-${key}` }, rows, add), read, group: true };
}

/** The formats, best first, each moved with Up and Down (keyboard and screen readers work the same). */
export function formatOrderEditor(key, value, { disabled = false } = {}) {
  const original = Array.isArray(value) ? value : [];
  let order = [...original];
  const list = h("ol", { class: "order-list", id: `setting-${key}` });
  const move = (index, step) => {
    const target = index + step;
    if (target < 0 || target >= order.length) return;
    [order[index], order[target]] = [order[target], order[index]];
    draw(order[target]);
  };
  const draw = (focusName = null) => {
    fill(
      list,
      order.map((name, index) => {
        const up = h("button", { type: "button", class: "button button-quiet", text: "Up", "aria-label": `Move ${name} up`, disabled: disabled || index === 0 });
        const down = h("button", { type: "button", class: "button button-quiet", text: "Down", "aria-label": `Move ${name} down`, disabled: disabled || index === order.length - 1 });
        up.addEventListener("click", () => move(index, -1));
        down.addEventListener("click", () => move(index, 1));
        return h("li", { class: "order-item", dataset: { format: name } }, h("span", { class: "order-rank", text: `${index + 1}.` }), h("code", { text: name }), up, down);
      }),
    );
    if (focusName) list.querySelector(`[data-format="${CSS.escape(focusName)}"] button:not([disabled])`)?.focus();
  };
  draw();
  return { element: list, read: () => (sameList(order, original) ? undefined : order), group: true };
}

/** A setting with a fixed set of values, as a <select>. */
export function choiceEditor(key, value, options, common) {
  const select = h("select", common, options.map((option) => h("option", { value: option, text: option, selected: option === value })));
  return { element: select, read: () => (select.value === value ? undefined : select.value) };
}

export const EDITORS = {
  remote_path_mappings: pathMappingsEditor,
  quality_format_order: formatOrderEditor,
};
