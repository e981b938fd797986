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
      .map((item) => [inputValue(item, ".mapping-remote"), inputValue(item, ".mapping-local")])
      .filter(([remote, local]) => remote || local)
      .map(([remote, local]) => `${remote}=${local}`);
    if (sameList(pairs, original)) return undefined;
    return pairs.length ? pairs : null;
  };
  return { element: h("div", { class: "mapping-editor", id: `setting-${key}` }, rows, add), read, group: true };
}

/** The trimmed value of the input ``selector`` finds in ``item`` ("" when there is none). */
function inputValue(item, selector) {
  const input = /** @type {HTMLInputElement | null} */ (item.querySelector(selector));
  return input ? input.value.trim() : "";
}

/**
 * A list put in order, each item moved with Up and Down (keyboard and screen readers work the same). With
 * ``choices`` every known item is listed, each with a box saying whether it is used; the others stay listed
 * (unticked) so they can be taken back.
 */
/**
 * @param {string} key
 * @param {unknown} value
 * @param {{disabled?: boolean, choices?: string[] | null, noun?: string}} [options]
 */
function orderEditor(key, value, { disabled = false, choices = null, noun = "item" } = {}) {
  const original = Array.isArray(value) ? value : [];
  const order = choices ? [...original, ...choices.filter((name) => !original.includes(name))] : [...original];
  const used = new Set(original);
  const list = h("ol", { class: "order-list", id: `setting-${key}` });
  const move = (index, step) => {
    const target = index + step;
    if (target < 0 || target >= order.length) return;
    [order[index], order[target]] = [order[target], order[index]];
    draw(order[target], step < 0 ? "up" : "down");
  };
  const draw = (focusName = null, direction = "up") => {
    fill(
      list,
      order.map((name, index) => {
        const up = h("button", { type: "button", class: "button button-quiet", text: "Up", "aria-label": `Move ${name} up`, disabled: disabled || index === 0, dataset: { move: "up" } });
        const down = h("button", { type: "button", class: "button button-quiet", text: "Down", "aria-label": `Move ${name} down`, disabled: disabled || index === order.length - 1, dataset: { move: "down" } });
        up.addEventListener("click", () => move(index, -1));
        down.addEventListener("click", () => move(index, 1));
        const use = choices ? h("input", { type: "checkbox", checked: used.has(name), disabled, "aria-label": `Use ${name}` }) : null;
        use?.addEventListener("change", () => (use.checked ? used.add(name) : used.delete(name)));
        return h("li", { class: "order-item", dataset: { [noun]: name } }, h("span", { class: "order-rank", text: `${index + 1}.` }), use, h("code", { text: name }), up, down);
      }),
    );
    if (focusName) {
      const item = list.querySelector(`[data-${noun}="${CSS.escape(focusName)}"]`);
      const button = item?.querySelector(`[data-move="${direction}"]:not([disabled])`) || item?.querySelector("button:not([disabled])");
      /** @type {HTMLElement | null | undefined} */ (button)?.focus();
    }
  };
  draw();
  const read = () => {
    const chosen = choices ? order.filter((name) => used.has(name)) : order;
    return sameList(chosen, original) ? undefined : chosen;
  };
  return { element: list, read, group: true };
}

/** The formats, best first. */
export function formatOrderEditor(key, value, options = {}) {
  return orderEditor(key, value, { ...options, choices: null, noun: "format" });
}

/** The metadata sources asked, best first; an unticked one is not asked. */
export function sourcesEditor(key, value, options = {}) {
  return orderEditor(key, value, { ...options, noun: "source" });
}

/** A setting with a fixed set of values, as a <select>. */
export function choiceEditor(key, value, options, common) {
  const select = h("select", common, options.map((option) => h("option", { value: option, text: option, selected: option === value })));
  return { element: select, read: () => (select.value === value ? undefined : select.value) };
}

/** The time zone: a text box suggesting the browser's list of IANA names (the server checks the name). */
export function timezoneEditor(key, value, { disabled = false } = {}) {
  const names = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const input = h("input", { type: "text", id: `setting-${key}`, name: key, value: value ?? "", list: `${key}-choices`, spellcheck: "false", autocomplete: "off", disabled, "aria-describedby": `setting-${key}-help` });
  const choices = h("datalist", { id: `${key}-choices` }, names.map((name) => h("option", { value: name })));
  return { element: input, status: choices, read: () => (input.value.trim() === (value ?? "") ? undefined : input.value.trim() || null) };
}

export const EDITORS = {
  remote_path_mappings: pathMappingsEditor,
  quality_format_order: formatOrderEditor,
  metadata_sources: sourcesEditor,
  timezone: timezoneEditor,
};
