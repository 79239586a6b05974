// Acknowledge and resolve: a dialog for notes (and the method), the command, then polling until
// ingest has applied it (the API answers 202 when the command is published, not when it is applied).
import { html, nothing, render } from "../vendor/lit-html.js";
import { get, post } from "./api.js";
import { RESOLUTION_METHODS, words } from "./format.js";

const dialog = document.getElementById("dialog");
const APPLIED = { acknowledge: ["ACKED", "RESOLVED"], resolve: ["RESOLVED"] };

function ask(action, incident) {
  return new Promise((resolve) => {
    const done = (value) => {
      dialog.close();
      resolve(value);
    };
    const submit = (event) => {
      event.preventDefault();
      const data = new FormData(event.target);
      const body = { notes: String(data.get("notes") ?? "").trim() || null };
      if (action === "resolve") body.resolution_method = data.get("resolution_method");
      done(body);
    };
    dialog.onclose = () => resolve(null);
    const verb = action === "resolve" ? "Resolve" : "Acknowledge";
    render(
      html`<form @submit=${submit}>
        <h2 id="dialog-title">${verb} “${incident.title}”</h2>
        ${action === "resolve"
          ? html`<div><label for="dlg-method">Resolution method</label>
              <select id="dlg-method" name="resolution_method">
                ${RESOLUTION_METHODS.map((m) => html`<option value=${m}>${words(m)}</option>`)}
              </select></div>`
          : nothing}
        <div><label for="dlg-notes">Notes (optional, kept in the timeline)</label>
          <textarea id="dlg-notes" name="notes" maxlength="4096" rows="3"></textarea></div>
        <div class="actions">
          <button class="primary" type="submit">${verb}</button>
          <button type="button" @click=${() => done(null)}>Cancel</button>
        </div>
      </form>`,
      dialog,
    );
    dialog.showModal();
    dialog.querySelector("textarea, select")?.focus();
  });
}

/** Ask, send, wait until applied. Returns the updated incident, or null when cancelled. */
export async function act(action, incident, { toast, onProgress = () => {} }) {
  const body = await ask(action, incident);
  if (!body) return null;
  const id = incident.incident_id;
  onProgress(`${action === "resolve" ? "Resolve" : "Acknowledge"} sent; waiting for it to be applied…`);
  await post(`/api/v1/incidents/${id}/${action}`, body);
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const current = await get(`/api/v1/incidents/${id}`);
    if (APPLIED[action].includes(current.lifecycle_state)) {
      toast(`Incident ${action === "resolve" ? "resolved" : "acknowledged"}: ${current.title}`);
      return current;
    }
    await new Promise((r) => setTimeout(r, 400));
  }
  toast("The command was accepted but is not applied yet; the page will show it once ingest catches up.");
  return get(`/api/v1/incidents/${id}`);
}

export function actionButtons(incident, run) {
  if (incident.lifecycle_state === "RESOLVED") return nothing;
  return html`<div class="actions">
    ${incident.lifecycle_state === "ACTIVE"
      ? html`<button @click=${() => run("acknowledge", incident)}
          aria-label="Acknowledge ${incident.title}">Acknowledge</button>`
      : nothing}
    <button @click=${() => run("resolve", incident)} aria-label="Resolve ${incident.title}">Resolve</button>
  </div>`;
}
