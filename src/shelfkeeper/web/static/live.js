// The live stream: one connection per tab to /api/stream, shared by the views. It is read with fetch (not
// EventSource) so the API key travels in the X-Api-Key header, never in an address a log could keep.
// Messages: "download", "task", "history" (see docs/web.md). When the stream is lost the views poll instead
// (``isLive()`` is false) and the page tries again, waiting a little longer each time; once it is back, every
// view hears "resync" and reloads what it shows, since messages may have been missed meanwhile.

import { apiKey } from "./api.js";
import { h } from "./dom.js";

const WAITS = [1000, 2000, 5000, 10000, 30000]; // before each new try after a failure
const SILENCE_MS = 40000; // no message (not even a heartbeat) for this long: the stream is dead

const handlers = new Map(); // kind -> Set of functions
const statusHandlers = new Set();
let state = "idle"; // "connecting" | "live" | "down"
let controller = null;
let failures = 0;
let retryTimer = null;
let watchdog = null;
let wasDown = false;
let heard = false; // this connection said hello

/** Call ``handler(data)`` for each message of ``kind``; returns the function that stops it. */
export function on(kind, handler) {
  if (!handlers.has(kind)) handlers.set(kind, new Set());
  handlers.get(kind).add(handler);
  start();
  return () => handlers.get(kind)?.delete(handler);
}

/** Call ``handler(state)`` now and on each change: "connecting", "live" or "down". */
export function onStatus(handler) {
  statusHandlers.add(handler);
  handler(state);
  return () => statusHandlers.delete(handler);
}

/** Whether the stream is up (views poll while it is not). */
export function isLive() {
  return state === "live";
}

function emit(kind, data) {
  for (const handler of handlers.get(kind) || []) {
    try {
      handler(data);
    } catch (error) {
      // one view's bug must not stop the others hearing the stream; the browser still reports it
      setTimeout(() => { throw error; });
    }
  }
}

function setState(next) {
  if (state === next) return;
  state = next;
  for (const handler of statusHandlers) handler(next);
}

function start() {
  if (state === "idle") connect();
}

function armWatchdog() {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => controller?.abort(), SILENCE_MS);
}

/** One server-sent event block ("event: x\ndata: {...}") to its kind and data. */
function parse(block) {
  let kind = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) kind = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  if (!data.length) return null;
  try {
    return { kind, data: JSON.parse(data.join("\n")) };
  } catch {
    return null;
  }
}

function dispatch(block) {
  const message = parse(block);
  if (!message) return;
  if (message.kind === "hello") {
    heard = true;
    failures = 0;
    setState("live");
    if (wasDown) emit("resync", {});
    wasDown = false;
  } else if (message.kind === "reset") {
    wasDown = true; // the server dropped us (we fell behind): reload everything once back
  } else if (message.kind !== "heartbeat" && message.kind !== "bye") {
    emit(message.kind, message.data);
  }
}

async function read(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    armWatchdog();
    buffer += value.replace(/\r\n?/g, "\n");
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      dispatch(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      end = buffer.indexOf("\n\n");
    }
  }
}

function goDown() {
  wasDown = true;
  setState("down");
  const wait = WAITS[Math.min(failures, WAITS.length - 1)];
  failures += 1;
  clearTimeout(retryTimer);
  retryTimer = setTimeout(connect, wait);
}

async function connect() {
  clearTimeout(retryTimer);
  const key = apiKey.get();
  if (!key) {
    goDown(); // the page asks for the key; the next try uses it
    return;
  }
  if (state !== "live") setState("connecting");
  controller = new AbortController();
  heard = false;
  armWatchdog();
  try {
    const response = await fetch("/api/stream", {
      headers: { "X-Api-Key": key, Accept: "text/event-stream" },
      signal: controller.signal,
      cache: "no-store",
    });
    if (!response.ok || !response.body) throw new Error(`the stream answered ${response.status}`);
    const opened = Date.now();
    await read(response.body);
    clearTimeout(watchdog);
    if (!heard || Date.now() - opened < 2000) throw new Error("the stream ended as soon as it began");
    connect(); // the server ends each stream after a while ("bye"): take the next one at once
  } catch {
    clearTimeout(watchdog);
    goDown();
  }
}

/** A small mark in the header: "Live" while the stream is up, else that the page refreshes by itself. */
export function indicator() {
  const mark = h("span", { class: "live-mark", role: "status", "aria-live": "polite" });
  onStatus((now) => {
    mark.dataset.state = now;
    mark.textContent = now === "live" ? "Live" : now === "down" ? "Offline: refreshing every few seconds" : now === "connecting" ? "Connecting…" : "";
    mark.title = now === "live" ? "Changes appear as they happen." : "The live stream is not reachable; the page asks again every few seconds.";
  });
  return mark;
}
