// Display helpers. Money arrives as integer cents (costs) or a USD number (incidents).
import { html, nothing } from "../vendor/lit-html.js";

const usd = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/** Integer cents → "$1,234.56" with integer arithmetic (no float rounding on the way). */
export function cents(value) {
  if (value === null || value === undefined) return "—";
  const sign = value < 0 ? "-" : "";
  const abs = Math.round(Math.abs(value)); // averages may carry fractions of a cent
  const dollars = Math.floor(abs / 100).toLocaleString("en-US");
  return `${sign}$${dollars}.${String(abs % 100).padStart(2, "0")}`;
}

export function dollars(value) {
  if (value === null || value === undefined) return "—";
  return usd.format(value);
}

export function pct(value, digits = 1) {
  return value === null || value === undefined ? "—" : `${Number(value).toFixed(digits)} %`;
}

/** Milliseconds → "3 h 20 min", "45 s". */
export function duration(ms) {
  if (ms === null || ms === undefined) return "no data";
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** An ISO time as "2026-11-28 14:05 UTC" in a <time> element. */
export function when(iso) {
  if (!iso) return "—";
  const text = iso.replace("T", " ").replace(/(\d{2}:\d{2}):\d{2}(\.\d+)?(Z|\+00:00)?$/, "$1 UTC");
  return html`<time datetime=${iso}>${text}</time>`;
}

export function ago(iso) {
  if (!iso) return "";
  const ms = Date.now() - Date.parse(iso);
  if (ms < 0) return "";
  return `${duration(ms)} ago`;
}

export function severity(value) {
  return html`<span class="sev sev-${value}">${value}</span>`;
}

export function state(value) {
  const label = { ACTIVE: "Active", ACKED: "Acknowledged", RESOLVED: "Resolved" }[value] ?? value;
  return html`<span class="state state-${value}">${label}</span>`;
}

export function words(value) {
  if (!value) return "—";
  const text = String(value).replace(/_/g, " ").toLowerCase().replace(/^\w/, (c) => c.toUpperCase());
  return text.replace(/\bllm\b/i, "LLM");
}

/** "1 incident", "3 incidents". */
export function count(n, noun) {
  return `${n} ${n === 1 ? noun : `${noun}s`}`;
}

export function maybe(value, render = (v) => v) {
  return value === null || value === undefined || value === "" ? nothing : render(value);
}

export function errorBox(error, retry) {
  return html`<div class="error" role="alert">
    <p>${error.message}</p>
    ${retry ? html`<button @click=${retry}>Try again</button>` : nothing}
  </div>`;
}

export const SEVERITIES = ["critical", "high", "medium", "low"];
export const CATEGORIES = ["BUDGET_EXCEEDED", "EXECUTION_FAILURE", "RATE_LIMIT", "CONTENT_POLICY",
  "POLICY_VIOLATION", "FREEZE", "MANUAL", "COST_ANOMALY"];
export const CAUSES = ["LLM_RUN", "SYSTEM", "HUMAN"];
export const RESOLUTION_METHODS = ["manual", "rollback", "manual_closure"];
