// Active and resolved incident lists with the API's filters, sorts and paging.
import { html, nothing, render } from "../vendor/lit-html.js";
import { get } from "./api.js";
import { act, actionButtons } from "./actions.js";
import { onChange } from "./live.js";
import { CATEGORIES, CAUSES, SEVERITIES, ago, dollars, errorBox, severity, state, when, words } from "./format.js";

const PAGE_SIZES = [20, 50, 100];

/** Page size from the address (1–100, the API's bounds), 20 by default. */
function pageSize(params) {
  const n = Number.parseInt(params.limit ?? "", 10);
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : 20;
}
const TABS = { active: "Active", resolved: "Resolved" };

function query(tab, p) {
  const window = tab === "active"
    ? { created_after: iso(p.after), created_before: iso(p.before) }
    : { resolved_after: iso(p.after), resolved_before: iso(p.before) };
  return {
    severity: p.severity, category: p.category, cause_type: p.cause_type, ...window,
    sort_by: p.sort_by, sort_order: p.sort_order, limit: pageSize(p), offset: p.offset,
  };
}

function iso(local) {
  // <input type="datetime-local"> values are read as UTC, which is how the page shows times.
  if (!local) return undefined;
  return local.length === 16 ? `${local}:00Z` : `${local}Z`;
}

export async function showIncidents(main, { params }, ctx) {
  const tab = params.tab === "resolved" ? "resolved" : "active";
  const other = tab === "active" ? "resolved" : "active";
  const draw = (body, counts = {}) => {
    render(page(tab, params, counts, body, ctx), main);
    syncFilters(main, tab, params);
  };
  // A refresh of the list already on screen (a live change) keeps it until the new one is in.
  const quiet = main.dataset.view === `incidents:${tab}`;
  main.dataset.view = `incidents:${tab}`;
  if (!quiet) draw(html`<p class="loading" role="status">Loading incidents…</p>`);
  const listRequest = get(`/api/v1/incidents/${tab}`, query(tab, params));
  // The other tab's count is a second, independent request: the list does not wait for it.
  const otherTotal = get(`/api/v1/incidents/${other}`, { limit: 1 }).then((r) => r.total, () => null);
  let list;
  try {
    list = await listRequest;
  } catch (error) {
    if (ctx.isCurrent()) draw(errorBox(error, ctx.refresh));
    return;
  }
  if (!ctx.isCurrent()) return;
  const counts = { [tab]: list.total };
  let progress = "";
  const run = async (action, incident) => {
    try {
      const updated = await act(action, incident, {
        toast: ctx.toast,
        onProgress: (text) => { progress = text; draw(table(list, params, run, progress), counts); },
      });
      if (updated && ctx.isCurrent()) ctx.refresh();
    } catch (error) {
      ctx.toast(error.message);
      if (ctx.isCurrent()) ctx.refresh();
    }
  };
  draw(table(list, params, run, progress), counts);
  performance.mark("guard:incidents-rendered"); // read by bench/console
  follow(ctx);
  counts[other] = await otherTotal;
  if (ctx.isCurrent()) draw(table(list, params, run, progress), counts);
}

/**
 * Put the address's filters into the form. lit writes `selected` as an attribute, which a select
 * the user has already changed ignores, so after back, forward or Clear the form could show a
 * filter the list does not apply. Only when the address changed: a live refresh keeps the choices
 * someone is making but has not applied yet.
 */
function syncFilters(main, tab, params) {
  const form = main.querySelector("form.filters");
  if (!form) return;
  const values = {
    severity: params.severity ?? "", category: params.category ?? "", cause_type: params.cause_type ?? "",
    after: params.after ?? "", before: params.before ?? "",
    sort_by: params.sort_by ?? (tab === "active" ? "created_at" : "resolved_at"),
    sort_order: params.sort_order === "asc" ? "asc" : "desc", limit: String(pageSize(params)),
  };
  const key = JSON.stringify([tab, values]);
  if (form.dataset.synced === key) return;
  form.dataset.synced = key;
  for (const [name, value] of Object.entries(values)) {
    if (form.elements[name]) form.elements[name].value = value;
  }
}

function page(tab, params, counts, body, ctx) {
  const link = (name) => {
    const n = counts[name];
    return html`<a href="#/incidents?tab=${name}" aria-current=${tab === name ? "page" : nothing}>
      ${TABS[name]}${n === undefined || n === null ? "" : html` <span class="count">(${n})</span>`}</a>`;
  };
  return html`<h1>Incidents</h1>
    <nav class="tabs" aria-label="Incident lists">${link("active")}${link("resolved")}</nav>
    ${filters(tab, params, ctx)}
    <section aria-live="polite" aria-busy="false">${body}</section>`;
}

