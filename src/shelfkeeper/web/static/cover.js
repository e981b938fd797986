// Book covers: Audiobookshelf's come through Shelfkeeper (GET /api/books/{id}/cover, so the Audiobookshelf token
// stays on the server); the providers' by their own address. Both load only when they scroll into view, and a
// book without one shows a placeholder with its initials.

import { apiKey } from "./api.js";
import { h, fill } from "./dom.js";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The address of a provider's cover that the page may load: https as it is; plain http upgraded to https (Google
 * Books hands out http links), except on this machine (a local mirror); anything else none.
 * @param {string | null | undefined} url
 * @returns {string | null}
 */
export function providerCoverUrl(url) {
  if (!url) return null;
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol === "https:") return parsed.href;
  if (parsed.protocol !== "http:") return null;
  if (!LOOPBACK.has(parsed.hostname)) parsed.protocol = "https:";
  return parsed.href;
}

/** @param {string} title */
function initials(title) {
  const words = String(title || "").split(/\s+/).filter((word) => /^\p{L}/u.test(word));
  return words.slice(0, 2).map((word) => word[0].toUpperCase()).join("") || "?";
}

/** @param {string} title */
function placeholder(title) {
  return h("span", { class: "cover cover-none", role: "img", "aria-label": `No cover for ${title}`, text: initials(title) });
}

/** @type {WeakMap<Element, () => void>} */
const waiting = new WeakMap();
/** @type {IntersectionObserver | null} */
let observer = null;

/**
 * Run ``load`` once ``element`` is near the visible part of the page.
 * @param {Element} element
 * @param {() => void} load
 */
function whenVisible(element, load) {
  if (!("IntersectionObserver" in window)) {
    load();
    return;
  }
  observer ||= new IntersectionObserver(
    (entries, watcher) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        watcher.unobserve(entry.target);
        const start = waiting.get(entry.target);
        waiting.delete(entry.target);
        if (start) start();
      }
    },
    { rootMargin: "200px" },
  );
  waiting.set(element, load);
  observer.observe(element);
}

/**
 * The library cover, fetched with the API key (an <img> cannot send it) and shown from a blob: address.
 * @param {number} bookId
 * @returns {Promise<string>}
 */
async function libraryCoverUrl(bookId) {
  const key = apiKey.get();
  const response = await fetch(`/api/books/${bookId}/cover`, { headers: key ? { "X-Api-Key": key } : {} });
  if (!response.ok) throw new Error(`no cover (${response.status})`);
  return URL.createObjectURL(await response.blob());
}

/**
 * A library book's cover (from Audiobookshelf), or its placeholder.
 * @param {{id: number, title: string, has_cover?: boolean}} book
 */
export function bookCover(book) {
  const frame = h("span", { class: "cover-frame", dataset: { cover: book.has_cover ? "library" : "none" } }, placeholder(book.title));
  if (!book.has_cover) return frame;
  whenVisible(frame, () => {
    libraryCoverUrl(book.id)
      .then((url) => {
        const image = h("img", { class: "cover", alt: `Cover of ${book.title}`, src: url, decoding: "async" });
        image.addEventListener("load", () => URL.revokeObjectURL(url), { once: true });
        fill(frame, image);
        frame.dataset.cover = "loaded";
      })
      .catch(() => {
        frame.dataset.cover = "missing"; // the placeholder stays
      });
  });
  return frame;
}

/**
 * A provider's cover by its address (lazy, no referrer), or the placeholder when there is none or it fails.
 * @param {string | null | undefined} url
 * @param {string} title
 */
export function providerCover(url, title) {
  const address = providerCoverUrl(url);
  const frame = h("span", { class: "cover-frame", dataset: { cover: address ? "provider" : "none" } });
  if (!address) return fill(frame, placeholder(title));
  const image = h("img", { class: "cover", alt: `Cover of ${title}`, src: address, loading: "lazy", decoding: "async", referrerpolicy: "no-referrer" });
  image.addEventListener("error", () => fill(frame, placeholder(title)), { once: true });
  return fill(frame, image);
}
