// The Katamari console: plain JavaScript and hand-drawn SVG, no library, nothing fetched from elsewhere.
// It reads the admin API of the dispatcher that served it (GET /cluster once a second, /cluster/history for the
// charts, /dead-letters every few seconds) and writes through the same API (PATCH /pools/{pool},
// POST|DELETE /workers/{id}/drain). Everything shown comes from the cluster, so it is put into the page as text,
// never as HTML: a dead letter's reason or a host name cannot inject markup.
"use strict";

const POLL_MS = 1000;
const DEAD_LETTERS_EVERY = 3; // polls
const COLORS = ["#1b5fb8", "#c0262d", "#23803a", "#b86b00", "#7a3fb8", "#0f8a8a", "#6b7385"];

let key = sessionStorage.getItem("katamari-admin-key") || "";
let polls = 0;
let pollFailed = false;
let cluster = null;
let history = null;
// weights typed but not yet sent, per pool and version: a redraw must not throw away what the operator types
const typed = {};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
  return e;
}

async function api(method, path, body) {
  const headers = { "accept": "application/json" };
  if (key) headers["Katamari-Admin-Key"] = key;
  if (body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let json = null;
  try { json = await r.json(); } catch (e) { /* not JSON: reported below by status */ }
  return { status: r.status, ok: r.ok, body: json };
}

function say(text, isError) {
  const m = document.getElementById("message");
  m.hidden = !text;
  m.className = "banner" + (isError ? " error" : "");
  m.textContent = text || "";
}

function errorText(r) {
  const e = r.body && r.body.error;
  return "HTTP " + r.status + (e ? " " + e.code + ": " + e.message : "");
}

// ---- access: open in dev (no key), else the key form ----

function showAccess(state) {
  const access = document.getElementById("access");
  const form = document.getElementById("key-form");
  if (state === "open") {
    access.className = "banner open";
    access.textContent = "Dev: this admin API is OPEN, no admin key is needed (cluster.adminKey is not set). "
      + "Anyone who reaches this port may change the cluster; keep the box private.";
    form.hidden = true;
  } else if (state === "key") {
    access.className = "banner";
    access.textContent = "Signed in with the admin key.";
    form.hidden = true;
  } else {
    access.className = "banner error";
    access.textContent = state === "wrong" ? "The admin key was refused." : "This admin API needs the admin key.";
    form.hidden = false;
  }
  access.dataset.access = state;
}

document.getElementById("key-form").addEventListener("submit", ev => {
  ev.preventDefault();
  key = document.getElementById("key").value.trim();
  sessionStorage.setItem("katamari-admin-key", key);
  poll();
});

// ---- charts ----

// A small line chart of several series over the history's time axis; null values break the line.
function chart(k, metric, series, t, unit) {
  const W = 220, H = 44, now = t.length ? t[t.length - 1] : Date.now(), span = (history ? history.points : 300) * 1000;
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  const top = max > 0 ? max * 1.1 : 1;
  const box = svg("svg", { class: "chart", width: W, height: H, viewBox: `0 0 ${W} ${H}`, "data-key": k, "data-metric": metric });
  let last = null;
  series.forEach((s, n) => {
    let points = [];
    const flush = () => {
      if (points.length) box.append(svg("polyline", { points: points.join(" "), stroke: s.color || COLORS[n % COLORS.length] }));
      points = [];
    };
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) { flush(); return; }
      const x = W - (now - t[i]) / span * W;
      points.push(x.toFixed(1) + "," + (H - 2 - v / top * (H - 4)).toFixed(1));
    });
    if (points.length === 1) points.push(points[0]); // a lone point still shows as a dot-sized line
    flush();
    const lastValue = [...s.values].reverse().find(v => v !== null && v !== undefined);
    if (n === 0 && lastValue !== undefined) last = lastValue;
  });
  box.dataset.max = String(max);
  box.dataset.last = last === null ? "" : String(last);
  const legend = el("div", { class: "legend" }, series.map((s, n) =>
    el("span", { style: "color:" + (s.color || COLORS[n % COLORS.length]) }, s.name + " " + fmt(lastOf(s.values)) + unit)));
  return el("td", { class: "chart-cell" }, box, legend, el("span", {}, "max " + fmt(max) + unit));
}