function filters(tab, params, ctx) {
  const apply = (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    ctx.go("incidents", { ...data, tab, offset: 0 });
  };
  const select = (name, label, values, current, show = words) => html`<div>
    <label for="f-${name}">${label}</label>
    <select id="f-${name}" name=${name}>
      <option value="">Any</option>
      ${values.map((v) => html`<option value=${v} ?selected=${current === v}>${show(v)}</option>`)}
    </select></div>`;
  const sortDefault = tab === "active" ? "created_at" : "resolved_at";
  // Open incidents have no resolution time to sort by.
  const sorts = tab === "active" ? ["created_at", "severity"] : ["created_at", "resolved_at", "severity"];
  const timeWord = tab === "active" ? "Created" : "Resolved";
  const active = ["severity", "category", "cause_type", "after", "before"].filter((k) => params[k]);
  // Open on wide screens; on a phone the list comes first and the filters fold away.
  const open = active.length > 0 || window.matchMedia("(min-width: 721px)").matches;
  return html`<details class="filter-box panel" ?open=${open}>
    <summary>Filters and sort${active.length ? ` (${active.length} set)` : ""}</summary>
    <form class="filters" @submit=${apply} aria-label="Filters">
    ${select("severity", "Severity", SEVERITIES, params.severity)}
    ${select("category", "Category", CATEGORIES, params.category)}
    ${select("cause_type", "Cause", CAUSES, params.cause_type)}
    <div><label for="f-after">${timeWord} after (UTC)</label>
      <input id="f-after" name="after" type="datetime-local" .value=${params.after ?? ""}></div>
    <div><label for="f-before">${timeWord} before (UTC)</label>
      <input id="f-before" name="before" type="datetime-local" .value=${params.before ?? ""}></div>
    <div><label for="f-sort">Sort by</label>
      <select id="f-sort" name="sort_by">
        ${sorts.map((v) => html`<option value=${v}
          ?selected=${(params.sort_by ?? sortDefault) === v}>${words(v)}</option>`)}
      </select></div>
    <div><label for="f-order">Order</label>
      <select id="f-order" name="sort_order">
        <option value="desc" ?selected=${params.sort_order !== "asc"}>Newest / highest first</option>
        <option value="asc" ?selected=${params.sort_order === "asc"}>Oldest / lowest first</option>
      </select></div>
    <div><label for="f-limit">Per page</label>
      <select id="f-limit" name="limit">
        ${[...new Set([...PAGE_SIZES, pageSize(params)])].sort((a, b) => a - b).map((n) => html`<option
          value=${n} ?selected=${pageSize(params) === n}>${n}</option>`)}
      </select></div>
    <div class="actions"><button class="primary" type="submit">Apply</button>
      <a href="#/incidents?tab=${tab}">Clear</a></div>
  </form></details>`;
}

function table(list, params, run, progress) {
  const offset = Number(params.offset ?? 0);
  // The resolved list is sorted by resolution time, so that is the time it shows.
  const resolved = params.tab === "resolved";
  const go = (to) => `#/incidents?${new URLSearchParams({ ...params, offset: String(to) })}`;
  if (list.items.length === 0 && list.total > 0) {
    // An address past the last page (a bookmark, or the last row of the last page was resolved).
    return html`<p class="empty" data-past-end>This page is past the end of the list (${list.total} in all).
      <a href=${go(0)}>Go to the first page.</a></p>`;
  }
  if (list.items.length === 0) {
    const filtered = ["severity", "category", "cause_type", "after", "before"].some((k) => params[k]);
    return html`<p class="empty">${filtered
      ? "No incidents match these filters."
      : params.tab === "resolved" ? "No resolved incidents yet." : "No open incidents. All quiet."}</p>`;
  }
  return html`
    ${progress ? html`<p class="notice" role="status">${progress}</p>` : nothing}
    <table class="stack incidents">
      <caption class="sr-only">Incidents ${offset + 1} to ${offset + list.items.length} of ${list.total}</caption>
      <thead><tr><th scope="col">Severity</th><th scope="col">Incident</th><th scope="col">State</th>
        <th scope="col">Category</th><th scope="col">${resolved ? "Resolved" : "Created"}</th><th scope="col" class="num">Cost</th>
        <th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
      <tbody>${list.items.map((i) => html`<tr class="sev-row-${i.severity}" data-incident=${i.incident_id}>
        <td data-label="Severity">${severity(i.severity)}</td>
        <td data-label="Incident" class="wrap"><a href="#/incident/${i.incident_id}">${i.title}</a>
          ${i.affected_agent_id ? html`<div class="muted">${i.affected_agent_id}${i.llm_run_id ? ` · ${i.llm_run_id}` : ""}</div>` : nothing}</td>
        <td data-label="State">${state(i.lifecycle_state)}</td>
        <td data-label="Category">${words(i.category)}</td>
        ${resolved
          ? html`<td data-label="Resolved">${when(i.resolved_at)}<div class="muted">${ago(i.resolved_at)}</div></td>`
          : html`<td data-label="Created">${when(i.created_at)}<div class="muted">${ago(i.created_at)}</div></td>`}
        <td data-label="Cost" class="num">${dollars(i.cost_impact_usd)}</td>
        <td>${actionButtons(i, run)}</td>
      </tr>`)}</tbody>
    </table>
    <div class="pager">
      <span>Showing ${offset + 1}–${offset + list.items.length} of ${list.total}</span>
      ${offset > 0 ? html`<a href=${go(Math.max(0, offset - pageSize(params)))}>← Previous</a>` : nothing}
      ${list.has_more ? html`<a href=${go(list.pagination.next_offset)}>Next →</a>` : nothing}
    </div>`;
}

let following = null;

/** Reload the list (quietly) when the tenant's incidents change, while this page is shown. */
function follow(ctx) {
  following?.();
  let timer = null;
  following = onChange((event) => {
    if (!ctx.isCurrent()) {
      following?.();
      following = null;
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => ctx.isCurrent() && ctx.refresh(), event === "change" ? 300 : 0);
  });
}
