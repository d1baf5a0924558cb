// The playground's data mode: fit a model to a shipped data set or an uploaded CSV, the
// epochs streamed from POST /api/fit (server-sent events) so that the loss curve grows while
// it runs. Shares app.js's helpers ($, fmt, COLORS, ramp, saveText, optimizers). The state
// lives in the URL's hash (mode=data&...).
"use strict";

let datasets = [];
let upload = null;        // {name, text, columns, rows} of an uploaded CSV
let fitRun = null;        // the fit shown: {start, epochs, cost, vcost, params, path, done}
let fitAbort = null;      // the AbortController of the fit running
let dataReady = false;
// For the browser test: the loss curve's point count at each redraw.
window.__lossDraws = [];

const dstate = { ds: "engel", target: null, features: null, model: null, opt: "gd", lr: null,
  batch: null, seed: 0, epochs: null, valid: null };

function dReadHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const get = (k) => p.get(k);
  if (get("ds")) dstate.ds = get("ds");
  if (get("target")) dstate.target = get("target");
  if (get("features")) dstate.features = get("features").split(",").filter(Boolean);
  if (get("model")) dstate.model = get("model");
  if (get("opt")) dstate.opt = get("opt");
  for (const k of ["lr", "batch", "seed", "epochs", "valid"]) if (get(k) !== null && get(k) !== "") dstate[k] = Number(get(k));
}

function dWriteHash() {
  const p = new URLSearchParams();
  p.set("mode", "data");
  for (const [k, v] of Object.entries(dstate)) {
    if (v === null || v === undefined) continue;
    p.set(k, Array.isArray(v) ? v.join(",") : String(v));
  }
  history.replaceState(null, "", "#" + p.toString());
}

const currentTable = () => dstate.ds === "upload" ? upload : datasets.find((d) => d.name === dstate.ds);

function defaultFit() {
  const t = currentTable();
  if (!t) return;
  const shipped = dstate.ds !== "upload" ? t : null;
  if (!dstate.target || !t.columns.some((c) => c.name === dstate.target))
    dstate.target = shipped ? shipped.target : t.columns[t.columns.length - 1].name;
  if (!dstate.features || dstate.features.some((f) => !t.columns.some((c) => c.name === f)))
    dstate.features = shipped && shipped.features.length ? shipped.features.slice()
      : t.columns.filter((c) => c.numeric && c.name !== dstate.target).map((c) => c.name);
  if (!dstate.model) {
    const tc = t.columns.find((c) => c.name === dstate.target);
    dstate.model = shipped ? shipped.model : (tc && tc.numeric ? "linear" : "logistic");
  }
}

function dSync() {
  const sel = $("dataset");
  sel.value = dstate.ds;
  const t = currentTable();
  const target = $("target");
  target.innerHTML = "";
  const feats = $("features");
  feats.querySelectorAll("label").forEach((l) => l.remove());
  if (t) for (const c of t.columns) {
    const o = document.createElement("option");
    o.value = c.name; o.textContent = c.name + (c.numeric ? "" : " (text)");
    target.appendChild(o);
    if (c.name === dstate.target || !c.numeric) continue;
    const l = document.createElement("label");
    l.innerHTML = `<input type="checkbox" data-feature="${c.name}"> ${c.name}`;
    l.querySelector("input").checked = (dstate.features || []).includes(c.name);
    feats.appendChild(l);
  }
  target.value = dstate.target || "";
  $("model").value = dstate.model || "linear";
  $("optimizer").value = dstate.opt;
  const o = optimizers.find((o) => o.name === dstate.opt);
  const lrDefault = o ? o.lr : null;
  $("dlr").disabled = lrDefault === null || lrDefault === undefined;
  const lr = dstate.lr ?? lrDefault;
  if (lr) $("dlr").value = Math.log10(lr);
  $("dlrshown").textContent = $("dlr").disabled ? "chooses its own steps" : fmt(lr) + (dstate.lr === null ? " (default)" : "");
  $("batch").value = dstate.batch ?? "";
  $("seed").value = dstate.seed ?? 0;
  $("depochs").value = dstate.epochs ?? "";
  $("valid").value = dstate.valid ?? "";
}

