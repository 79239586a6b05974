// Costs: the guard summary in plain words, budget bars, where the spend went, cost incidents.
import { html, nothing, render } from "../vendor/lit-html.js";
import { get } from "./api.js";
import { drawChart } from "./charts.js";
import { cents, errorBox, pct, when, words } from "./format.js";

const PERIODS = { today: "Today", "7d": "Last 7 days", "30d": "Last 30 days" };
const STATUS = { attention_needed: "Needs attention", protected: "Protected (hard limit)", resolved: "Resolved" };

export async function showCosts(main, { params }, ctx) {
  const period = PERIODS[params.period] ? params.period : "today";
  render(html`<h1>Costs</h1><p class="loading" role="status">Loading costs…</p>`, main);
  let summary, explained, incidents;
  try {
    [summary, explained, incidents] = await Promise.all([
      get("/guard/costs/summary"),
      get("/guard/costs/explained", { period }),
      get("/guard/costs/incidents", { include_resolved: true, limit: 50 }),
    ]);
  } catch (error) {
    if (ctx.isCurrent()) render(html`<h1>Costs</h1>${errorBox(error, ctx.refresh)}`, main);
    return;
  }
  if (!ctx.isCurrent()) return;
  render(html`<h1>Costs</h1>${summaryView(summary)}${explainedView(explained, period)}${incidentsView(incidents)}`, main);
  const models = explained.by_model;
  const features = explained.by_feature;
  await Promise.all([
    drawChart(main.querySelector("#chart-today"), {
      labels: summary.expected_today_cents === null ? ["Spent so far today"] : ["Spent so far today", "Usually spent by now"],
      money: true,
      series: [{ label: "USD", data: summary.expected_today_cents === null
        ? [summary.today_cents / 100] : [summary.today_cents / 100, summary.expected_today_cents / 100] }],
    }),
    drawChart(main.querySelector("#chart-drivers"), {
      labels: [...features.map((f) => `feature: ${f.name}`), ...models.map((m) => `model: ${m.display_name ?? m.name}`)],
      horizontal: true,
      money: true,
      series: [{ label: `Spend (USD), ${PERIODS[period].toLowerCase()}`,
        data: [...features, ...models].map((i) => i.spend_cents / 100) }],
    }),
  ]).catch((error) => ctx.toast(error.message));
}

function budgetBar(label, spentCents, limitCents, percent) {
  if (limitCents === null || limitCents === undefined) {
    return html`<p class="muted">${label}: no budget set.</p>`;
  }
  const level = percent >= 100 ? "over" : percent >= 80 ? "warn" : "";
  return html`<div class="budget" data-budget=${label}>
    <div>${label}: <strong>${cents(spentCents)}</strong> of ${cents(limitCents)} (${pct(percent, 2)})
      ${percent >= 100 ? html` — <span class="tampered">over budget</span>` : percent >= 80 ? " — close to the limit" : ""}</div>
    <div class="bar ${level}" role="progressbar" aria-label="${label} used" aria-valuemin="0" aria-valuemax="100"
      aria-valuenow=${Math.min(100, Math.round(percent))}><span style="width:${Math.min(100, percent)}%"></span></div>
  </div>`;
}

function summaryView(s) {
  return html`<section class="panel" aria-labelledby="h-summary"><h2 id="h-summary">Summary</h2>
    <p class="big" data-summary>${s.summary}</p>
    <p>${s.trend_message ?? ""}</p>
    <div class="grid2">
      <div>
        <dl class="facts">
          <dt>Today so far</dt><dd data-today=${s.today_cents}>${cents(s.today_cents)}</dd>
          <dt>Usually spent by now</dt><dd>${s.expected_today_cents === null ? "no history yet" : cents(s.expected_today_cents)}
            ${s.deviation_pct === null || s.deviation_pct === undefined ? "" : ` (${s.deviation_pct > 0 ? "+" : ""}${s.deviation_pct} %)`}</dd>
          <dt>Month to date</dt><dd data-mtd=${s.month_to_date_cents}>${cents(s.month_to_date_cents)}</dd>
          <dt>Daily average</dt><dd>${cents(s.daily_avg_cents)} over ${s.days_elapsed} days</dd>
          <dt>Projected month</dt><dd>${cents(s.projected_month_cents)}</dd>
          ${s.days_until_budget_exhausted === null || s.days_until_budget_exhausted === undefined ? nothing
            : html`<dt>Budget lasts</dt><dd>${s.days_until_budget_exhausted} more days at this pace</dd>`}
          <dt>Data as of</dt><dd>${s.last_updated ? when(s.last_updated) : "no rollup yet"}</dd>
        </dl>
        <h3>Budgets</h3>
        ${budgetBar("Daily", s.today_cents, s.daily_budget_cents, s.daily_budget_pct)}
        ${budgetBar("Monthly", s.month_to_date_cents, s.monthly_budget_cents, s.monthly_budget_pct)}
      </div>
      <div class="chart-box"><canvas id="chart-today" role="img"
        aria-label="Spend so far today compared with the usual spend by this time"></canvas></div>
    </div>
  </section>`;
}

