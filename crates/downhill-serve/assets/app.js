// The playground page: plain JS and canvas, no library. The state lives in the URL's hash
// so that a link shows the same picture.
"use strict";

const $ = (id) => document.getElementById(id);
const COLORS = ["#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6",
  "#9a6324", "#800000", "#000075", "#808000", "#469990"];
// Methods that choose their own steps offered besides the first-order ones (cg-fr is left
// out: cg shows the family).
const SOLVERS = ["gd+armijo", "gd+wolfe", "cg", "lbfgs", "newton"];

let functions = [];
let optimizers = [];
let result = null;      // the last /api/compare answer
let surface = null;     // {bounds, n, values}
let frame = 0;          // the step shown
let playing = false;
let running = false, again = false;
let firstDrawn = false;
// Points per side of the contour grid.
const SURFACE_N = 140;

const state = { f: "rosenbrock", from: null, epochs: null, opts: ["gd", "adam"], lr: {}, hyper: {} };
// The shared hyperparameters `compare` takes, each given to the optimizers that take it.
const HYPERS = ["momentum", "beta1", "beta2", "eps", "rho", "weight_decay"];
// Methods whose step carries a velocity (a running mean of gradients).
const MOMENTUM = ["momentum", "nesterov", "adam", "adamax", "nadam", "amsgrad", "adamw"];

function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  if (p.get("f")) state.f = p.get("f");
  if (p.get("from")) state.from = p.get("from").split(",").map(Number);
  if (p.get("epochs")) state.epochs = Number(p.get("epochs"));
  if (p.get("opt") !== null) state.opts = p.get("opt").split(",").filter(Boolean);
  for (const [k, v] of p) if (k.startsWith("lr.")) state.lr[k.slice(3)] = Number(v);
  for (const [k, v] of p) if (k.startsWith("h.") && HYPERS.includes(k.slice(2))) state.hyper[k.slice(2)] = Number(v);
}

function writeHash() {
  const p = new URLSearchParams();
  p.set("f", state.f);
  if (state.from) p.set("from", state.from.join(","));
  if (state.epochs) p.set("epochs", state.epochs);
  p.set("opt", state.opts.join(","));
  for (const o of state.opts) if (state.lr[o] !== undefined) p.set("lr." + o, state.lr[o]);
  for (const [k, v] of Object.entries(state.hyper)) p.set("h." + k, v);
  history.replaceState(null, "", "#" + p.toString());
}

const named = () => functions.find((f) => f.name === state.f.trim().toLowerCase());
const isSolver = (name) => SOLVERS.includes(name) || name === "cg-fr";

function defaultLr(name) {
  const f = named();
  if (name === "gd" && f) return f.gd_lr;
  const o = optimizers.find((o) => o.name === name);
  return o && o.lr;
}

// A number as people read it: up to 4 significant digits.
const fmt = (v) => (v === null || v === undefined) ? "–" :
  (Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-3 && v !== 0)) ? v.toExponential(3) : String(+v.toPrecision(6));

function buildOptimizers() {
  const box = $("optimizers");
  const names = optimizers.filter((o) => o.kind === "first-order").map((o) => o.name).concat(SOLVERS);
  names.forEach((name) => {
    const row = document.createElement("div");
    row.className = "opt";
    const check = document.createElement("label");
    check.innerHTML = `<input type="checkbox" data-opt="${name}"> <span class="swatch"></span>${name}`;
    row.appendChild(check);
    if (!isSolver(name)) {
      const slider = document.createElement("input");
      slider.type = "range"; slider.min = -6; slider.max = 0; slider.step = 0.05;
      slider.dataset.lr = name;
      const shown = document.createElement("span");
      shown.dataset.shown = name;
      row.appendChild(slider); row.appendChild(shown);
      slider.addEventListener("input", () => {
        state.lr[name] = +Math.pow(10, +slider.value).toPrecision(3);
        shown.textContent = fmt(state.lr[name]);
        if (!state.opts.includes(name)) { state.opts.push(name); syncControls(); }
        changed();
      });
    } else {
      row.appendChild(document.createElement("span"));
      row.appendChild(document.createElement("span"));
    }
    box.appendChild(row);
    check.querySelector("input").addEventListener("change", (e) => {
      state.opts = names.filter((n) => n === name ? e.target.checked : state.opts.includes(n));
      changed();
    });
  });
}

