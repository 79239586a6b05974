// One incident: facts, timeline, proof, evidence, learnings, recurrence, actions and exports.
import { html, nothing, render } from "../vendor/lit-html.js";
import { get } from "./api.js";
import { act, actionButtons } from "./actions.js";
import { exportsPanel } from "./exports.js";
import { onChange } from "./live.js";
import { count, dollars, duration, errorBox, maybe, severity, state, when, words } from "./format.js";

const optional = (promise) => promise.then((value) => ({ value }), (error) => ({ error }));

export async function showIncident(main, { id }, ctx) {
  const quiet = main.dataset.view === `incident:${id}`;
  main.dataset.view = `incident:${id}`;
  if (!quiet) render(html`<p class="loading" role="status">Loading the incident…</p>`, main);
  let incident;
  const base = `/api/v1/incidents/${id}`;
  // The timeline is served in every environment; proof and evidence only in preflight.
  const extras = Promise.all([optional(get(`${base}/timeline`)), optional(get(`${base}/proof`)),
    optional(get(`${base}/evidence`)), optional(get(`${base}/learnings`))]);
  try {
    incident = await get(base);
  } catch (error) {
    if (ctx.isCurrent()) render(html`<p><a href="#/incidents">← Incidents</a></p>${errorBox(error, ctx.refresh)}`, main);
    return;
  }
  const [history, proof, evidence, learnings] = await extras;
  if (!ctx.isCurrent()) return;
  let progress = "";
  const draw = () => render(view(incident, history, proof, evidence, learnings, run, progress), main);
  const run = async (action) => {
    try {
      const updated = await act(action, incident, {
        toast: ctx.toast,
        onProgress: (text) => { progress = text; draw(); },
      });
      if (updated && ctx.isCurrent()) ctx.refresh();
    } catch (error) {
      progress = "";
      ctx.toast(error.message);
      draw();
    }
  };
  draw();
  const stop = onChange((event, change) => {
    if (!ctx.isCurrent()) return stop();
    if (event === "change" && change.incident_id === id && !progress) {
      stop();
      ctx.refresh();
    }
  });
}

function view(i, history, proof, evidence, learnings, run, progress) {
  return html`<p><a href="#/incidents">← Incidents</a></p>
    <div class="detail-head">${severity(i.severity)} ${state(i.lifecycle_state)}
      ${i.is_synthetic ? html`<span class="state">Synthetic</span>` : nothing}</div>
    <h1>${i.title}</h1>
    ${progress ? html`<p class="notice" role="status">${progress}</p>` : nothing}
    ${actionButtons(i, (action) => run(action))}
    ${i.recurrence_of
      ? html`<p class="notice">This incident repeats an earlier one:
          <a href="#/incident/${i.recurrence_of}">the incident it recurs from</a>.</p>`
      : nothing}
    <div class="grid2">
      <section class="panel" aria-labelledby="h-facts"><h2 id="h-facts">Facts</h2>${facts(i)}</section>
      <section class="panel" aria-labelledby="h-proof"><h2 id="h-proof">Proof</h2>${proofView(proof)}</section>
    </div>
    <section class="panel" aria-labelledby="h-timeline"><h2 id="h-timeline">Timeline</h2>${timeline(history)}</section>
    <section class="panel" aria-labelledby="h-export"><h2 id="h-export">Export</h2>${exportsPanel(i)}</section>
    <section class="panel" aria-labelledby="h-evidence"><h2 id="h-evidence">Evidence</h2>${evidenceView(evidence)}</section>
    <section class="panel" aria-labelledby="h-learn"><h2 id="h-learn">Learnings</h2>${learningsView(learnings)}</section>`;
}

