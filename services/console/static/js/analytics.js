// Analytics: metric tiles with their definitions, trend and cost-trend charts, distributions,
// patterns and recurring groups.
import { html, nothing, render } from "../vendor/lit-html.js";
import { get } from "./api.js";
import { drawChart } from "./charts.js";
import { count, dollars, duration, errorBox, pct, when, words } from "./format.js";

const GRANULARITIES = ["day", "week", "month"];
const WINDOWS = { day: 30, week: 90, month: 365 };

export async function showAnalytics(main, { params }, ctx) {
  const granularity = GRANULARITIES.includes(params.granularity) ? params.granularity : "week";
  const windowDays = WINDOWS[granularity];
  const head = html`<h1>Analytics</h1>
    <nav class="tabs" aria-label="Granularity">${GRANULARITIES.map((g) => html`<a href="#/analytics?granularity=${g}"
      aria-current=${g === granularity ? "page" : nothing}>By ${g}</a>`)}</nav>`;
  render(html`${head}<p class="loading" role="status">Loading analytics…</p>`, main);
  const base = "/api/v1/incidents";
  const historical = { window_days: windowDays, granularity };
  let data;
  try {
    const [metrics, trend, costTrend, distribution, patterns, recurring] = await Promise.all([
      get(`${base}/metrics`, { window_days: 30 }),
      get(`${base}/historical/trend`, historical),
      get(`${base}/historical/cost-trend`, historical),
      get(`${base}/historical/distribution`, historical),
      get(`${base}/patterns`, { window_hours: 168 }),
      get(`${base}/recurring`, { baseline_days: 30, recurrence_threshold: 2 }),
    ]);
    data = { metrics, trend, costTrend, distribution, patterns, recurring };
  } catch (error) {
    if (ctx.isCurrent()) render(html`${head}${errorBox(error, ctx.refresh)}`, main);
    return;
  }
  if (!ctx.isCurrent()) return;
  render(html`${head}${view(data, granularity, windowDays)}`, main);
  const { trend, costTrend } = data;
  await Promise.all([
    drawChart(main.querySelector("#chart-trend"), {
      labels: trend.points.map((p) => p.period),
      series: [
        { label: "Incidents opened", data: trend.points.map((p) => p.incident_count) },
        { label: "Resolved", data: trend.points.map((p) => p.resolved_count) },
      ],
    }),
    drawChart(main.querySelector("#chart-cost-trend"), {
      labels: costTrend.points.map((p) => p.period),
      money: true,
      series: [
        { label: "Cost impact (USD)", data: costTrend.points.map((p) => p.total_cost) },
        { label: "Incidents", data: costTrend.points.map((p) => p.incident_count), type: "line", axis: "y2" },
      ],
    }),
  ]).catch((error) => ctx.toast(error.message));
}

function tile(key, label, value, sub, definition) {
  return html`<div class="tile" tabindex="0" data-metric=${key} aria-describedby="def-${key}">
    <div class="label">${label}</div>
    <div class="value">${value}</div>
    ${sub ? html`<div class="muted">${sub}</div>` : nothing}
    <p class="def" id="def-${key}" role="tooltip">${definition ?? ""}</p>
  </div>`;
}

