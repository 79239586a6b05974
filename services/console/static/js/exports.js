// Exports from the detail page: request, show progress (pending → rendering → completed), download.
import { html, nothing, render } from "../vendor/lit-html.js";
import { download, get, post } from "./api.js";

const KINDS = [
  { key: "evidence-zip", label: "Evidence (ZIP)", path: "evidence", body: { format: "zip" } },
  { key: "evidence-json", label: "Evidence (JSON)", path: "evidence", body: { format: "json" } },
  { key: "soc2", label: "SOC2 report (PDF)", path: "soc2", body: { format: "pdf" } },
  { key: "debrief", label: "Executive debrief (PDF)", path: "executive-debrief", body: { format: "pdf" } },
];
const STATUS = {
  pending: "Queued…", rendering: "Rendering…", completed: "Ready", failed: "Failed",
};

export function exportsPanel(incident) {
  // The panel keeps its own state; it re-renders only itself while an export progresses.
  const id = `exports-${incident.incident_id}`;
  queueMicrotask(() => {
    const host = document.getElementById(id);
    if (host && !host.dataset.ready) {
      host.dataset.ready = "1";
      drawPanel(host, incident, {});
    }
  });
  return html`<div id=${id} class="exports-host"></div>`;
}

function drawPanel(host, incident, jobs) {
  const start = async (kind) => {
    jobs[kind.key] = { status: "pending" };
    drawPanel(host, incident, jobs);
    try {
      const accepted = await post(`/api/v1/incidents/${incident.incident_id}/export/${kind.path}`, kind.body);
      jobs[kind.key] = accepted;
      drawPanel(host, incident, jobs);
      const deadline = Date.now() + 120_000;
      let job = accepted;
      while (!["completed", "failed"].includes(job.status) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 600));
        job = await get(`/api/v1/exports/${accepted.export_id}`);
        jobs[kind.key] = job;
        drawPanel(host, incident, jobs);
      }
      if (!["completed", "failed"].includes(job.status)) {
        jobs[kind.key] = { ...job, status: "failed", error: "The exporter did not finish within two minutes." };
      }
    } catch (error) {
      jobs[kind.key] = { status: "failed", error: error.message };
    }
    drawPanel(host, incident, jobs);
  };
  const save = async (job) => {
    const { blob, filename } = await download(job.links.download);
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = job.filename ?? filename;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  render(
    html`<div class="exports">${KINDS.map((kind) => {
        const job = jobs[kind.key];
        const busy = job && !["completed", "failed"].includes(job.status);
        return html`<button ?disabled=${busy} data-export=${kind.key} @click=${() => start(kind)}>${kind.label}</button>`;
      })}</div>
      <ul class="export-status" aria-live="polite">${KINDS.filter((k) => jobs[k.key]).map((kind) => {
        const job = jobs[kind.key];
        return html`<li data-export-status=${kind.key}>${kind.label}: <strong>${STATUS[job.status] ?? job.status}</strong>
          ${job.status === "completed"
            ? html` <button class="primary" data-download=${kind.key} @click=${() => save(job)}>
                Download${job.size_bytes ? ` (${Math.ceil(job.size_bytes / 1024)} KB)` : ""}</button>`
            : nothing}
          ${job.status === "failed" ? html` <span class="tampered">${job.error ?? "the exporter reported a failure"}</span>` : nothing}
        </li>`;
      })}</ul>`,
    host,
  );
}