function facts(i) {
  const row = (label, value) => value === null || value === undefined || value === "" || value === nothing
    ? nothing : html`<dt>${label}</dt><dd>${value}</dd>`;
  return html`<dl class="facts">
    ${row("Description", i.description)}
    ${row("Category", words(i.category))}
    ${row("Cause", words(i.cause_type))}
    ${row("Trigger", maybe(i.trigger_type, words))}
    ${row("Source", words(i.source_type))}
    ${row("Policy", i.policy_id)}
    ${row("Agent", i.affected_agent_id)}
    ${row("Run", i.llm_run_id)}
    ${row("Calls affected", String(i.calls_affected))}
    ${row("Events", String(i.event_count))}
    ${row("Cost impact", dollars(i.cost_impact_usd))}
    ${row("Error", i.error_code ? `${i.error_code}: ${i.error_message ?? ""}` : null)}
    ${row("First event", when(i.first_event_at))}
    ${row("Created", when(i.created_at))}
    ${row("Last event", when(i.last_event_at))}
    ${row("Acknowledged", i.acked_at ? html`${when(i.acked_at)} by ${i.acked_by}` : null)}
    ${row("Resolved", i.resolved_at
      ? html`${when(i.resolved_at)}${i.resolved_by ? ` by ${i.resolved_by}` : ""} (${words(i.resolution_method)})` : null)}
    ${row("Fingerprint", html`<span class="mono">${i.fingerprint}</span>`)}
    ${row("Incident id", html`<span class="mono">${i.incident_id}</span>`)}
  </dl>`;
}

function unavailable(result, what) {
  return html`<p class="muted">${what} unavailable: ${result.error.message}</p>`;
}