function lastOf(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null && values[i] !== undefined) return values[i];
  return null;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  return Math.abs(v) >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}

// ---- pools ----

function renderPools() {
  const out = document.getElementById("pools");
  // while the operator types a weight the pools are not redrawn (a redraw would move the caret under their fingers);
  // they are again once the field loses the focus, with what was typed kept until it is sent
  if (document.activeElement && document.activeElement.matches && document.activeElement.matches("input.weight")) return;
  out.replaceChildren();
  const t = history ? history.t : [];
  for (const [pool, versions] of Object.entries(cluster.pools || {})) {
    const total = versions.reduce((s, v) => s + v.weight, 0);
    const rows = versions.map(v => {
      const k = pool + "/" + v.version;
      const h = (history && history.versions[k]) || {};
      const errs = Object.entries(h.errorsPerSecond || {}).map(([code, values]) => ({ name: code, values }));
      const typedHere = (typed[pool] || {})[v.version];
      const input = el("input", { class: "weight", type: "number", min: 0, max: 1000000, "data-pool": pool,
        "data-version": v.version, value: typedHere !== undefined ? typedHere : v.weight,
        oninput: ev => { (typed[pool] = typed[pool] || {})[v.version] = ev.target.value; } });
      const share = total > 0 ? Math.round(v.weight * 1000 / total) / 10 + "%" : "pinned only";
      const errorCounts = Object.entries(v.errors || {}).map(([c, n]) => c + " " + n).join(", ") || "none";
      return el("tr", { class: "version", "data-key": k },
        el("td", {}, el("strong", {}, v.version), v.degraded ? el("div", { class: "state state-degraded" }, "degraded") : null),
        el("td", {}, input, el("div", { class: "muted" }, share)),
        el("td", { class: "num" }, `${v.running}/${v.instances}`, el("div", { class: "muted" },
          `${v.available} idle, ${v.inUse} busy` + (v.unplaced ? `, ${v.unplaced} unplaced` : "") + (v.stopping ? `, ${v.stopping} stopping` : ""))),
        el("td", { class: "num" }, String(v.restarts)),
        el("td", { class: "num" }, String(v.requests), el("div", { class: "muted" }, "errors: " + errorCounts)),
        chart(k, "rate", [{ name: "req/s", values: h.requestsPerSecond || [] }], t, ""),
        chart(k, "latency", [{ name: "p50", values: h.p50Ms || [] }, { name: "p99", values: h.p99Ms || [], color: COLORS[1] }], t, " ms"),
        chart(k, "errors", errs.length ? errs.map((s, n) => ({ ...s, color: COLORS[(n + 1) % COLORS.length] }))
          : [{ name: "errors/s", values: (h.requestsPerSecond || []).map(v => v === null ? null : 0), color: COLORS[1] }], t, "/s"),
        chart(k, "queue", [{ name: "queued", values: h.queueDepth || [] }, { name: "pending", values: h.pending || [], color: COLORS[3] }], t, ""));
    });
    const set = el("button", { class: "set-weights", "data-pool": pool, onclick: () => setWeights(pool) }, "Set weights");
    out.append(el("div", { class: "pool", "data-pool": pool },
      el("h3", {}, pool),
      el("table", {},
        el("thead", {}, el("tr", {}, ["version", "weight", "instances", "restarts", "requests", "req/s", "latency p50 / p99",
          "errors by code /s", "queue depth, pending"].map(h => el("th", {}, h)))),
        el("tbody", {}, rows)),
      set, el("span", { class: "muted" }, " unpinned traffic goes to a version with probability weight / sum of weights; 0 takes pinned calls only")));
  }
}

async function setWeights(pool) {
  const weights = {};
  for (const input of document.querySelectorAll(`input.weight[data-pool="${CSS.escape(pool)}"]`)) {
    // Number("") is 0: an emptied field must not silently take a version out of unpinned traffic
    const n = input.value.trim() === "" ? NaN : Number(input.value);
    if (!Number.isInteger(n) || n < 0) { say(`weight of ${pool}/${input.dataset.version} must be a whole number 0-1000000`, true); return; }
    weights[input.dataset.version] = n;
  }
  const r = await api("PATCH", "/pools/" + encodeURIComponent(pool), { weights });
  if (r.ok) {
    delete typed[pool];
    say(`weights of ${pool} set: ` + Object.entries(weights).map(([v, w]) => v + "=" + w).join(", "));
  } else {
    say(`setting weights of ${pool} failed: ` + errorText(r), true);
  }
  poll();
}