// The request for POST /api/fit: `downhill fit`'s flags, as JSON.
function fitRequest() {
  const body = { target: dstate.target, features: dstate.features, model: dstate.model, optimizer: dstate.opt, seed: dstate.seed || 0 };
  if (dstate.ds === "upload") { body.csv = upload.text; body.csv_name = upload.name; }
  else body.dataset = dstate.ds;
  if (dstate.lr !== null && !$("dlr").disabled) body.lr = dstate.lr;
  if (dstate.batch) body.batch_size = dstate.batch;
  if (dstate.epochs) body.epochs = dstate.epochs;
  if (dstate.valid) body.validation_fraction = dstate.valid;
  return body;
}

function dChanged() { dWriteHash(); dSync(); }

function showDataError(a) {
  const box = $("dataerr");
  box.textContent = a.error + (a.line ? `\n(line ${a.line}` + (a.column ? `, column ${a.column}` : "") + ")" : "");
  box.hidden = false;
}

async function fitNow() {
  if (fitAbort) fitAbort.abort();
  $("dataerr").hidden = true;
  if (!currentTable() || !dstate.target) return;
  const ctrl = new AbortController();
  fitAbort = ctrl;
  fitRun = { start: null, epochs: [], cost: [], vcost: [], params: [], path: null, done: null };
  window.__lossDraws = [];
  $("stop").disabled = false; $("ddownload").disabled = true;
  $("dstatus").textContent = "fitting…";
  drawFit();
  let res;
  try {
    res = await fetch("/api/fit", { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify(fitRequest()), signal: ctrl.signal });
  } catch (e) { finishFit(ctrl, "stopped"); return; }
  if (res.status !== 200) {
    const a = await res.json().catch(() => ({ error: "the server answered " + res.status }));
    fitRun = null; drawFit(); showDataError(a); finishFit(ctrl, ""); return;
  }
  const reader = res.body.getReader(), dec = new TextDecoder();
  let buf = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut); buf = buf.slice(cut + 2);
        let name = "message", data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trimStart();
        }
        if (data) onEvent(name, JSON.parse(data));
      }
    }
  } catch (e) { /* aborted */ }
  finishFit(ctrl, fitRun && fitRun.done ? "" : "stopped");
}

function finishFit(ctrl, why) {
  if (fitAbort !== ctrl) return;
  fitAbort = null;
  $("stop").disabled = true;
  if (why) $("dstatus").textContent = why;
}

function onEvent(name, e) {
  if (!fitRun) return;
  if (name === "start") {
    fitRun.start = e;
    $("dcommand").textContent = shellLine(e.command);
    if (e.note) $("dstatus").textContent = e.note;
  } else if (name === "epoch") {
    fitRun.epochs.push(...e.epochs); fitRun.cost.push(...e.cost); fitRun.vcost.push(...e.validation_cost);
    if (e.params) fitRun.params.push(e.params);
  } else if (name === "done") {
    fitRun.done = e; fitRun.path = e.path.params;
    $("ddownload").disabled = false;
    const f = e.fit;
    $("dstatus").textContent = `${f.epochs} epochs, ${f.stop_reason.replace(/_/g, " ")}${f.converged ? "" : " (not converged)"}, cost ${fmt(f.cost)}, ${fmt(e.train_seconds)} s`;
  } else if (name === "error") {
    showDataError(e); $("dstatus").textContent = "";
  }
  drawFit();
}

