// Charts drawn as inline SVG (no library, nothing from a CDN): the library's growth and series completion.
// Each chart has a <title> and <desc> for screen readers, and its numbers are also written out beside it.

const SVG = "http://www.w3.org/2000/svg";

/**
 * An SVG element with attributes and children.
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {...(Node | string | null)} children
 * @returns {SVGElement}
 */
function svg(tag, attributes = {}, ...children) {
  const element = /** @type {SVGElement} */ (document.createElementNS(SVG, tag));
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  for (const child of children) {
    if (child === null) continue;
    element.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return element;
}

/**
 * A round top for an axis: 7 -> 10, 42 -> 50, 180 -> 200.
 * @param {number} value
 */
export function niceCeiling(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((factor) => factor * power >= value) || 10;
  return step * power;
}

/**
 * A line chart of a running total with the additions as bars beneath it.
 * @param {{points: Array<{label: string, total: number, added: number}>, title: string, description: string}} chart
 * @returns {SVGElement}
 */
export function growthChart({ points, title, description }) {
  const width = 640;
  const height = 240;
  const pad = { left: 44, right: 12, top: 12, bottom: 28 };
  const plotWidth = width - pad.left - pad.right;
  const plotHeight = height - pad.top - pad.bottom;
  const top = niceCeiling(Math.max(1, ...points.map((point) => point.total)));
  const step = points.length > 1 ? plotWidth / (points.length - 1) : 0;
  /** @param {number} index */
  const x = (index) => pad.left + (points.length > 1 ? index * step : plotWidth / 2);
  /** @param {number} value */
  const y = (value) => pad.top + plotHeight - (value / top) * plotHeight;
  const barWidth = Math.max(2, Math.min(24, (plotWidth / Math.max(1, points.length)) * 0.5));
  const line = points.map((point, index) => `${x(index).toFixed(1)},${y(point.total).toFixed(1)}`).join(" ");
  const labelEvery = Math.max(1, Math.ceil(points.length / 6));
  return svg(
    "svg",
    { class: "chart chart-growth", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "growth-title growth-desc" },
    svg("title", { id: "growth-title" }, title),
    svg("desc", { id: "growth-desc" }, description),
    ...[0, 0.5, 1].map((share) =>
      svg(
        "g",
        { class: "chart-grid" },
        svg("line", { x1: pad.left, x2: width - pad.right, y1: y(top * share), y2: y(top * share) }),
        svg("text", { x: pad.left - 6, y: y(top * share) + 4, "text-anchor": "end" }, String(Math.round(top * share))),
      ),
    ),
    ...points.map((point, index) =>
      svg("rect", {
        class: "chart-bar",
        x: x(index) - barWidth / 2,
        y: y(point.added),
        width: barWidth,
        height: Math.max(0, pad.top + plotHeight - y(point.added)),
      }),
    ),
    svg("polyline", { class: "chart-line", points: line }),
    ...points.map((point, index) => svg("circle", { class: "chart-dot", cx: x(index), cy: y(point.total), r: 3 }, svg("title", {}, `${point.label}: ${point.total} books (+${point.added})`))),
    ...points.map((point, index) =>
      index % labelEvery === 0 || index === points.length - 1
        ? svg("text", { class: "chart-label", x: x(index), y: height - 8, "text-anchor": "middle" }, point.label)
        : null,
    ),
  );
}

/**
 * Horizontal bars, one per series: the share owned of the positions known.
 * @param {{rows: Array<{label: string, share: number, text: string}>, title: string, description: string}} chart
 * @returns {SVGElement}
 */
export function completionChart({ rows, title, description }) {
  const width = 640;
  const rowHeight = 26;
  const labelWidth = 220;
  const barSpace = width - labelWidth - 90;
  const height = Math.max(1, rows.length) * rowHeight + 8;
  return svg(
    "svg",
    { class: "chart chart-completion", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": "completion-title completion-desc" },
    svg("title", { id: "completion-title" }, title),
    svg("desc", { id: "completion-desc" }, description),
    ...rows.map((row, index) => {
      const top = 4 + index * rowHeight;
      const share = Math.max(0, Math.min(1, row.share));
      const name = row.label.length > 32 ? `${row.label.slice(0, 31)}…` : row.label;
      return svg(
        "g",
        { class: "chart-row" },
        svg("text", { class: "chart-label", x: labelWidth - 8, y: top + 16, "text-anchor": "end" }, name),
        svg("rect", { class: "chart-track", x: labelWidth, y: top + 4, width: barSpace, height: rowHeight - 10, rx: 3 }),
        svg("rect", { class: share >= 1 ? "chart-bar chart-bar-done" : "chart-bar", x: labelWidth, y: top + 4, width: barSpace * share, height: rowHeight - 10, rx: 3 }),
        svg("text", { class: "chart-value", x: labelWidth + barSpace + 8, y: top + 16 }, row.text),
      );
    }),
  );
}