// One number box per shared hyperparameter; empty is each optimizer's own default.
function buildHypers() {
  const box = $("hypers");
  for (const h of HYPERS) {
    const l = document.createElement("label");
    l.innerHTML = `${h} <input type="number" step="any" data-hyper="${h}" placeholder="default">`;
    box.appendChild(l);
    l.querySelector("input").addEventListener("change", (e) => {
      const v = e.target.value.trim();
      if (v === "" || !isFinite(Number(v))) delete state.hyper[h]; else state.hyper[h] = Number(v);
      changed();
    });
  }
}

function syncControls() {
  document.querySelectorAll("[data-hyper]").forEach((i) => { i.value = state.hyper[i.dataset.hyper] ?? ""; });
  $("function").value = state.f;
  $("fnpick").value = named() ? named().name : "";
  $("from").value = state.from ? state.from.join(",") : "";
  $("epochs").value = state.epochs || "";
  document.querySelectorAll("[data-opt]").forEach((c) => {
    const i = state.opts.indexOf(c.dataset.opt);
    c.checked = i >= 0;
    c.parentNode.querySelector(".swatch").style.background = i >= 0 ? COLORS[i % COLORS.length] : "transparent";
  });
  document.querySelectorAll("[data-lr]").forEach((s) => {
    const name = s.dataset.lr;
    const lr = state.lr[name] ?? defaultLr(name);
    s.value = Math.log10(lr);
    document.querySelector(`[data-shown="${name}"]`).textContent = fmt(lr) + (state.lr[name] === undefined ? " (default)" : "");
  });
  $("command").textContent = command();
}

// The `downhill compare` line of this state, quoted for a POSIX shell.
function command() {
  const q = (s) => /^[\w.,+\-\/]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'";
  const parts = ["downhill", "compare", q(state.f)];
  if (state.from) parts.push("--from", q(state.from.join(",")));
  if (!state.opts.length) return parts.join(" ");
  parts.push("--optimizers", state.opts.join(","));
  if (state.opts.some((o) => state.lr[o] !== undefined && !isSolver(o)))
    parts.push("--lrs", state.opts.map((o) => isSolver(o) || state.lr[o] === undefined ? "-" : String(state.lr[o])).join(","));
  if (state.epochs) parts.push("--epochs", String(state.epochs));
  for (const [k, v] of Object.entries(state.hyper)) parts.push("--" + k.replace(/_/g, "-"), String(v));
  return parts.join(" ");
}

function changed() { writeHash(); syncControls(); run(); }

function showError(message, column, formula) {
  const box = $("fnerr");
  if (column) {
    box.textContent = message + "\n" + formula + "\n" + " ".repeat(column - 1) + "^";
  } else box.textContent = message;
  box.hidden = false;
}

async function post(url, body) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return [res.status, await res.json()];
}

async function run() {
  if (running) { again = true; return; }
  running = true;
  try {
    do { again = false; await runOnce(); } while (again);
  } finally { running = false; }
}

async function runOnce() {
  $("fnerr").hidden = true; $("status").hidden = true;
  if (!state.opts.length) { result = null; draw(); return; }
  const body = { function: state.f, optimizers: state.opts,
    lrs: state.opts.map((o) => isSolver(o) ? null : (state.lr[o] ?? null)) };
  if (state.from) body.from = state.from;
  if (state.epochs) body.epochs = state.epochs;
  Object.assign(body, state.hyper);
  // The contour grid comes with the race, over the region the paths need: one request.
  body.surface = SURFACE_N;
  const [status, answer] = await post("/api/compare", body);
  if (status !== 200) {
    // The last picture belongs to other settings: do not leave it as if it were this one.
    result = null; surface = null; frame = 0; draw();
    if (answer.formula !== undefined || /function|formula|vars/.test(answer.error)) showError(answer.error, answer.column, answer.formula);
    else { $("status").textContent = answer.error; $("status").hidden = false; }
    return;
  }
  result = answer;
  surface = answer.surface ? prepareSurface(answer.surface) : null;
  frame = maxSteps();
  $("scrub").max = maxSteps();
  draw();
}

const maxSteps = () => result ? Math.max(0, ...result.runs.map((r) => r.path.steps[r.path.steps.length - 1] || 0)) : 0;

// A perceptual ramp (viridis' ends and middle), interpolated.
const RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function ramp(t) {
  t = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(t)), u = t - i;
  return RAMP[i].map((c, k) => Math.round(c + (RAMP[i + 1][k] - c) * u));
}

function toPixel(x, y, c) {
  const [x0, x1, y0, y1] = surface.bounds;
  return [(x - x0) / (x1 - x0) * c.width, c.height - (y - y0) / (y1 - y0) * c.height];
}