function proofView(proof) {
  if (proof.error) return unavailable(proof, "Proof");
  const integrity = proof.value.data.integrity;
  const ok = integrity.verification_status === "VERIFIED";
  return html`<dl class="facts">
    <dt>Status</dt><dd class=${ok ? "verified" : "tampered"} data-proof=${integrity.verification_status}>
      ${ok ? "✔ Verified: the timeline chain recomputes" : "✘ Tampered: the timeline chain does not recompute"}
      ${integrity.first_broken_sequence ? ` (first broken entry #${integrity.first_broken_sequence})` : ""}</dd>
    <dt>Head hash</dt><dd class="mono">${integrity.root_hash ?? "—"}</dd>
    <dt>Algorithm</dt><dd>${integrity.algorithm}</dd>
    <dt>Entries</dt><dd>${integrity.event_count}</dd>
  </dl>`;
}

const ENTRY = {
  created: "Opened", event_attached: "Event attached", severity_escalated: "Severity escalated",
  acknowledged: "Acknowledged", resolved: "Resolved", auto_resolved: "Auto-resolved (idle)",
  exported: "Exported",
};

/** Who did it: the person of a command, else the source of the event (a killswitch, a detector). */
function actor(entry) {
  const d = entry.data ?? {};
  const event = d.event ?? {};
  if (d.actor_id ?? d.resolved_by ?? d.requested_by) return d.actor_id ?? d.resolved_by ?? d.requested_by;
  if (entry.entry_type === "auto_resolved") return "Guard (idle timeout)";
  if (event.actor_id) return event.actor_id;
  if (event.killswitch_id) return `killswitch ${event.killswitch_id}`;
  if (event.event_type === "cost.anomaly_detected") return "cost anomaly detector";
  return "Guard";
}

function detailOf(entry) {
  const d = entry.data ?? {};
  const event = d.event ?? {};
  const bits = [];
  if (d.notes) bits.push(`“${d.notes}”`);
  if (d.method) bits.push(`method ${words(d.method)}`);
  if (d.from && d.to) bits.push(`severity ${d.from} → ${d.to}`);
  if (event.trigger_type) bits.push(`${words(event.trigger_type)}${event.action ? `, ${event.action}` : ""}`);
  if (event.reason ?? d.reason) bits.push(event.reason ?? d.reason);
  if (event.calls_affected !== undefined) bits.push(`${event.calls_affected} calls`);
  else if (d.calls_affected !== undefined) bits.push(`${d.calls_affected} calls in total`);
  return bits.join(" · ");
}

function timeline(history) {
  if (history.error) return unavailable(history, "The timeline");
  const entries = history.value.entries;
  if (!entries.length) return html`<p class="empty">No timeline entries yet.</p>`;
  return html`<ol class="timeline">${entries.map((e) => html`<li data-entry=${e.entry_type}>
    <strong>${ENTRY[e.entry_type] ?? words(e.entry_type)}</strong> · ${when(e.occurred_at)} ·
    <span class="actor">by ${actor(e)}</span>
    ${detailOf(e) ? html`<div class="muted">${detailOf(e)}</div>` : nothing}</li>`)}</ol>`;
}

function evidenceView(result) {
  if (result.error) return unavailable(result, "Evidence");
  const e = result.value.data;
  const run = e.source_run;
  return html`
    <h3>Source run</h3>
    ${run ? html`<p>Run <span class="mono">${run.run_id}</span>${run.agent_id ? ` (agent ${run.agent_id})` : ""}:
        ${run.step_count
          ? `${run.step_count} model calls, ${run.total_input_tokens + run.total_output_tokens} tokens, ${dollars(run.total_cost_usd)}, ${duration(run.total_duration_ms)}.`
          : "no model calls were recorded for this run."}</p>
        ${run.steps.length ? html`<table class="stack"><thead><tr><th scope="col">Time</th><th scope="col">Model</th>
          <th scope="col" class="num">Tokens in/out</th><th scope="col" class="num">Cost</th><th scope="col">Status</th></tr></thead>
          <tbody>${run.steps.slice(0, 50).map((s) => html`<tr><td data-label="Time">${when(s.occurred_at)}</td>
            <td data-label="Model" class="wrap">${s.model}</td><td data-label="Tokens" class="num">${s.input_tokens} / ${s.output_tokens}</td>
            <td data-label="Cost" class="num">${dollars(s.cost_usd)}</td><td data-label="Status">${s.status ?? "—"}</td></tr>`)}</tbody>
        </table>` : nothing}`
      : html`<p class="muted">No run is linked to this incident.</p>`}
    <h3>Policies triggered</h3>
    ${e.policies_triggered.length ? html`<ul>${e.policies_triggered.map((p) => html`<li>${when(p.occurred_at)}:
        ${p.event_type === "killswitch.released"
          ? html`released${p.actor_id ? ` by ${p.actor_id}` : ""}${p.reason ? `: ${p.reason}` : ""}`
          : html`${words(p.trigger_type)} ${p.policy_id ? html`(policy <span class="mono">${p.policy_id}</span>)` : nothing}
            ${p.rule ? ` rule “${p.rule}”` : ""} → ${words(p.action)}${p.reason ? `: ${p.reason}` : ""}`}</li>`)}</ul>`
      : html`<p class="muted">None.</p>`}
    <h3>Related incidents</h3>
    ${e.related_incidents.length ? html`<ul>${e.related_incidents.map((r) => html`<li>
        <a href="#/incident/${r.incident_id}">${r.title}</a> ${severity(r.severity)} ${state(r.lifecycle_state)}
        <span class="muted">opened ${when(r.created_at)}</span></li>`)}</ul>`
      : html`<p class="muted">None.</p>`}
    <h3>Suggested recovery</h3>
    ${e.recovery_suggestions.length ? html`<ul>${e.recovery_suggestions.map((s) => html`<li>
        <strong>${words(s.priority)} priority:</strong> ${s.description}</li>`)}</ul>`
      : html`<p class="muted">None.</p>`}`;
}

function learningsView(result) {
  if (result.error) return unavailable(result, "Learnings");
  const l = result.value;
  const summary = l.resolution_summary;
  return html`
    ${summary ? html`<p>Resolved ${summary.resolution_method ? `(${words(summary.resolution_method)})` : ""}
        after ${duration(summary.time_to_resolution_ms)} with ${count(summary.evidence_count, "event")} attached;
        recovery ${summary.recovery_attempted ? "was" : "was not"} attempted.</p>`
      : html`<p class="muted">Not resolved yet.</p>`}
    <h3>Similar incidents</h3>
    ${l.similar_incidents.length ? html`<ul class="similar">${l.similar_incidents.map((s) => html`<li>
        <a href="#/incident/${s.incident_id}">${s.title}</a> ${severity(s.severity)}
        <span class="muted">resolved ${when(s.resolved_at)}; same ${s.match}, took ${duration(s.time_to_resolution_ms)}
        ${s.resolution_method ? `(${words(s.resolution_method)})` : ""}</span></li>`)}</ul>`
      : html`<p class="muted">No similar resolved incidents yet.</p>`}
    <h3>Insights</h3>
    ${l.insights.length ? html`<ul>${l.insights.map((x) => html`<li><strong>${words(x.insight_type)}:</strong>
        ${x.message} <span class="muted">(confidence ${Math.round(x.confidence * 100)} %)</span></li>`)}</ul>`
      : html`<p class="muted">No insights yet.</p>`}`;
}