// ---- workers ----

// What an instance does, in the operator's words: a slot between a crash and its next hello is restarting.
function stateOf(i) {
  if (i.degraded) return "degraded";
  switch (i.state) {
    case "IDLE": return "idle";
    case "BUSY": return "busy";
    case "BACKOFF": return "restarting";
    case "STARTING": return i.restarts > 0 ? "restarting" : "starting";
    default: return i.state.toLowerCase();
  }
}

function renderWorkers() {
  const out = document.getElementById("workers");
  out.replaceChildren();
  for (const w of cluster.workers || []) {
    const rows = (w.processes || []).map(i => {
      const s = stateOf(i);
      return el("tr", { class: "instance", "data-instance": i.instance, "data-pid": i.pid, "data-key": i.pool + "/" + i.version },
        el("td", {}, i.instance), el("td", {}, i.pool + "/" + i.version),
        el("td", { class: "state state-" + s }, s), el("td", { class: "num" }, i.pid > 0 ? String(i.pid) : "–"),
        el("td", { class: "num restarts" }, String(i.restarts)),
        el("td", { class: "num" }, i.rssKb > 0 ? (i.rssKb / 1024).toFixed(1) + " MB" : "–"));
    });
    const drain = el("button", { class: "drain", "data-worker": w.id, onclick: () => drainWorker(w.id, !w.draining) },
      w.draining ? "Undrain" : "Drain");
    const unhealthy = Object.entries(w.unhealthy || {}).map(([k, why]) => el("div", { class: "down" }, k + ": " + why));
    out.append(el("div", { class: "worker", "data-worker": w.id, "data-draining": String(w.draining) },
      el("h3", {}, w.id, " ", el("span", { class: "muted" }, `${w.host} · ${w.instances}/${w.capacity} instances · heard ${w.heartbeatAgeMs} ms ago`),
        " ", w.draining ? el("span", { class: "down draining" }, "draining") : null,
        " ", w.healthy ? null : el("span", { class: "down" }, "unhealthy")),
      unhealthy,
      el("table", {}, el("thead", {}, el("tr", {}, ["instance", "pool/version", "state", "pid", "restarts", "memory"].map(h => el("th", {}, h)))),
        el("tbody", {}, rows)),
      drain, el("span", { class: "muted" }, w.draining ? " nothing new is placed here; undrain gives it work again"
        : " drain: the master places nothing more here, running requests finish, then its instances stop")));
  }
  if ((cluster.drained || []).some(id => !(cluster.workers || []).some(w => w.id === id))) {
    out.append(el("p", { class: "muted" }, "drained, not registered now: " + cluster.drained.join(", ")));
  }
}

async function drainWorker(id, draining) {
  const r = await api(draining ? "POST" : "DELETE", "/workers/" + encodeURIComponent(id) + "/drain");
  say(r.ok ? `worker ${id} ${draining ? "drained" : "undrained"}` : `drain of ${id} failed: ` + errorText(r), !r.ok);
  poll();
}

// ---- rollouts ----

function renderRolloutPools() {
  const select = document.getElementById("rollout-pool");
  const pools = Object.keys(cluster.pools || {});
  if (select.dataset.pools === pools.join(",")) return; // rebuilt only when the pools change: the operator may be choosing
  const chosen = select.value;
  select.replaceChildren(...pools.map(p => el("option", { value: p, selected: p === chosen }, p)));
  select.dataset.pools = pools.join(",");
}

function renderRollouts(list) {
  document.getElementById("rollouts").replaceChildren(...list.slice().reverse().map(r =>
    el("div", { class: "rollout", "data-id": r.id, "data-state": r.state, "data-pool": r.pool, "data-version": r.version },
      el("h3", {}, `${r.pool} → ${r.version} `, el("span", { class: "state state-" + (r.state === "running" ? "busy"
        : r.state === "promoted" ? "idle" : "degraded") }, r.state.replace("_", " ")),
        el("span", { class: "muted" }, ` steps ${r.steps.join(", ")}% · started ${new Date(r.startedAt).toLocaleTimeString()}`
          + (r.endedAt ? ` · ended ${new Date(r.endedAt).toLocaleTimeString()}` : ""))),
      r.message ? el("div", {}, r.message) : null,
      el("pre", { class: "log" }, r.log.join("\n")))));
}

