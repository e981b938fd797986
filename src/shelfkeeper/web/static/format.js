// Turning API values into words people read: dates, sizes, durations, shares, field values, labels.

import { JOB_LABELS } from "./vocabulary.js";

export const EMPTY = "—";

const REASONS = {
  series_gap: "Series gap",
  author_catalogue: "Author catalogue",
  top10: "Top 10",
  manual: "Added by hand",
};

const LABELS = {
  needs_review: "Needs review",
  no_match: "No match",
  dry_run: "Dry run",
  in_library: "In library",
  google_books: "Google Books",
  openlibrary: "Open Library",
  audiobookshelf: "Audiobookshelf",
  qbittorrent: "qBittorrent",
  prowlarr: "Prowlarr",
  mam: "MyAnonamouse",
  audnexus: "Audnexus",
  audible: "Audible",
};

/** "series_gap" -> "Series gap"; known names get their proper spelling. */
export function label(name) {
  if (name === null || name === undefined || name === "") return EMPTY;
  if (LABELS[name]) return LABELS[name];
  const words = String(name).replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A job's name in words, as the registry gives it: "library_sync_task" -> "Library sync". */
export function jobLabel(name) {
  return JOB_LABELS[name] || label(name);
}

/** Why a book is wanted, in words: "series_gap" -> "Series gap". */
export function reasonLabel(reason) {
  return REASONS[reason] || label(reason);
}

/** A date and time in the reader's locale, e.g. "24 Nov 2026, 14:05". */
export function dateTime(iso) {
  if (!iso) return EMPTY;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/**
 * A calendar day ("7 Dec 2026"), read in UTC: release dates are days, stored as midnight UTC.
 * @param {string | null | undefined} iso
 */
export function day(iso) {
  if (!iso) return EMPTY;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" });
}

/** @type {Array<[Intl.RelativeTimeFormatUnit, number]>} */
const RELATIVE_STEPS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "3 minutes ago", "in 2 hours". */
export function relativeTime(iso, now = Date.now()) {
  if (!iso) return EMPTY;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const seconds = (date.getTime() - now) / 1000;
  if (Math.abs(seconds) < 45) return seconds < 0 ? "just now" : "in a moment";
  const words = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of RELATIVE_STEPS) {
    if (Math.abs(seconds) >= size) return words.format(Math.round(seconds / size), unit);
  }
  return words.format(0, "second");
}

/** Bytes in binary units, as qBittorrent shows them: "1.1 GiB". */
export function bytes(count) {
  if (count === null || count === undefined) return EMPTY;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = Number(count);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value >= 100 || unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** Bytes per second: "2.4 MiB/s". */
export function speed(bytesPerSecond) {
  return bytesPerSecond ? `${bytes(bytesPerSecond)}/s` : EMPTY;
}

/** A listening time or a time left, to the minute: "20 h 36 min", "21 min", "under a minute". */
export function hoursMinutes(seconds) {
  if (!seconds) return EMPTY;
  if (seconds < 60) return "under a minute";
  const minutes = Math.round(seconds / 60);
  const hours = Math.floor(minutes / 60);
  return hours ? `${hours} h ${String(minutes % 60).padStart(2, "0")} min` : `${minutes} min`;
}

/** How long a run took: "5 ms", "12.4 s", "3 min 5 s", "2 h 4 min". */
export function elapsed(seconds) {
  if (seconds === null || seconds === undefined) return EMPTY;
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  return `${Math.floor(whole / 3600)} h ${Math.floor((whole % 3600) / 60)} min`;
}

/** 0.4213 -> "42%". */
export function percent(share, digits = 0) {
  if (share === null || share === undefined) return EMPTY;
  return new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: digits }).format(share);
}

/** A correction's old or new value: names joined, series as "Name #2", nothing as a dash. */
export function fieldValue(value) {
  if (value === null || value === undefined || value === "") return EMPTY;
  if (Array.isArray(value)) {
    if (value.length === 0) return EMPTY;
    return value.map((item) => (item && typeof item === "object" ? seriesName(item) : String(item))).join(", ");
  }
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

function seriesName(item) {
  const position = item.sequence ?? item.position;
  return position ? `${item.name} #${position}` : String(item.name ?? JSON.stringify(item));
}

/** Any value for a key/value list: lists joined, objects as JSON, booleans as yes/no. */
export function plainValue(value) {
  if (value === true) return "yes";
  if (value === false) return "no";
  if (Array.isArray(value) && value.every((item) => typeof item !== "object" || item === null)) {
    return value.length ? value.join(", ") : EMPTY;
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const entries = Object.entries(value);
    if (entries.every(([, item]) => item === null || typeof item !== "object")) {
      return entries.length ? entries.map(([name, item]) => `${name}: ${plainValue(item)}`).join(", ") : EMPTY;
    }
  }
  if (value && typeof value === "object") return JSON.stringify(value);
  return value === null || value === undefined || value === "" ? EMPTY : String(value);
}

/**
 * Series positions as short ranges: ["1", "2", "3", "5", "7", "8"] -> ["1–3", "5", "7–8"].
 * Only whole numbers join a range; "1.5" or "1-3" stay as they are.
 */
export function positionRanges(positions) {
  const ranges = [];
  let start = null;
  let end = null;
  const close = () => {
    if (start !== null) ranges.push(start === end ? String(start) : `${start}–${end}`);
    start = end = null;
  };
  for (const position of positions) {
    const number = /^\d+$/.test(position) ? Number(position) : null;
    if (number !== null && end !== null && number === end + 1) {
      end = number;
      continue;
    }
    close();
    if (number === null) ranges.push(position);
    else start = end = number;
  }
  close();
  return ranges;
}