// The grid's colours, once per grid point rather than per pixel: filled contours on a log
// scale of the height above the lowest value, 24 bands; white where the value is not finite.
function prepareSurface(s) {
  const { n, values } = s;
  const finite = values.filter((v) => v !== null && isFinite(v));
  const lo = Math.min(...finite), hi = Math.max(...finite);
  const floor = Math.log10(1e-6 * (hi - lo) + 1e-12);
  const span = Math.log10(hi - lo + 1e-12) - floor;
  const colors = new Uint8ClampedArray(3 * n * n).fill(255);
  values.forEach((v, k) => {
    if (v === null || !isFinite(v)) return;
    const t = (Math.log10(v - lo + 1e-6 * (hi - lo) + 1e-12) - floor) / span;
    colors.set(ramp(Math.floor(t * 24) / 24), 3 * k);
  });
  return { bounds: s.bounds, n, values, colors };
}

function drawSurface(ctx, c) {
  const { n, colors } = surface;
  const img = ctx.createImageData(c.width, c.height), data = img.data;
  const col = Array.from({ length: c.width }, (_, px) => Math.min(n - 1, Math.round(px / (c.width - 1) * (n - 1))));
  for (let py = 0; py < c.height; py++) {
    const j = Math.min(n - 1, Math.round((c.height - 1 - py) / (c.height - 1) * (n - 1)));
    for (let px = 0, k = 4 * py * c.width; px < c.width; px++, k += 4) {
      const g = 3 * (j * n + col[px]);
      data[k] = colors[g]; data[k + 1] = colors[g + 1]; data[k + 2] = colors[g + 2]; data[k + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}

function draw() {
  const c = $("surface"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  $("frame").textContent = "step " + frame;
  $("scrub").value = frame;
  if (!result || !surface) { drawLoss(); table(); if (typeof draw3d === "function") draw3d(); return; }
  drawSurface(ctx, c);
  const f = named();
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 2;
  for (const m of f ? f.minima : []) {
    const [px, py] = toPixel(m[0], m[1], c);
    ctx.beginPath(); ctx.moveTo(px - 6, py - 6); ctx.lineTo(px + 6, py + 6);
    ctx.moveTo(px + 6, py - 6); ctx.lineTo(px - 6, py + 6); ctx.stroke();
  }
  result.runs.forEach((r, i) => {
    ctx.strokeStyle = COLORS[i % COLORS.length]; ctx.fillStyle = ctx.strokeStyle; ctx.lineWidth = 2;
    ctx.beginPath();
    let last = null;
    r.path.points.forEach((p, k) => {
      if (r.path.steps[k] > frame || p.length < 2 || !isFinite(p[0]) || !isFinite(p[1])) return;
      const [px, py] = toPixel(p[0], p[1], c);
      // Far outside the picture a canvas loses precision: clamp what is drawn.
      const q = [Math.max(-1e4, Math.min(1e4, px)), Math.max(-1e4, Math.min(1e4, py))];
      if (last) ctx.lineTo(q[0], q[1]); else ctx.moveTo(q[0], q[1]);
      last = q;
    });
    ctx.stroke();
    if (last) { ctx.beginPath(); ctx.arc(last[0], last[1], 4, 0, 2 * Math.PI); ctx.fill(); }
    if (last && $("arrows").checked) arrows(ctx, c, r, i);
  });
  const s = Object.values(result.start);
  const [sx, sy] = toPixel(s[0], s[1], c);
  ctx.fillStyle = "#fff"; ctx.strokeStyle = "#000"; ctx.lineWidth = 1;
  ctx.beginPath(); ctx.arc(sx, sy, 5, 0, 2 * Math.PI); ctx.fill(); ctx.stroke();
  drawLoss();
  table();
  if (typeof draw3d === "function") draw3d();
  // Milliseconds from navigation to the first picture on screen (contours and paths drawn,
  // then painted: a task queued from the next frame's callback runs after its paint), for
  // bench/playground.sh.
  if (!firstDrawn) {
    firstDrawn = true;
    requestAnimationFrame(() => setTimeout(() => { window.__firstPicture = performance.now(); }));
  }
}

// The index of the last kept point of run `r` at or before the current step.
function atFrame(r) {
  let k = -1;
  r.path.steps.forEach((s, j) => { if (s <= frame) k = j; });
  return k;
}

function arrow(ctx, from, dx, dy, len, dashed) {
  const norm = Math.hypot(dx, dy);
  if (!(norm > 0)) return;
  const ux = dx / norm, uy = dy / norm, to = [from[0] + ux * len, from[1] + uy * len];
  ctx.setLineDash(dashed ? [4, 3] : []);
  ctx.beginPath(); ctx.moveTo(from[0], from[1]); ctx.lineTo(to[0], to[1]); ctx.stroke();
  ctx.setLineDash([]);
  ctx.beginPath(); ctx.moveTo(to[0], to[1]);
  ctx.lineTo(to[0] - 8 * ux + 4 * uy, to[1] - 8 * uy - 4 * ux); ctx.lineTo(to[0] - 8 * ux - 4 * uy, to[1] - 8 * uy + 4 * ux);
  ctx.closePath(); ctx.fill();
}

// At the current step: the descent direction, and for momentum methods the velocity (the
// last step taken, which is the velocity times the rate), in pixels on the picture.
function arrows(ctx, c, r, i) {
  const k = atFrame(r);
  if (k < 0) return;
  const p = r.path.points[k];
  if (p.length !== 2 || !p.every(isFinite)) return;
  const at = toPixel(p[0], p[1], c);
  ctx.strokeStyle = ctx.fillStyle = COLORS[i % COLORS.length]; ctx.lineWidth = 2;
  // The exact gradient the server sent with the point.
  const g = r.path.grad[k];
  // Pixel y grows downwards: a step of +y in the plane is -y on the canvas.
  const sx = c.width / (surface.bounds[1] - surface.bounds[0]), sy = c.height / (surface.bounds[3] - surface.bounds[2]);
  if (g && g.length === 2 && g.every((t) => t !== null && isFinite(t))) arrow(ctx, at, -g[0] * sx, g[1] * sy, 36, false);
  const base = r.label.split(" ")[0];
  if (k > 0 && MOMENTUM.includes(base)) {
    const q = r.path.points[k - 1];
    if (q.every(isFinite)) arrow(ctx, at, (p[0] - q[0]) * sx, -(p[1] - q[1]) * sy, 28, true);
  }
}

// Value per step on a log scale: above the minimum when it is known.
function drawLoss() {
  const c = $("loss"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  if (!result) return;
  const min = result.minimum_known ? result.minimum : null;
  const y = (v) => (min !== null ? v - min : v);
  const all = result.runs.flatMap((r) => r.path.values.map(y)).filter((v) => v !== null && isFinite(v) && v > 0);
  if (!all.length) return;
  const lo = Math.log10(Math.max(Math.min(...all), 1e-300)), hi = Math.log10(Math.max(...all));
  const top = hi + 0.05 * (hi - lo + 1), bottom = lo - 0.05 * (hi - lo + 1);
  const steps = Math.max(1, maxSteps());
  const L = 50, W = c.width - L - 10, H = c.height - 25;
  ctx.fillStyle = "#444"; ctx.font = "11px sans-serif";
  ctx.fillText(min !== null ? "value − minimum (log)" : "value (log)", L + 4, 12);
  for (let e = Math.ceil(bottom); e <= top; e += Math.max(1, Math.ceil((top - bottom) / 6))) {
    const py = H - (e - bottom) / (top - bottom) * H;
    ctx.fillText("1e" + e, 4, py + 4);
    ctx.strokeStyle = "#eee"; ctx.beginPath(); ctx.moveTo(L, py); ctx.lineTo(L + W, py); ctx.stroke();
  }
  ctx.fillText("0", L, H + 15); ctx.fillText(String(steps), L + W - 30, H + 15);
  result.runs.forEach((r, i) => {
    ctx.strokeStyle = COLORS[i % COLORS.length]; ctx.lineWidth = 1.5; ctx.beginPath();
    let started = false;
    r.path.values.forEach((v, k) => {
      const t = y(v);
      if (t === null || !isFinite(t) || t <= 0) return;
      const px = L + r.path.steps[k] / steps * W, py = H - (Math.log10(t) - bottom) / (top - bottom) * H;
      if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true; }
    });
    ctx.stroke();
  });
  const fx = L + frame / steps * W;
  ctx.strokeStyle = "#888"; ctx.beginPath(); ctx.moveTo(fx, 0); ctx.lineTo(fx, H); ctx.stroke();
}

// The table `compare` prints.
function table() {
  const body = $("table").querySelector("tbody");
  body.innerHTML = "";
  if (!result) return;
  result.runs.forEach((r, i) => {
    let stop = r.stop_reason.replace(/_/g, " ");
    if (r.unbounded_below) stop = "unbounded below";
    else if (r.diverged) stop = "diverged at step " + r.steps;
    const tr = document.createElement("tr");
    [r.label, fmt(r.value), r.steps, r.steps_to_reach ?? "–", stop].forEach((cell, k) => {
      const td = document.createElement("td");
      if (k === 0) td.innerHTML = `<span class="swatch" style="background:${COLORS[i % COLORS.length]};display:inline-block;width:.8em;height:.8em"></span> `;
      td.appendChild(document.createTextNode(String(cell)));
      tr.appendChild(td);
    });
    body.appendChild(tr);
  });
  const m = result.minimum;
  $("note").textContent = (m === null ? "" : (result.minimum_known ? "minimum " : "best value found ") + fmt(m) +
    "; steps to reach: the first step within " + result.target_tol + " of it.") +
    (result.runs.some((r) => r.unbounded_below) ? " " + result.function + " is unbounded below along these paths: there is no minimum to find." : "");
}

function tick() {
  if (!playing) return;
  const end = maxSteps();
  frame = Math.min(end, frame + Number($("speed").value));
  draw();
  if (frame >= end) { playing = false; $("play").textContent = "Play"; return; }
  requestAnimationFrame(tick);
}

function wire() {
  $("fnpick").addEventListener("change", (e) => {
    if (!e.target.value) { $("function").focus(); return; }
    state.f = e.target.value; state.from = null; changed();
  });
  $("function").addEventListener("change", (e) => { state.f = e.target.value.trim(); state.from = null; changed(); });
  $("from").addEventListener("change", (e) => {
    const v = e.target.value.trim();
    state.from = v ? v.split(",").map(Number) : null; changed();
  });
  $("epochs").addEventListener("change", (e) => { state.epochs = Number(e.target.value) || null; changed(); });
  $("run").addEventListener("click", run);
  $("copy").addEventListener("click", () => {
    const text = command();
    if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
    $("command").textContent = text;
  });
  $("surface").addEventListener("click", (e) => {
    if (!surface) return;
    const c = e.target, r = c.getBoundingClientRect();
    const [x0, x1, y0, y1] = surface.bounds;
    const px = (e.clientX - r.left) / r.width, py = (e.clientY - r.top) / r.height;
    const x = +(x0 + px * (x1 - x0)).toPrecision(3), y = +(y1 - py * (y1 - y0)).toPrecision(3);
    state.from = [x, y]; changed();
  });
  $("play").addEventListener("click", () => {
    playing = !playing;
    $("play").textContent = playing ? "Pause" : "Play";
    if (playing) { if (frame >= maxSteps()) frame = 0; requestAnimationFrame(tick); }
  });
  $("step").addEventListener("click", () => { playing = false; $("play").textContent = "Play"; frame = Math.min(maxSteps(), frame + 1); draw(); });
  $("scrub").addEventListener("input", (e) => { frame = Number(e.target.value); draw(); });
}

// Saves `text` as a file called `name`.
function saveText(name, text, type) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], { type }));
  a.download = name;
  document.body.appendChild(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// Every run's path as CSV: one row per kept step.
function pathCsv() {
  const vars = Object.keys(result.start);
  const lines = [["optimizer", "step"].concat(vars, ["value"]).join(",")];
  for (const r of result.runs) r.path.points.forEach((p, k) => {
    lines.push([JSON.stringify(r.label), r.path.steps[k]].concat(p.map(String), [String(r.path.values[k])]).join(","));
  });
  return lines.join("\n") + "\n";
}

const dataMode = () => new URLSearchParams(location.hash.slice(1)).get("mode") === "data";

function showMode(m) {
  $("fnmode").hidden = m !== "function";
  $("datamode").hidden = m !== "data";
  $("tab-function").classList.toggle("on", m === "function");
  $("tab-data").classList.toggle("on", m === "data");
  $("tagline").textContent = m === "function" ? "race optimizers on a function; click the plot to set the start"
    : "fit a model to a data set or your CSV, and watch the loss fall";
  if (m === "function") { writeHash(); if (!result && !running) run(); }
  // A link to data mode: data.js, loaded after this script, may not have run yet.
  else if (typeof dataShow === "function") dataShow();
  else document.addEventListener("DOMContentLoaded", () => dataShow(), { once: true });
}

async function main() {
  const startInData = dataMode();
  if (!startInData) readHash();
  // The lists come in the page (those of /api/functions and /api/optimizers): the first
  // race starts without waiting for them.
  ({ functions, optimizers } = JSON.parse($("lists").textContent));
  for (const f of functions) {
    const o = document.createElement("option");
    o.value = f.name; o.textContent = f.name;
    $("fnpick").appendChild(o);
  }
  buildOptimizers();
  buildHypers();
  wire();
  $("arrows").addEventListener("change", draw);
  syncControls();
  $("tab-function").addEventListener("click", () => showMode("function"));
  $("tab-data").addEventListener("click", () => showMode("data"));
  $("download").addEventListener("click", () => { if (result) saveText("paths.csv", pathCsv(), "text/csv"); });
  showMode(startInData ? "data" : "function");
}

main();