function items(title, rows, nameOf = (r) => r.name) {
  return html`<div><h3>${title}</h3>${rows.length
    ? html`<table class="stack"><thead><tr><th scope="col">${title}</th><th scope="col" class="num">Spend</th>
        <th scope="col" class="num">Share</th><th scope="col" class="num">Requests</th><th scope="col">Trend</th></tr></thead>
        <tbody>${rows.map((r) => html`<tr><td data-label=${title} class="wrap">${nameOf(r)}</td>
          <td data-label="Spend" class="num">${cents(r.spend_cents)}</td><td data-label="Share" class="num">${pct(r.pct)}</td>
          <td data-label="Requests" class="num">${r.requests}</td>
          <td data-label="Trend">${words(r.trend)}<div class="muted">${r.trend_message}</div></td></tr>`)}</tbody></table>`
    : html`<p class="muted">No spend.</p>`}</div>`;
}

function explainedView(e, period) {
  return html`<section class="panel" aria-labelledby="h-explained"><h2 id="h-explained">Where the spend went</h2>
    <nav class="tabs" aria-label="Period">${Object.entries(PERIODS).map(([key, label]) => html`<a
      href="#/costs?period=${key}" aria-current=${key === period ? "page" : nothing}>${label}</a>`)}</nav>
    <p class="big">${e.summary} <span class="muted">Total ${cents(e.total_cents)}.</span></p>
    ${e.total_cents === 0 ? html`<p class="empty">No spend recorded in this period.</p>` : html`
      <div class="chart-box"><canvas id="chart-drivers" role="img"
        aria-label="Spend by feature and by model; the numbers are in the tables below"></canvas></div>
      ${items("Feature", e.by_feature)}
      ${items("Model", e.by_model, (r) => r.display_name ?? r.name)}
      ${items("User", e.by_user)}`}
  </section>`;
}

function incidentsView(list) {
  return html`<section class="panel" aria-labelledby="h-cost-incidents"><h2 id="h-cost-incidents">Cost incidents (last 30 days)</h2>
    ${list.incidents.length
      ? html`<table class="stack"><thead><tr><th scope="col">What</th><th scope="col">Status</th>
          <th scope="col" class="num">Spend</th><th scope="col" class="num">Threshold</th><th scope="col" class="num">Over</th>
          <th scope="col">Recommendation</th><th scope="col">Detected</th></tr></thead>
        <tbody>${list.incidents.map((i) => html`<tr>
          <td data-label="What" class="wrap">${i.incident_id ? html`<a href="#/incident/${i.incident_id}">${i.title}</a>` : i.title}</td>
          <td data-label="Status" class="status-${i.status}">${STATUS[i.status] ?? words(i.status)}</td>
          <td data-label="Spend" class="num">${cents(i.current_cents)}</td>
          <td data-label="Threshold" class="num">${cents(i.threshold_cents)}</td>
          <td data-label="Over" class="num">${cents(i.overage_cents)}</td>
          <td data-label="Recommendation">${i.recommendation}</td>
          <td data-label="Detected">${when(i.detected_at)}</td></tr>`)}</tbody></table>`
      : html`<p class="empty">No cost incidents in the last 30 days.</p>`}
  </section>`;
}