function view({ metrics: m, trend, costTrend, distribution, patterns, recurring }, granularity, windowDays) {
  const d = m.definitions ?? {};
  return html`
    <section aria-labelledby="h-metrics"><h2 id="h-metrics">Last ${m.window_days} days</h2>
      <p class="muted">Hover over or focus a tile to read how it is measured.</p>
      <div class="tiles">
        ${tile("mtta", "Mean time to acknowledge", duration(m.avg_time_to_ack_ms),
          `median ${duration(m.median_time_to_ack_ms)} · p90 ${duration(m.p90_time_to_ack_ms)}`, d.time_to_ack)}
        ${tile("mttr", "Mean time to resolve", duration(m.avg_time_to_resolution_ms),
          `median ${duration(m.median_time_to_resolution_ms)} · p90 ${duration(m.p90_time_to_resolution_ms)}`, d.time_to_resolution)}
        ${tile("containment", "Time to containment", duration(m.avg_time_to_containment_ms),
          `median ${duration(m.median_time_to_containment_ms)}`, d.time_to_containment)}
        ${tile("sla", "SLA met", m.sla_compliance_rate === null ? "no data" : pct(m.sla_compliance_rate, 2),
          `${m.sla_met_count} met · ${m.sla_breached_count} breached`, `${d.sla_compliance_rate ?? ""} ${d.sla_met ?? ""}`)}
        ${tile("open", "Open incidents", String(m.active_count),
          `${m.acked_count} acknowledged · ${m.resolved_count} resolved`, d.active_count)}
        ${tile("total", "Incidents in window", String(m.total_count),
          `${m.critical_count} critical · ${m.high_count} high · ${m.medium_count} medium · ${m.low_count} low`, d.window)}
      </div>
    </section>
    <div class="grid2">
      <section class="panel" aria-labelledby="h-trend"><h2 id="h-trend">Incidents by ${granularity}</h2>
        <p class="muted">${count(trend.total_incidents, "incident")} in the last ${windowDays} days.</p>
        <div class="chart-box"><canvas id="chart-trend" role="img"
          aria-label="Incidents opened and resolved per ${granularity}; the numbers are in the table below"></canvas></div>
        ${dataTable("Trend data", ["Period", "Opened", "Resolved", "Avg resolution"],
          trend.points.map((p) => [p.period, p.incident_count, p.resolved_count, duration(p.avg_resolution_time_ms)]))}
      </section>
      <section class="panel" aria-labelledby="h-cost-trend"><h2 id="h-cost-trend">Cost impact by ${granularity}</h2>
        <p class="muted">${dollars(costTrend.total_cost)} over ${count(costTrend.total_incidents, "incident")}.</p>
        <div class="chart-box"><canvas id="chart-cost-trend" role="img"
          aria-label="Cost impact per ${granularity}; the numbers are in the table below"></canvas></div>
        ${dataTable("Cost trend data", ["Period", "Cost", "Incidents", "Per incident"],
          costTrend.points.map((p) => [p.period, dollars(p.total_cost), p.incident_count, dollars(p.avg_cost_per_incident)]))}
      </section>
    </div>
    <section class="panel" aria-labelledby="h-dist"><h2 id="h-dist">Distribution</h2>
      <div class="grid2">
        ${distributionTable("Category", distribution.by_category)}
        ${distributionTable("Severity", distribution.by_severity)}
        ${distributionTable("Cause", distribution.by_cause_type)}
      </div>
    </section>
    <section class="panel" aria-labelledby="h-patterns"><h2 id="h-patterns">Patterns (last 7 days)</h2>
      ${patterns.patterns.length
        ? html`<ul>${patterns.patterns.map((p) => html`<li><strong>${words(p.pattern_type)}</strong>: ${p.pattern_type === "cascade_failure" ? html`run <code class="wrap">${p.dimension}</code>` : words(p.dimension)}
            (${count(p.count, "incident")}, confidence ${Math.round(p.confidence * 100)} %) —
            ${p.incident_ids.slice(0, 5).map((id, n) => html`${n ? ", " : ""}<a href="#/incident/${id}">#${n + 1}</a>`)}</li>`)}</ul>`
        : html`<p class="empty">No patterns among the ${patterns.incidents_analyzed} incidents of the window.</p>`}
    </section>
    <section class="panel" aria-labelledby="h-recurring"><h2 id="h-recurring">Recurring (last 30 days)</h2>
      ${recurring.groups.length
        ? html`<table class="stack"><thead><tr><th scope="col">Category</th><th scope="col">Fingerprint</th>
              <th scope="col" class="num">Times</th><th scope="col" class="num">Per day</th><th scope="col">Last</th><th scope="col">Recent</th></tr></thead>
            <tbody>${recurring.groups.map((g) => html`<tr><td data-label="Category">${words(g.category)}</td>
              <td data-label="Fingerprint" class="mono">${g.fingerprint}</td>
              <td data-label="Times" class="num">${g.total_occurrences}</td>
              <td data-label="Per day" class="num">${g.occurrences_per_day}</td>
              <td data-label="Last">${when(g.last_occurrence)}</td>
              <td data-label="Recent">${g.recent_incident_ids.map((id, n) => html`${n ? ", " : ""}<a href="#/incident/${id}">#${n + 1}</a>`)}</td></tr>`)}</tbody></table>`
        : html`<p class="empty">Nothing has recurred in the last 30 days.</p>`}
    </section>`;
}

function dataTable(caption, columns, rows) {
  return html`<details><summary>Show the numbers</summary>
    <table><caption class="sr-only">${caption}</caption>
      <thead><tr>${columns.map((c, n) => html`<th scope="col" class=${n ? "num" : ""}>${c}</th>`)}</tr></thead>
      <tbody>${rows.map((r) => html`<tr>${r.map((v, n) => html`<td class=${n ? "num" : ""}>${v}</td>`)}</tr>`)}</tbody>
    </table></details>`;
}

function distributionTable(title, rows) {
  return html`<div><h3>${title}</h3>${rows.length
    ? html`<table><thead><tr><th scope="col">${title}</th><th scope="col" class="num">Count</th><th scope="col">Share</th></tr></thead>
        <tbody>${rows.map((r) => html`<tr><td>${words(r.value)}</td><td class="num">${r.count}</td>
          <td><div class="bar" aria-hidden="true"><span style="width:${Math.min(100, r.percentage)}%"></span></div>
            <span class="muted">${pct(r.percentage)}</span></td></tr>`)}</tbody></table>`
    : html`<p class="muted">No incidents.</p>`}</div>`;
}