document.getElementById("rollout-form").addEventListener("submit", async ev => {
  ev.preventDefault();
  const v = id => document.getElementById(id).value.trim();
  // an empty number field is left out (the server's default applies), never sent as Number("") = 0
  const num = id => v(id) === "" ? undefined : Number(v(id));
  const body = { pool: v("rollout-pool"), version: v("rollout-version"), stepTime: v("rollout-step-time"),
    steps: v("rollout-steps").split(",").map(s => s.trim() === "" ? NaN : Number(s.trim())), maxErrorRate: num("rollout-max-error-rate"),
    minRequests: num("rollout-min-requests"), keepOld: document.getElementById("rollout-keep-old").checked };
  if (v("rollout-definition")) {
    try { body.definition = JSON.parse(v("rollout-definition")); } catch (e) { say("the definition is not JSON: " + e.message, true); return; }
  }
  const r = await api("POST", "/rollouts", body);
  say(r.ok ? `rollout ${r.body.id} started` : "the rollout was refused: " + errorText(r), !r.ok);
  poll();
});

// ---- masters, dead letters ----

function renderMasters() {
  const self = cluster.self || {};
  document.getElementById("self").textContent = "this dispatcher: " + self.address + (self.leader ? " (master)" : " (standby)");
  const leader = document.getElementById("leader");
  leader.textContent = cluster.leader ? "master: " + cluster.leader.address + " (fence " + cluster.leader.fence + ")"
    : "no master right now (an election is under way; traffic flows)";
  leader.className = cluster.leader ? "leader" : "down";
  leader.dataset.address = cluster.leader ? cluster.leader.address : "";
  document.getElementById("masters").replaceChildren(...(cluster.masters || []).map(m =>
    el("li", { "data-address": m.address }, m.address + " ", el("span", { class: m.leader ? "leader" : m.healthy ? "" : "down" },
      m.leader ? "master" : m.healthy ? "standby" : "down"), el("span", { class: "muted" }, " priority " + m.priority))));
}

function renderDeadLetters(letters) {
  const body = document.querySelector("#dead-letters tbody");
  if (!letters.length) {
    body.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "none")));
    return;
  }
  body.replaceChildren(...letters.map(d => el("tr", { class: "dead-letter" },
    el("td", {}, new Date(d.at).toLocaleString()), el("td", {}, d.pool + "/" + d.version), el("td", {}, d.id),
    el("td", { class: "reason" }, d.reason, d.stderrTail ? el("div", { class: "muted" }, d.stderrTail) : null),
    el("td", { class: "num" }, d.attempts), el("td", {}, d.instance), el("td", { class: "request" }, d.request))));
}

// ---- the loop ----

async function poll() {
  polls++;
  try {
    const [c, h] = await Promise.all([api("GET", "/cluster"), api("GET", "/cluster/history")]);
    if (c.status === 401 || c.status === 403) {
      showAccess(c.status === 403 ? "wrong" : "needed");
      return;
    }
    if (!c.ok) { pollFailed = true; say("reading /cluster failed: " + errorText(c), true); return; }
    if (pollFailed) { pollFailed = false; say(""); }
    showAccess(key ? "key" : "open");
    cluster = c.body;
    if (h.ok) history = h.body;
    renderMasters();
    renderPools();
    renderWorkers();
    renderRolloutPools();
    const ro = await api("GET", "/rollouts");
    if (ro.ok) renderRollouts(ro.body.rollouts || []);
    if (polls % DEAD_LETTERS_EVERY === 1) {
      const d = await api("GET", "/dead-letters?limit=20");
      if (d.ok) renderDeadLetters(d.body.deadLetters || []);
    }
    document.getElementById("updated").textContent = "updated " + new Date().toLocaleTimeString();
    document.body.dataset.polls = String(polls);
  } catch (e) {
    pollFailed = true;
    say("this dispatcher cannot be reached (" + e.message + "); retrying every second", true);
  }
}

let timer = null;
async function loop() {
  await poll();
  timer = setTimeout(loop, POLL_MS);
}
loop();