const shellLine = (args) => args.map((s) => /^[\w.,+\-\/:=]+$/.test(s) ? s : "'" + s.replace(/'/g, "'\\''") + "'").join(" ");

// The parameters shown: the final path's last point when done, else the last streamed.
function currentParams() {
  if (!fitRun) return null;
  if (fitRun.path && fitRun.path.length) return fitRun.path[fitRun.path.length - 1];
  return fitRun.params.length ? fitRun.params[fitRun.params.length - 1] : null;
}

function drawFit() {
  drawFitLoss();
  drawPicture();
  drawCostSurface();
  coefficients();
}

// Training (and validation) cost per epoch, log scale, growing as epochs arrive.
function drawFitLoss() {
  const c = $("fitloss"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  if (!fitRun || !fitRun.epochs.length) { window.__lossDraws.push(0); return; }
  const series = [[fitRun.cost, COLORS[2], "training"], [fitRun.vcost, COLORS[3], "validation"]];
  const vals = fitRun.cost.concat(fitRun.vcost).filter((v) => v !== null && isFinite(v) && v > 0);
  if (!vals.length) return;
  const lo = Math.log10(Math.min(...vals)), hi = Math.log10(Math.max(...vals));
  const pad = 0.05 * (hi - lo) + 0.01, bottom = lo - pad, top = hi + pad;
  const maxE = Math.max(fitRun.start ? fitRun.start.max_epochs : 1, 1);
  const last = fitRun.epochs[fitRun.epochs.length - 1];
  const span = Math.max(1, fitRun.done ? last : Math.min(maxE, Math.max(last * 1.25, 10)));
  const L = 55, W = c.width - L - 10, H = c.height - 25;
  ctx.fillStyle = "#444"; ctx.font = "11px sans-serif";
  ctx.fillText("cost per epoch (log)", L + 4, 12);
  ctx.fillText(fmt(Math.pow(10, top)), 2, 12); ctx.fillText(fmt(Math.pow(10, bottom)), 2, H);
  ctx.fillText("0", L, H + 15); ctx.fillText(String(Math.round(span)), L + W - 40, H + 15);
  let drawn = 0;
  for (const [ys, colour, label] of series) {
    ctx.strokeStyle = colour; ctx.lineWidth = 1.5; ctx.beginPath();
    let started = false;
    ys.forEach((v, k) => {
      if (v === null || !isFinite(v) || v <= 0) return;
      const px = L + fitRun.epochs[k] / span * W, py = H - (Math.log10(v) - bottom) / (top - bottom) * H;
      if (started) ctx.lineTo(px, py); else { ctx.moveTo(px, py); started = true; }
      drawn += label === "training" ? 1 : 0;
    });
    ctx.stroke();
    if (started) { ctx.fillStyle = colour; ctx.fillText(label, L + W - 70, label === "training" ? 26 : 40); }
  }
  window.__lossDraws.push(drawn);
}

// The data: one feature against a numeric target with the fitted line; two features
// coloured by class with the decision boundary.
function drawPicture() {
  const c = $("fitpic"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  const s = fitRun && fitRun.start;
  if (!s) return;
  const d = s.data, p = currentParams();
  const lineMode = s.model === "linear" && s.features.length === 1;
  const boundaryMode = s.model === "logistic" && s.features.length === 2;
  if (!lineMode && !boundaryMode) {
    ctx.fillStyle = "#666"; ctx.font = "13px sans-serif";
    ctx.fillText("Pictures: one feature with a linear model,", 20, 40);
    ctx.fillText("or two features with a logistic model.", 20, 60);
    return;
  }
  const xs = d.x0, ys = boundaryMode ? d.x1 : d.y;
  const span = (v) => { const lo = Math.min(...v), hi = Math.max(...v), m = 0.08 * (hi - lo || 1); return [lo - m, hi + m]; };
  const [x0, x1] = span(xs), [y0, y1] = span(ys);
  const L = 40, B = 30, W = c.width - L - 10, H = c.height - B - 10;
  const px = (x) => L + (x - x0) / (x1 - x0) * W, py = (y) => 10 + H - (y - y0) / (y1 - y0) * H;
  ctx.fillStyle = "#444"; ctx.font = "11px sans-serif";
  ctx.fillText(s.features[0], L + W / 2 - 20, c.height - 8);
  ctx.save(); ctx.translate(12, 10 + H / 2 + 20); ctx.rotate(-Math.PI / 2);
  ctx.fillText(boundaryMode ? s.features[1] : s.target, 0, 0); ctx.restore();
  ctx.strokeStyle = "#ccc"; ctx.strokeRect(L, 10, W, H);
  xs.forEach((x, i) => {
    ctx.fillStyle = boundaryMode ? (d.y[i] > 0.5 ? COLORS[0] : COLORS[2]) : "#4363d899";
    ctx.beginPath(); ctx.arc(px(x), py(ys[i]), 2.5, 0, 2 * Math.PI); ctx.fill();
  });
  if (!p) return;
  ctx.save(); ctx.beginPath(); ctx.rect(L, 10, W, H); ctx.clip();
  ctx.strokeStyle = "#111"; ctx.lineWidth = 2; ctx.beginPath();
  if (lineMode) {
    const b = p.length > 1 ? p[1] : 0;
    ctx.moveTo(px(x0), py(p[0] * x0 + b)); ctx.lineTo(px(x1), py(p[0] * x1 + b));
  } else {
    // w0 x + w1 y + b = 0.
    const b = p.length > 2 ? p[2] : 0;
    if (Math.abs(p[1]) > 1e-12) {
      ctx.moveTo(px(x0), py(-(p[0] * x0 + b) / p[1])); ctx.lineTo(px(x1), py(-(p[0] * x1 + b) / p[1]));
    } else if (Math.abs(p[0]) > 1e-12) {
      ctx.moveTo(px(-b / p[0]), py(y0)); ctx.lineTo(px(-b / p[0]), py(y1));
    }
  }
  ctx.stroke(); ctx.restore();
  if (boundaryMode && s.classes) {
    ctx.fillStyle = COLORS[2]; ctx.fillText("● " + s.classes[0], L + 6, 24);
    ctx.fillStyle = COLORS[0]; ctx.fillText("● " + s.classes[1], L + 6, 38);
  }
}

// A one-feature linear fit: the mean squared error over (weight, intercept), on a log colour
// scale, with the path the optimizer took.
function drawCostSurface() {
  const c = $("fitsurf");
  const s = fitRun && fitRun.start;
  const show = !!(s && s.model === "linear" && s.features.length === 1);
  c.hidden = !show;
  if (!show) return;
  const ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  const path = (fitRun.path || fitRun.params).filter((q) => q && q.length > 1);
  if (!path.length) return;
  const end = path[path.length - 1];
  const axis = (vals, centre) => {
    const lo = Math.min(centre, ...vals), hi = Math.max(centre, ...vals);
    const span = Math.max(hi - lo, 0.1 * Math.abs(centre), 1e-9);
    return [lo - 0.25 * span, hi + 0.25 * span];
  };
  const [w0, w1] = axis(path.map((q) => q[0]), end[0]), [b0, b1] = axis(path.map((q) => q[1]), end[1]);
  const xs = s.data.x0, ys = s.data.y, n = 70;
  const mse = (w, b) => { let t = 0; for (let i = 0; i < xs.length; i++) { const r = ys[i] - w * xs[i] - b; t += r * r; } return t / xs.length; };
  const grid = [];
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) grid.push(mse(w0 + (w1 - w0) * i / (n - 1), b0 + (b1 - b0) * j / (n - 1)));
  const lo = Math.min(...grid), hi = Math.max(...grid);
  const t = (v) => Math.log10(v - lo + 1e-9 * (hi - lo) + 1e-300) - Math.log10(1e-9 * (hi - lo) + 1e-300);
  const top = t(hi) || 1;
  const cw = c.width / n, ch = c.height / n;
  for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) {
    const rgb = ramp(Math.floor(t(grid[j * n + i]) / top * 20) / 20);
    ctx.fillStyle = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
    ctx.fillRect(i * cw, c.height - (j + 1) * ch, cw + 1, ch + 1);
  }
  const px = (w) => (w - w0) / (w1 - w0) * c.width, py = (b) => c.height - (b - b0) / (b1 - b0) * c.height;
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 2; ctx.beginPath();
  path.forEach((q, k) => (k ? ctx.lineTo(px(q[0]), py(q[1])) : ctx.moveTo(px(q[0]), py(q[1]))));
  ctx.stroke();
  ctx.fillStyle = "#fff"; ctx.beginPath(); ctx.arc(px(end[0]), py(end[1]), 4, 0, 2 * Math.PI); ctx.fill();
  ctx.fillStyle = "#fff"; ctx.font = "11px sans-serif";
  ctx.fillText("weight of " + s.features[0] + " →", 6, c.height - 6);
  ctx.fillText("intercept ↑", 6, 14);
}

function coefficients() {
  const body = $("coefs").querySelector("tbody");
  body.innerHTML = "";
  $("metrics").textContent = "";
  const done = fitRun && fitRun.done;
  if (!done) return;
  const f = done.fit;
  const rows = [];
  const add = (prefix, w, b) => {
    for (const [k, v] of Object.entries(w)) rows.push([prefix + k, v]);
    if (b !== null && b !== undefined) rows.push([prefix + "intercept", b]);
  };
  if (f.model === "softmax") for (const cl of Object.keys(f.weights)) add(cl + ": ", f.weights[cl], f.intercept[cl]);
  else add("", f.weights, f.intercept);
  for (const [k, v] of rows) {
    const tr = document.createElement("tr");
    tr.innerHTML = "<td></td><td></td>";
    tr.children[0].textContent = k; tr.children[1].textContent = fmt(v);
    body.appendChild(tr);
  }
  const m = (x) => x ? Object.entries(x).filter(([k]) => k !== "confusion").map(([k, v]) => `${k} ${fmt(v)}`).join(", ") : "";
  $("metrics").textContent = "training: " + m(f.metrics) + (f.validation_metrics ? "; validation: " + m(f.validation_metrics) : "");
}

async function readUpload(file) {
  const text = await file.text();
  $("dataerr").hidden = true;
  const res = await fetch("/api/table?name=" + encodeURIComponent(file.name), { method: "POST", headers: { "content-type": "text/csv" }, body: text });
  const a = await res.json();
  if (res.status !== 200) { showDataError(a); return; }
  upload = { name: file.name, text, columns: a.columns, rows: a.rows };
  if (![...$("dataset").options].some((o) => o.value === "upload")) {
    const o = document.createElement("option"); o.value = "upload"; $("dataset").appendChild(o);
  }
  $("dataset").querySelector('option[value="upload"]').textContent = file.name + " (upload)";
  dstate.ds = "upload"; dstate.target = null; dstate.features = null; dstate.model = null;
  defaultFit(); dChanged();
  $("dstatus").textContent = `${file.name}: ${a.rows} rows, ${a.columns.length} columns`;
}

function dWire() {
  $("dataset").addEventListener("change", (e) => {
    dstate.ds = e.target.value; dstate.target = null; dstate.features = null; dstate.model = null;
    defaultFit(); dChanged(); fitNow();
  });
  $("upload").addEventListener("change", (e) => { if (e.target.files[0]) readUpload(e.target.files[0]); });
  $("target").addEventListener("change", (e) => {
    dstate.target = e.target.value; dstate.features = null; dstate.model = null; defaultFit(); dChanged();
  });
  $("features").addEventListener("change", () => {
    dstate.features = [...document.querySelectorAll("[data-feature]")].filter((c) => c.checked).map((c) => c.dataset.feature);
    dChanged();
  });
  $("model").addEventListener("change", (e) => { dstate.model = e.target.value; dChanged(); });
  $("optimizer").addEventListener("change", (e) => { dstate.opt = e.target.value; dstate.lr = null; dChanged(); });
  $("dlr").addEventListener("input", (e) => { dstate.lr = +Math.pow(10, +e.target.value).toPrecision(3); dChanged(); });
  const num = (id, key) => $(id).addEventListener("change", (e) => { dstate[key] = e.target.value === "" ? null : Number(e.target.value); dChanged(); });
  num("batch", "batch"); num("seed", "seed"); num("depochs", "epochs"); num("valid", "valid");
  $("fit").addEventListener("click", fitNow);
  $("stop").addEventListener("click", () => { if (fitAbort) fitAbort.abort(); });
  $("dcopy").addEventListener("click", () => {
    const text = $("dcommand").textContent;
    if (text && navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
  });
  $("ddownload").addEventListener("click", () => {
    if (fitRun && fitRun.done) saveText("model.json", JSON.stringify(fitRun.done.model_file, null, 2) + "\n", "application/json");
  });
}

// Called by app.js when the data tab is shown.
async function dataShow() {
  if (!dataReady) {
    dataReady = true;
    dReadHash();
    datasets = await fetch("/api/datasets").then((r) => r.json());
    for (const d of datasets) {
      const o = document.createElement("option"); o.value = d.name; o.textContent = d.name + " — " + d.about;
      $("dataset").appendChild(o);
    }
    const names = optimizers.filter((o) => o.kind === "first-order").map((o) => o.name).concat(["auto", "lbfgs", "newton", "cg"]);
    for (const n of names) {
      const o = document.createElement("option"); o.value = n; o.textContent = n; $("optimizer").appendChild(o);
    }
    if (dstate.ds === "upload") dstate.ds = datasets[0].name; // an upload is not in a link
    dWire();
    defaultFit();
    dChanged();
    fitNow();
  } else dWriteHash();
}
