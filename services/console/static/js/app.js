// Guard Console: hash routes, the header, sign-in and the toast. Each page lives in its own module.
import { html, nothing, render } from "../vendor/lit-html.js";
import { consoleConfig, demoToken, get, session, whenSignedOut } from "./api.js";
import { showIncidents } from "./incidents.js";
import { live, startLive, stopLive } from "./live.js";

// The list is the first page people open; the other pages load when first visited.
const PAGE_MODULES = {
  incidents: async () => showIncidents,
  incident: async () => (await import("./detail.js")).showIncident,
  analytics: async () => (await import("./analytics.js")).showAnalytics,
  costs: async () => (await import("./costs.js")).showCosts,
};

const main = document.getElementById("main");
const top = document.getElementById("top");
const toastBox = document.getElementById("toast");
const INCIDENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SIGN_IN_EXPIRED = "Your token has expired. Sign in again with a fresh token.";
let generation = 0;
main.textContent = ""; // drop the static "Loading" text; lit-html renders from here on
let signInMessage = "";
/** The address someone was on (or opened, say from a notification) when asked to sign in. */
let returnTo = null;
/** A token the gateway could not check (it was down or unreachable): left in the box for a retry. */
let retryToken = "";
let config = null;

export function toast(message) {
  toastBox.textContent = message;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (toastBox.textContent = ""), 6000);
}

/** The current route: "#/incidents?tab=resolved" → { name: "incidents", id: null, params }. */
export function route() {
  const [path, query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const [name = "", id = null] = path.split("/");
  const params = Object.fromEntries(new URLSearchParams(query));
  // "#/incidents/<id>" is the notifier's link to one incident (services/notifier, messages.py):
  // the incident's page, like "#/incident/<id>".
  if (name === "incidents" && id) return { name: "incident", id, params };
  return { name: name || "incidents", id, params };
}

export function go(name, params = {}, id = null) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null));
  const text = query.toString();
  location.hash = `#/${name}${id ? `/${id}` : ""}${text ? `?${text}` : ""}`;
}

const PAGES = [
  ["incidents", "Incidents"],
  ["analytics", "Analytics"],
  ["costs", "Costs"],
];

function header(current) {
  const claims = session.claims();
  render(
    html`<a class="brand" href="#/incidents">Guard Console</a>
      ${claims
        ? html`<nav aria-label="Main"><ul>
              ${PAGES.map(([name, label]) => html`<li><a href="#/${name}"
                aria-current=${current === name || (current === "incident" && name === "incidents") ? "page" : nothing}>${label}</a></li>`)}
              <li><a href="/docs">API docs</a></li>
            </ul></nav>
            <span class="live-status" data-live=${live.connected ? "on" : "off"}
              title="Pages refresh by themselves when incidents change">${live.connected ? "● Live" : "○ Not live"}</span>
            <span class="who">Tenant <strong>${claims.tenant_id ?? claims.org_id ?? "?"}</strong> · ${claims.sub}</span>
            <button @click=${signOut}>Sign out</button>`
        : nothing}`,
    top,
  );
}

function signOut() {
  stopLive();
  session.clear();
  returnTo = null;
  signInMessage = "You have signed out.";
  go("signin");
}

whenSignedOut((message) => {
  stopLive();
  signInMessage = message;
  if (route().name !== "signin") {
    returnTo = location.hash;
    go("signin");
  } else show();
});

async function signIn(token) {
  session.set(token.trim());
  try {
    // One cheap authenticated read proves the token before the page says "signed in".
    await get("/api/v1/incidents/active", { limit: 1 });
  } catch (error) {
    if (error.status !== 401) {
      signInMessage = error.message;
      session.clear();
      retryToken = error.status === 0 || error.status >= 500 ? token.trim() : "";
    }
    show();
    return;
  }
  signInMessage = "";
  const target = returnTo;
  returnTo = null;
  if (!target) go("incidents");
  else if (location.hash === target) show();
  else location.hash = target;
}

async function showSignIn() {
  config ??= await consoleConfig();
  const submit = (event) => {
    event.preventDefault();
    const token = new FormData(event.target).get("token");
    if (token && String(token).trim()) signIn(String(token));
  };
  const demo = async (event) => {
    event.target.disabled = true;
    try {
      signIn((await demoToken()).token);
    } catch (error) {
      signInMessage = error.message;
      show();
    }
  };
  render(
    html`<section class="signin panel" aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in</h1>
      ${signInMessage ? html`<p class="notice" role="alert">${signInMessage}</p>` : nothing}
      <form @submit=${submit}>
        <label for="token">Access token (JWT)</label>
        <textarea id="token" name="token" autocomplete="off" spellcheck="false" required
          placeholder="Paste the token your administrator gave you"></textarea>
        <p class="muted">The token stays in this browser tab only and is forgotten when the tab closes.</p>
        <button class="primary" type="submit">Sign in</button>
      </form>
      ${config.demo_tenant
        ? html`<hr><p class="muted">Development: explore the demo tenant without a token.</p>
            <button @click=${demo}>Use the demo tenant</button>`
        : nothing}
    </section>`,
    main,
  );
  // A refused or expired token is not left on the screen; one the gateway could not check is.
  const box = main.querySelector("#token");
  if (retryToken) box.value = retryToken;
  else if (signInMessage) box.value = "";
  retryToken = "";
}

async function show() {
  const current = route();
  const mine = ++generation;
  const ctx = { isCurrent: () => mine === generation, go, toast, refresh: show };
  const signedIn = Boolean(session.token);
  header(signedIn ? current.name : null);
  if (!signedIn || current.name === "signin") delete main.dataset.view;
  if (!signedIn || current.name === "signin") {
    if (signedIn && current.name === "signin") return go("incidents");
    if (current.name !== "signin" && location.hash) returnTo = location.hash;
    return showSignIn();
  }
  const claims = session.claims();
  if (claims?.exp && claims.exp * 1000 < Date.now()) {
    session.clear();
    signInMessage = SIGN_IN_EXPIRED;
    return show();
  }
  // Only the incident pages refresh in place; any other page starts from a clean slate.
  if (current.name !== "incidents" && current.name !== "incident") delete main.dataset.view;
  const load = PAGE_MODULES[current.name];
  if (!load) {
    render(html`<h1>Not found</h1><p>There is no page “${current.name}”. <a href="#/incidents">Go to the incidents.</a></p>`, main);
    return;
  }
  // Incident ids are UUIDs: anything else (an empty or mistyped link) is not asked of the API,
  // whose answer would be a list for "" and a validation message for the rest.
  if (current.name === "incident" && !INCIDENT_ID.test(current.id ?? "")) {
    render(html`<h1>Not found</h1><p>${current.id ? `“${current.id}” is not an incident id.` : "The address names no incident."} <a href="#/incidents">Go to the incidents.</a></p>`, main);
    return;
  }
  const page = await load();
  if (ctx.isCurrent()) await page(main, current, ctx);
  // After the first page is drawn, so the stream never competes with it; on "ready" the page
  // reloads once, so nothing that changed in between is missed.
  startLive(() => header(route().name));
}

let lastName = null;
window.addEventListener("hashchange", () => {
  const name = route().name;
  show();
  // Move focus to the new page for keyboard and screen-reader users (not on filter changes).
  if (name !== lastName) main.focus({ preventScroll: false });
  lastName = name;
});
lastName = route().name;
show();
