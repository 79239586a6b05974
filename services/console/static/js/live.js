// Live updates: the gateway's server-sent-event stream of this tenant's incident changes, read with
// fetch (EventSource cannot send the Authorization header). Pages listen with onChange(); when the
// stream is down they still work, they just do not refresh by themselves.
import { session } from "./api.js";

const listeners = new Set();
let controller = null;
let onStatus = () => {};
export const live = { connected: false };

/** Call ``listener(event, data)`` for "ready", "change" and "overflow"; returns an unsubscribe. */
export function onChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function startLive(statusCallback) {
  onStatus = statusCallback;
  if (controller || !session.token) return;
  controller = new AbortController();
  run(controller.signal);
}

export function stopLive() {
  controller?.abort();
  controller = null;
  setConnected(false);
}

function setConnected(value) {
  if (live.connected !== value) {
    live.connected = value;
    onStatus(value);
  }
}

async function run(signal) {
  let delay = 1000;
  while (!signal.aborted && session.token) {
    try {
      const response = await fetch("/api/v1/incident-changes/stream", {
        headers: { Authorization: `Bearer ${session.token}`, Accept: "text/event-stream" },
        signal,
        cache: "no-store",
      });
      if (response.status === 401 || response.status === 403) return; // the next read explains it
      if (!response.ok || !response.body) throw new Error(`stream answered ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
        delay = 1000;
      }
    } catch {
      if (signal.aborted) return;
    }
    setConnected(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 30_000);
  }
}

function dispatch(block) {
  let event = "message";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trim();
  }
  if (!data) return; // a comment (keep-alive) or the retry hint
  let payload;
  try {
    payload = JSON.parse(data);
  } catch {
    return;
  }
  if (event === "ready") setConnected(Boolean(payload.live));
  for (const listener of listeners) listener(event, payload);
}
