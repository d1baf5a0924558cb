// The function mode's 3-D view: the contour grid as a wireframe over (x, y) with the height
// on the same log scale as the contours, and the paths up to the current step on it. Drag
// to rotate. A hand-written orthographic projection on a canvas: no library.
"use strict";

const view = { yaw: -0.7, pitch: 0.9, drag: null };

// Height on the contours' log scale, in [0, 1].
function heightScale(values) {
  const finite = values.filter((v) => v !== null && isFinite(v));
  const lo = Math.min(...finite), hi = Math.max(...finite);
  const floor = 1e-6 * (hi - lo) + 1e-12;
  const top = Math.log10(hi - lo + floor) - Math.log10(floor) || 1;
  return (v) => (v === null || !isFinite(v)) ? null : Math.min(1, Math.max(0, (Math.log10(v - lo + floor) - Math.log10(floor)) / top));
}

function draw3d() {
  const c = $("surf3d"), ctx = c.getContext("2d");
  ctx.clearRect(0, 0, c.width, c.height);
  if (!result || !surface) return;
  const { n, values, bounds } = surface;
  const [x0, x1, y0, y1] = bounds;
  const h = heightScale(values);
  const cy = Math.cos(view.yaw), sy = Math.sin(view.yaw), cp = Math.cos(view.pitch), sp = Math.sin(view.pitch);
  const scale = Math.min(c.width, c.height) * 0.36;
  // (u, v, w) in [-1, 1] x [-1, 1] x [0, 1] to the canvas: turn about the vertical, then tilt.
  const project = (u, v, w) => {
    const a = u * cy - v * sy, b = u * sy + v * cy, z = (w - 0.5) * 1.2;
    return [c.width / 2 + a * scale, c.height / 2 - (z * cp + b * sp) * scale * 0.9];
  };
  const U = (x) => 2 * (x - x0) / (x1 - x0) - 1, V = (y) => 2 * (y - y0) / (y1 - y0) - 1;
  const m = 36, at = (i) => Math.round(i * (n - 1) / (m - 1));
  ctx.lineWidth = 1;
  for (let dir = 0; dir < 2; dir++) for (let a = 0; a < m; a++) {
    let prev = null;
    for (let b = 0; b < m; b++) {
      const [i, j] = dir ? [at(a), at(b)] : [at(b), at(a)];
      const w = h(values[j * n + i]);
      if (w === null) { prev = null; continue; }
      const p = project(2 * i / (n - 1) - 1, 2 * j / (n - 1) - 1, w);
      if (prev) {
        const rgb = ramp(w);
        ctx.strokeStyle = `rgba(${rgb[0]},${rgb[1]},${rgb[2]},0.8)`;
        ctx.beginPath(); ctx.moveTo(prev[0], prev[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
      }
      prev = p;
    }
  }
  ctx.lineWidth = 2.5;
  result.runs.forEach((r, k) => {
    ctx.strokeStyle = COLORS[k % COLORS.length]; ctx.beginPath();
    let started = false;
    r.path.points.forEach((p, j) => {
      if (r.path.steps[j] > frame || p.length !== 2) return;
      const u = U(p[0]), v = V(p[1]), w = h(r.path.values[j]);
      if (w === null || Math.abs(u) > 1 || Math.abs(v) > 1) { started = false; return; }
      const q = project(u, v, w);
      if (started) ctx.lineTo(q[0], q[1]); else { ctx.moveTo(q[0], q[1]); started = true; }
    });
    ctx.stroke();
  });
  ctx.fillStyle = "#444"; ctx.font = "11px sans-serif";
  ctx.fillText("3-D view, height on the contours' log scale: drag to rotate", 6, 14);
}

function wire3d() {
  const c = $("surf3d");
  c.addEventListener("pointerdown", (e) => { view.drag = [e.clientX, e.clientY, view.yaw, view.pitch]; c.setPointerCapture(e.pointerId); });
  c.addEventListener("pointermove", (e) => {
    if (!view.drag) return;
    view.yaw = view.drag[2] + (e.clientX - view.drag[0]) * 0.01;
    view.pitch = Math.min(1.5, Math.max(0.05, view.drag[3] + (e.clientY - view.drag[1]) * 0.01));
    draw3d();
  });
  c.addEventListener("pointerup", () => { view.drag = null; });
}

wire3d();
