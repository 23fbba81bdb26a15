// The Understudy dashboard: polls the control API's /ui/state (one request in flight, each bounded by a
// timeout) and draws every running device. A control token given as #token=... is sent as a bearer header.
"use strict";

const POLL_MS = 250;
const REQUEST_TIMEOUT_MS = 3000;
const RETRY_MS = 1000;
const TAIL_ROWS = 60;

const token = (() => {
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    sessionStorage.setItem("understudy-token", decodeURIComponent(m[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem("understudy-token");
})();

function headers(json) {
  const h = {};
  if (token) h.Authorization = "Bearer " + token;
  if (json) h["Content-Type"] = "application/json";
  return h;
}

async function request(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    cache: "no-store",
  });
  const text = await response.text();
  let value = null;
  try { value = JSON.parse(text); } catch (_) { value = text; }
  if (!response.ok) {
    const reason = value && value.error ? value.error : text;
    throw new Error(response.status + ": " + reason);
  }
  return value;
}

// ---- small helpers ----------------------------------------------------------------------------------

const $ = (root, sel) => root.querySelector(sel);
const fix = (v, d) => (typeof v === "number" && isFinite(v) ? v.toFixed(d) : "—");
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
function setText(root, sel, text) {
  const el = $(root, sel);
  if (el && el.textContent !== text) el.textContent = text;
}
function seconds(ms) { return (ms / 1000).toFixed(3) + " s"; }
function duration(ms) {
  if (typeof ms !== "number") return "—";
  const s = Math.round(ms / 1000);
  return Math.floor(s / 3600) + ":" + String(Math.floor(s / 60) % 60).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
}
const SVG_NS = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const k in attrs) el.setAttribute(k, attrs[k]);
  return el;
}
function path(points) {
  return points.map((p, i) => (i ? "L" : "M") + p[0].toFixed(1) + " " + p[1].toFixed(1)).join(" ");
}
// A status badge (found by its data-b name, since its class changes with its kind).
function badge(root, name, text, kind) {
  const el = $(root, `[data-b="${name}"]`);
  if (el.textContent !== text) el.textContent = text;
  el.className = "badge" + (kind ? " " + kind : "");
}

// Buttons for a device's control commands: [label, command, args]; the list is kept for the click handler.
const commandArgs = {};
function controlButtons(device, list) {
  commandArgs[device] = list;
  return '<div class="buttons">' + list.map(([label, command, args], i) =>
    `<button type="button" data-device="${device}" data-command="${command}" data-i="${i}">${esc(label)}</button>`).join("") +
    '</div><div class="result">&nbsp;</div>';
}
function wireButtons(card, control, list) {
  card.addEventListener("click", async (e) => {
    const b = e.target.closest("button[data-command]");
    if (!b) return;
    const [label, command, args] = list[Number(b.dataset.i)];
    const result = $(card, ".result");
    try {
      const answer = await request("POST", `${control}/${command}`, args || {});
      result.className = "result";
      result.textContent = label + " → " + JSON.stringify(answer);
    } catch (err) {
      result.className = "result bad";
      result.textContent = label + " → " + err.message;
    }
    poll.soon();
  });
}

// ---- the xArm -----------------------------------------------------------------------------------------

const XARM_STATES = { 1: "moving", 2: "ready", 3: "paused", 4: "stopped", 5: "off" };
const VIEW_MM = 1200; // each projection spans ±600 mm
const SIDE_Z_MM = 250; // the side view is centred this high

function projection(id, title, axes) {
  return `<svg id="${id}" viewBox="0 0 220 220" width="220" height="220" aria-label="${title}">
    <g class="gridlines"></g><text x="6" y="12">${title}</text>
    <text x="214" y="214" text-anchor="end">${axes} · grid 200 mm</text>
    <rect class="base" width="24" height="6"></rect>
    <path class="link-line" d=""></path><g class="joints"></g></svg>`;
}
function drawGrid(svg) {
  const g = $(svg, ".gridlines");
  if (g.childNodes.length) return;
  for (let mm = -600; mm <= 600; mm += 200) {
    const p = 110 + (mm / VIEW_MM) * 200;
    g.appendChild(svgEl("line", { x1: p, y1: 10, x2: p, y2: 210, class: mm === 0 ? "axis" : "grid" }));
    g.appendChild(svgEl("line", { x1: 10, y1: p, x2: 210, y2: p, class: mm === 0 ? "axis" : "grid" }));
  }
}
function drawArm(svg, links, pick) {
  drawGrid(svg);
  const pts = links.map((l) => { const [a, b] = pick(l); return [110 + (a / VIEW_MM) * 200, 110 - (b / VIEW_MM) * 200]; });
  $(svg, ".link-line").setAttribute("d", path(pts));
  const base = $(svg, ".base");
  base.setAttribute("x", (pts[0][0] - 12).toFixed(1));
  base.setAttribute("y", (pts[0][1] - 3).toFixed(1));
  const g = $(svg, ".joints");
  while (g.childNodes.length < pts.length) g.appendChild(svgEl("circle", { r: 3, class: "joint" }));
  while (g.childNodes.length > pts.length) g.removeChild(g.lastChild);
  pts.forEach((p, i) => {
    const c = g.childNodes[i];
    c.setAttribute("cx", p[0].toFixed(1));
    c.setAttribute("cy", p[1].toFixed(1));
    c.setAttribute("class", i === pts.length - 1 ? "tcp" : "joint");
  });
  svg.dataset.points = pts.map((p) => p.map((v) => v.toFixed(1)).join(",")).join(" ");
}

const xarm = {
  build(card) {
    card.innerHTML += `<div class="row">
      <div>${projection("xarm-top", "top view", "x → , y ↑")}</div>
      <div>${projection("xarm-side", "side view", "x → , z ↑")}</div>
      <div class="col"><dl class="kv">
        <dt>model</dt><dd class="model">—</dd>
        <dt>state</dt><dd><span class="badge" data-b="state">—</span></dd>
        <dt>mode</dt><dd class="mode">—</dd>
        <dt>error</dt><dd><span class="badge" data-b="error">—</span></dd>
        <dt>warning</dt><dd><span class="badge" data-b="warn">—</span></dd>
        <dt>gripper</dt><dd class="gripper">—</dd>
        <dt>speed</dt><dd class="speed">—</dd>
        <dt>queue</dt><dd class="queue">—</dd>
      </dl></div></div>
      <table class="joints"><tbody></tbody></table>
      <dl class="kv"><dt>TCP pose</dt><dd class="pose">—</dd></dl>` +
      controlButtons("xarm", [
        ["Collision (C31)", "collision", {}],
        ["Servo fault (C11)", "fault", { code: 11 }],
        ["Warning (W12)", "warn", { code: 12 }],
        ["Refresh state", "state", {}],
      ]);
  },
  update(card, v) {
    drawArm($(card, "#xarm-top"), v.links_mm, (p) => [p[0], p[1]]);
    drawArm($(card, "#xarm-side"), v.links_mm, (p) => [p[0], p[2] - SIDE_Z_MM]);
    setText(card, ".model", v.model);
    badge(card, "state", v.state + " · " + (XARM_STATES[v.state] || "?"), v.state === 4 ? "bad" : v.moving ? "warn" : "ok");
    setText(card, ".mode", String(v.mode) + (v.enabled ? " · motors enabled" : " · motors off"));
    badge(card, "error", v.error_code ? "C" + v.error_code : "none", v.error_code ? "bad" : "ok");
    badge(card, "warn", v.warn_code ? "W" + v.warn_code : "none", v.warn_code ? "warn" : "ok");
    setText(card, ".gripper", fix(v.gripper_pos, 0) + " (pulse)");
    setText(card, ".speed", fix(v.speed_percent, 0) + " %");
    const q = v.queue;
    setText(card, ".queue", q.ends_ms.length + " move" + (q.ends_ms.length === 1 ? "" : "s") +
      (q.ends_ms.length ? " · next ends at " + seconds(q.ends_ms[0]) : "") + (q.paused ? " · paused" : ""));
    const p = v.tcp_pose;
    setText(card, ".pose", `x ${fix(p[0], 1)} mm  y ${fix(p[1], 1)} mm  z ${fix(p[2], 1)} mm  ·  roll ${fix(p[3], 1)}°  pitch ${fix(p[4], 1)}°  yaw ${fix(p[5], 1)}°`);
    const body = $(card, ".joints tbody");
    if (body.rows.length !== v.joints_deg.length) {
      body.innerHTML = v.joints_deg.map((_, i) =>
        `<tr data-joint="${i + 1}"><td>J${i + 1}</td><td class="v num"></td><td style="width:100%"><div class="bar"><b></b><i></i></div></td><td class="lim"></td></tr>`).join("");
    }
    v.joints_deg.forEach((deg, i) => {
      const row = body.rows[i];
      const [lo, hi] = v.joint_limits_deg[i];
      const f = Math.min(1, Math.max(0, (deg - lo) / (hi - lo)));
      const z = Math.min(1, Math.max(0, (0 - lo) / (hi - lo)));
      row.dataset.deg = deg.toFixed(3);
      setText(row, ".v", fix(deg, 2) + "°");
      setText(row, ".lim", fix(lo, 0) + "° … " + fix(hi, 0) + "°");
      $(row, "i").style.left = (f * 100).toFixed(2) + "%";
      const b = $(row, "b");
      b.style.left = (Math.min(f, z) * 100).toFixed(2) + "%";
      b.style.width = (Math.abs(f - z) * 100).toFixed(2) + "%";
    });
  },
};

// ---- the Raspberry Pi ---------------------------------------------------------------------------------

// The 40-pin header by physical pin: a BCM name, or a power/ground label.
const HEADER = ["3V3", "5V", "GPIO2", "5V", "GPIO3", "GND", "GPIO4", "GPIO14", "GND", "GPIO15", "GPIO17", "GPIO18",
  "GPIO27", "GND", "GPIO22", "GPIO23", "3V3", "GPIO24", "GPIO10", "GND", "GPIO9", "GPIO25", "GPIO11", "GPIO8", "GND",
  "GPIO7", "ID_SD", "ID_SC", "GPIO5", "GND", "GPIO6", "GPIO12", "GPIO13", "GND", "GPIO19", "GPIO16", "GPIO26", "GPIO20",
  "GND", "GPIO21"];
// vcgencmd get_throttled: bits 0-3 now, the same bits 16 higher since boot.
const THROTTLE = [[0, "under-voltage"], [1, "ARM frequency capped"], [2, "throttled"], [3, "soft temperature limit"]];

const endrpi = {
  build(card) {
    const cells = [];
    for (let row = 0; row < 20; row++) {
      const l = HEADER[row * 2], r = HEADER[row * 2 + 1];
      cells.push(pinCell(l, "left"), `<div class="pnum">${row * 2 + 1}</div>`, `<div class="pnum">${row * 2 + 2}</div>`, pinCell(r, "right"));
    }
    card.innerHTML += `<div class="row"><div class="col" style="flex:1.4"><div class="header40">${cells.join("")}</div></div>
      <div class="col"><dl class="kv">
        <dt>SoC temperature</dt><dd class="temp">—</dd>
        <dt>throttled</dt><dd class="thr">—</dd>
        <dt>flags</dt><dd class="flags">—</dd>
        <dt>ARM clock</dt><dd class="arm">—</dd>
        <dt>memory available</dt><dd class="mem">—</dd>
        <dt>uptime</dt><dd class="up">—</dd>
        <dt>failing reads</dt><dd class="failing">—</dd>
      </dl>
      <div style="color:var(--dim);font-size:11px">pin: io (IN/OUT) · level (1/0) · pull (UP/DN/—)</div></div></div>` +
      controlButtons("endrpi", [
        ["Under-voltage (0x50005)", "throttle", { bits: "0x50005" }],
        ["Clear throttle", "throttle", { bits: 0 }],
        ["Force 85 °C", "temperature", { celsius: 85 }],
        ["Simulated temperature", "temperature", { celsius: null }],
        ["Fail temperature reads", "fail_reads", { reads: ["temperature"] }],
        ["Reads work again", "fail_reads", { reads: [] }],
      ]);
  },
  update(card, v) {
    for (const el of card.querySelectorAll(".pin[data-pin]")) {
      const p = v.pins[el.dataset.pin];
      if (!p) continue;
      const high = p.state >= 1;
      el.className = "pin " + el.dataset.side + (p.io === "OUTPUT" ? " output" : "") + (high ? " high" : "");
      el.dataset.io = p.io; el.dataset.state = high ? "1" : "0"; el.dataset.pull = p.pull;
      setText(el, ".io", p.io === "OUTPUT" ? "OUT" : "IN");
      setText(el, ".lvl", high ? "1" : "0");
      setText(el, ".pull", { UP: "UP", DOWN: "DN", FLOATING: "—" }[p.pull] || p.pull);
    }
    setText(card, ".temp", fix(v.temperature_c, 3) + " °C");
    setText(card, ".thr", "0x" + v.throttled.toString(16));
    const names = (shift) => THROTTLE.filter(([bit]) => v.throttled & (1 << (bit + shift))).map(([, name]) => name);
    const now = names(0), since = names(16);
    setText(card, ".flags", now.length || since.length
      ? "now: " + (now.join(", ") || "none") + " · since boot: " + (since.join(", ") || "none") : "none");
    setText(card, ".arm", v.arm_mhz + " MHz");
    setText(card, ".mem", Math.round(v.memory_kb.available / 1024) + " MiB of " + Math.round(v.memory_kb.total / 1024) + " MiB");
    setText(card, ".up", duration(v.uptime_s * 1000));
    setText(card, ".failing", v.failing_reads.length ? v.failing_reads.join(", ") : "none");
  },
};
function pinCell(name, side) {
  if (!name.startsWith("GPIO")) {
    const kind = name === "GND" ? "ground" : name.startsWith("ID_") ? "none" : "power";
    return `<div class="pin ${side} ${kind}"><span class="name">${name}</span></div>`;
  }
  const parts = [`<span class="name">${name}</span>`, '<span class="io">—</span>', '<span class="lvl">·</span>', '<span class="pull">—</span>'];
  if (side === "left") parts.reverse();
  return `<div class="pin ${side} none" data-pin="${name}" data-side="${side}">${parts.join("")}</div>`;
}

// ---- the pub/sub robot ----------------------------------------------------------------------------------

const pubsub = {
  build(card) {
    card.innerHTML += `<div class="row"><div><svg class="map" viewBox="0 0 240 240" width="240" height="240" aria-label="odometry trail">
        <g class="gridlines"></g><path class="trail" d=""></path><path class="robot" d=""></path>
        <text x="6" y="12">odometry (x → , y ↑)</text><text class="scale" x="234" y="234" text-anchor="end"></text></svg></div>
      <div class="col"><dl class="kv">
        <dt>pose</dt><dd class="pose">—</dd>
        <dt>heading</dt><dd class="heading">—</dd>
        <dt>velocity</dt><dd class="vel">—</dd>
        <dt>commanded</dt><dd class="target">—</dd>
        <dt>battery</dt><dd class="battery">—</dd>
        <dt>connections</dt><dd class="conns">—</dd>
      </dl>
      <table class="list"><thead><tr><th>topic</th><th>subscribers</th></tr></thead><tbody class="topics"></tbody></table></div></div>` +
      controlButtons("pubsub", [
        ["Battery 15 %", "battery", { percentage: 15 }],
        ["Battery 100 %", "battery", { percentage: 100 }],
      ]);
  },
  update(card, v) {
    const svg = $(card, ".map");
    const pts = v.trail.map(([, p]) => p).concat([[v.pose.x_m, v.pose.y_m]]);
    let span = 2;
    for (const [x, y] of pts) span = Math.max(span, Math.abs(x) * 2.2, Math.abs(y) * 2.2);
    const step = span <= 4 ? 0.5 : span <= 10 ? 1 : span <= 40 ? 5 : 10;
    span = Math.ceil(span / step / 2) * step * 2;
    if (svg.dataset.span !== String(span)) {
      svg.dataset.span = String(span);
      const g = $(svg, ".gridlines");
      g.innerHTML = "";
      for (let m = -span / 2; m <= span / 2 + 1e-9; m += step) {
        const p = 120 + (m / span) * 220;
        const cls = Math.abs(m) < 1e-9 ? "axis" : "grid";
        g.appendChild(svgEl("line", { x1: p, y1: 10, x2: p, y2: 230, class: cls }));
        g.appendChild(svgEl("line", { x1: 10, y1: p, x2: 230, y2: p, class: cls }));
      }
      $(svg, ".scale").textContent = "grid " + step + " m";
    }
    const map = ([x, y]) => [120 + (x / span) * 220, 120 - (y / span) * 220];
    $(svg, ".trail").setAttribute("d", path(pts.map(map)));
    const [cx, cy] = map([v.pose.x_m, v.pose.y_m]);
    const th = -v.pose.theta_rad;
    const tri = [[9, 0], [-5, 5], [-5, -5]].map(([a, b]) => [cx + a * Math.cos(th) - b * Math.sin(th), cy + a * Math.sin(th) + b * Math.cos(th)]);
    $(svg, ".robot").setAttribute("d", path(tri) + " Z");
    setText(card, ".pose", `x ${fix(v.pose.x_m, 3)} m  y ${fix(v.pose.y_m, 3)} m`);
    setText(card, ".heading", fix(v.pose.theta_rad, 3) + " rad (" + fix(v.pose.theta_rad * 180 / Math.PI, 1) + "°)");
    setText(card, ".vel", fix(v.velocity.linear_m_s, 3) + " m/s · " + fix(v.velocity.angular_rad_s, 3) + " rad/s");
    setText(card, ".target", fix(v.target.linear_m_s, 3) + " m/s · " + fix(v.target.angular_rad_s, 3) + " rad/s");
    setText(card, ".battery", fix(v.battery.percentage, 1) + " % · " + fix(v.battery.voltage_v, 2) + " V");
    setText(card, ".conns", String(v.connections));
    const rows = v.topics.length ? v.topics.map(([t, n]) => `<tr><td>${esc(t)}</td><td class="num">${n}</td></tr>`).join("")
      : '<tr><td colspan="2" class="empty">no subscriptions</td></tr>';
    const body = $(card, ".topics");
    if (body.dataset.html !== rows) { body.dataset.html = rows; body.innerHTML = rows; }
  },
};

// ---- printers (ESP3D, and each Obico agent's) ------------------------------------------------------------

const PRINTER_FAULTS = [
  ["Thermal runaway (hotend)", "thermal_runaway", { heater: "hotend" }],
  ["MINTEMP (bed)", "mintemp", { heater: "bed" }],
  ["MAXTEMP (hotend)", "maxtemp", { heater: "hotend" }],
  ["Emergency stop (M112)", "emergency_stop", {}],
];

function printerHtml() {
  return `<div class="row"><div><svg class="chart" viewBox="0 0 300 170" width="300" height="170" aria-label="temperatures">
      <g class="gridlines"></g><path class="hot target" d=""></path><path class="cool target" d=""></path>
      <path class="hot actual" d=""></path><path class="cool actual" d=""></path>
      <text x="34" y="12">°C · <tspan fill="#d9480f">hotend</tspan> · <tspan fill="#1971c2">bed</tspan> · dashed: target</text>
      <text class="span" x="296" y="166" text-anchor="end"></text></svg></div>
    <div class="col"><dl class="kv">
      <dt>hotend</dt><dd class="hotend">—</dd>
      <dt>bed</dt><dd class="bed">—</dd>
      <dt>position</dt><dd class="pos">—</dd>
      <dt>fan</dt><dd class="fan">—</dd>
      <dt>state</dt><dd><span class="badge" data-b="jobstate">—</span></dd>
      <dt>file</dt><dd class="file">—</dd>
      <dt>progress</dt><dd class="prog">—</dd>
      <dt>elapsed / left</dt><dd class="times">—</dd>
    </dl><div class="progress"><b></b></div></div></div>
    <dl class="kv"><dt>SD card</dt><dd class="sdsum">—</dd></dl><ul class="files"></ul>`;
}
function updatePrinter(card, v) {
  const t = v.temperatures;
  setText(card, ".hotend", `${fix(t.hotend_c, 2)} °C → ${fix(t.hotend_target_c, 0)} °C · power ${t.hotend_power}/127`);
  setText(card, ".bed", `${fix(t.bed_c, 2)} °C → ${fix(t.bed_target_c, 0)} °C · power ${t.bed_power}/127`);
  const p = v.position_mm;
  setText(card, ".pos", `X ${fix(p[0], 2)} mm  Y ${fix(p[1], 2)} mm  Z ${fix(p[2], 2)} mm`);
  setText(card, ".fan", Math.round((v.fan / 255) * 100) + " % (" + v.fan + "/255)");
  const j = v.job;
  badge(card, "jobstate", v.halted ? "halted" : j.state, v.halted || j.state === "Error" ? "bad" : j.state === "Idle" ? "" : "ok");
  setText(card, ".file", j.file || "none");
  const pct = j.bytes_total ? (100 * j.bytes_done) / j.bytes_total : 0;
  setText(card, ".prog", j.bytes_total ? `${fix(pct, 1)} % · ${j.bytes_done} / ${j.bytes_total} B · layer ${j.layer}` : "—");
  $(card, ".progress b").style.width = pct.toFixed(1) + "%";
  setText(card, ".times", duration(j.elapsed_ms) + " / " + duration(j.estimated_left_ms));
  setText(card, ".sdsum", `${v.sd.files.length} file(s) · ${(v.sd.used_bytes / 1024).toFixed(1)} KiB of ${(v.sd.capacity_bytes / 1048576).toFixed(0)} MiB`);
  const files = v.sd.files.map((f) => `<li>${esc(f.path)} <span style="color:var(--dim)">${f.bytes} B</span></li>`).join("") || '<li class="empty">empty</li>';
  const ul = $(card, ".files");
  if (ul.dataset.html !== files) { ul.dataset.html = files; ul.innerHTML = files; }
  drawChart($(card, ".chart"), v.history || []);
}
function drawChart(svg, history) {
  const x0 = 30, x1 = 296, y0 = 150, y1 = 18;
  let top = 50;
  for (const [, s] of history) top = Math.max(top, ...s);
  top = Math.ceil(top / 50) * 50;
  if (svg.dataset.top !== String(top)) {
    svg.dataset.top = String(top);
    const g = $(svg, ".gridlines");
    g.innerHTML = "";
    for (let c = 0; c <= top; c += 50) {
      const y = y0 - ((y0 - y1) * c) / top;
      g.appendChild(svgEl("line", { x1: x0, y1: y, x2: x1, y2: y, class: c ? "grid" : "axis" }));
      const label = svgEl("text", { x: x0 - 3, y: y + 3, "text-anchor": "end" });
      label.textContent = String(c);
      g.appendChild(label);
    }
  }
  if (!history.length) return;
  const tEnd = history[history.length - 1][0];
  const tStart = Math.min(history[0][0], tEnd - 60000);
  const sx = (t) => x0 + ((x1 - x0) * (t - tStart)) / Math.max(1, tEnd - tStart);
  const sy = (c) => y0 - ((y0 - y1) * c) / top;
  const line = (i) => path(history.map(([t, s]) => [sx(t), sy(s[i])]));
  $(svg, ".hot.actual").setAttribute("d", line(0));
  $(svg, ".hot.target").setAttribute("d", line(1));
  $(svg, ".cool.actual").setAttribute("d", line(2));
  $(svg, ".cool.target").setAttribute("d", line(3));
  $(svg, ".span").textContent = "last " + Math.round((tEnd - tStart) / 1000) + " s of sim time";
}

const esp3d = {
  build(card) {
    card.innerHTML += printerHtml() +
      `<dl class="kv"><dt>socket slots</dt><dd class="slots">—</dd></dl><pre class="terminal"></pre>` +
      controlButtons("esp3d", PRINTER_FAULTS.concat([["Reset printer", "reset", {}]]));
  },
  update(card, v) {
    updatePrinter(card, v);
    setText(card, ".slots", `terminal ${v.slots.terminal} · data ${v.slots.data}`);
    const pre = $(card, ".terminal");
    if (pre.textContent !== v.terminal) {
      const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
      pre.textContent = v.terminal;
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    }
  },
};

const obico = {
  build(card) {
    card.innerHTML += `<dl class="kv"><dt>agents</dt><dd class="agents">—</dd><dt>by state</dt><dd class="bystate">—</dd></dl>
      <table class="list"><thead><tr><th>agent</th><th>state</th><th>socket</th><th>printer id</th><th>print</th></tr></thead>
      <tbody class="listed"></tbody></table>
      <div class="agent-printer" hidden><h3 style="font-size:12px;margin:10px 0 6px">first agent's printer</h3>${printerHtml()}</div>` +
      controlButtons("obico", [["Pause", "pause", {}], ["Resume", "resume", {}], ["Cancel", "cancel", {}]].concat(PRINTER_FAULTS));
  },
  update(card, v) {
    setText(card, ".agents", String(v.agents));
    for (const b of card.querySelectorAll("button[data-command]")) b.disabled = !v.agents;
    setText(card, ".bystate", Object.entries(v.by_state || {}).map(([s, n]) => s + " " + n).join(" · ") || "—");
    const rows = (v.listed || []).map((a) => `<tr><td>${esc(a.name)}</td><td>${esc(a.state)}</td>
      <td>${a.connected ? "open" : "closed"}</td><td>${a.printer_id ?? "—"}</td>
      <td>${a.file ? esc(a.file) + " · " + fix((100 * a.bytes_done) / Math.max(1, a.bytes_total), 1) + " %" : "—"}</td></tr>`).join("");
    const body = $(card, ".listed");
    if (body.dataset.html !== rows) { body.dataset.html = rows; body.innerHTML = rows || '<tr><td colspan="5" class="empty">no agent runs (start with --obico-server)</td></tr>'; }
    const box = $(card, ".agent-printer");
    box.hidden = !v.printer;
    if (v.printer) updatePrinter(box, v.printer);
  },
};

const RENDERERS = { xarm, endrpi, pubsub, esp3d, obico };
const TITLES = { xarm: "UFactory xArm", endrpi: "Raspberry Pi (Endrpi)", pubsub: "Mobile robot (pub/sub)",
  esp3d: "Printer (ESP3D + Marlin)", obico: "Obico agents" };

// ---- the page -----------------------------------------------------------------------------------------

const cards = {};
function deviceCard(d) {
  let card = cards[d.name];
  if (card) return card;
  card = document.createElement("section");
  card.className = "card";
  card.id = "device-" + d.name;
  card.innerHTML = `<h2>${esc(TITLES[d.kind] || d.kind)} <small>${esc(d.name)}</small></h2><div class="endpoints"></div>`;
  const renderer = RENDERERS[d.kind];
  if (renderer) {
    renderer.build(card);
    wireButtons(card, d.control, commandArgs[d.kind] || []);
  } else {
    card.innerHTML += '<div class="empty">no view for this device</div>';
  }
  document.getElementById("devices").appendChild(card);
  cards[d.name] = card;
  return card;
}

let clockMode = null;
let running = false;

// A fleet is drawn a page of devices at a time; the pager shows only when there is more than one page.
const PAGE_DEVICES = 50;
let pageOffset = 0;
const pager = document.getElementById("pager");
function showPage(state) {
  const drawn = new Set(state.devices.map((d) => d.name));
  for (const name of Object.keys(cards)) {
    if (!drawn.has(name)) { cards[name].remove(); delete cards[name]; }
  }
  pager.hidden = state.total <= state.limit && state.offset === 0;
  const last = Math.min(state.offset + state.devices.length, state.total);
  setText(pager, "#page-range", `devices ${state.offset + 1}–${last} of ${state.total}`);
  $(pager, "#page-prev").disabled = state.offset === 0;
  $(pager, "#page-next").disabled = last >= state.total;
}
function turnPage(by) {
  pageOffset = Math.max(0, pageOffset + by * PAGE_DEVICES);
  poll.soon();
}
document.getElementById("page-prev").addEventListener("click", () => turnPage(-1));
document.getElementById("page-next").addEventListener("click", () => turnPage(1));

function render(state) {
  setText(document, "#seed", String(state.seed));
  const now = document.getElementById("clock-now");
  now.textContent = seconds(state.clock.now_ms);
  now.dataset.ms = String(state.clock.now_ms);
  clockMode = state.clock.mode;
  setText(document, "#clock-mode", clockMode);
  for (const b of document.querySelectorAll("header button")) b.disabled = clockMode !== "virtual";
  document.getElementById("clock-run").title = clockMode === "virtual"
    ? "Advance virtual time at the wall clock's pace" : "The clock runs in realtime: it cannot be paused or advanced";
  for (const d of state.devices) {
    const card = deviceCard(d);
    const eps = d.endpoints.map((e) => `<span>${esc(e.name)} <b class="num">${e.clients}</b> client${e.clients === 1 ? "" : "s"} · ${esc(e.url)}</span>`).join(" ");
    const box = $(card, ".endpoints");
    if (box.dataset.html !== eps) { box.dataset.html = eps; box.innerHTML = eps || "dials out (no listening socket)"; }
    const renderer = RENDERERS[d.kind];
    if (renderer && d.view !== null) renderer.update(card, d.view);
  }
  showPage(state);
  const filter = document.getElementById("tail-filter");
  for (const d of state.devices) {
    if (!filter.querySelector(`option[value="${d.name}"]`)) filter.add(new Option(d.name, d.name));
  }
  const shown = state.tail.filter((r) => !filter.value || r.conn.startsWith(filter.value)).slice(-TAIL_ROWS);
  const rows = shown.reverse().map((r) => `<tr class="${r.dir}"><td class="t">${seconds(r.t)}</td><td>${esc(r.conn)}</td>
    <td>${r.dir === "in" ? "→" : "←"}</td><td>${r.kind}</td><td title="${esc(r.data)}">${esc(r.data)}</td></tr>`).join("");
  const tail = document.getElementById("tail");
  if (tail.dataset.html !== rows) { tail.dataset.html = rows; tail.innerHTML = rows || '<tr><td colspan="5" class="empty">no frames yet</td></tr>'; }
}

const link = document.getElementById("link");
function showLink(ok, text) {
  link.className = "link " + (ok ? "ok" : "bad");
  link.textContent = text;
}

const poll = (() => {
  let timer = null;
  let busy = false;
  async function once() {
    timer = null;
    if (busy) return;
    busy = true;
    let state = null;
    try {
      state = await request("GET", `/ui/state?offset=${pageOffset}&limit=${PAGE_DEVICES}`);
      showLink(true, "live · every " + POLL_MS + " ms");
    } catch (err) {
      showLink(false, err.message.startsWith("401") ? "needs the control token: open /ui#token=TOKEN" : "no answer: " + err.message);
    } finally {
      busy = false;
      schedule(state ? POLL_MS : RETRY_MS);
    }
    // A drawing bug is the page's own error, not the simulator's: it is thrown (and logged), never shown as "no answer".
    if (state) render(state);
  }
  function schedule(ms) {
    if (timer === null) timer = setTimeout(once, ms);
  }
  return {
    start() { schedule(0); },
    soon() { if (timer !== null) { clearTimeout(timer); timer = null; } schedule(30); },
  };
})();

async function advance(ms) {
  try {
    await request("POST", "/clock/advance", { ms });
  } catch (err) {
    showLink(false, "advance refused: " + err.message);
  }
  poll.soon();
}
for (const b of document.querySelectorAll("button[data-advance]")) {
  b.addEventListener("click", () => advance(Number(b.dataset.advance)));
}

// Run: advance virtual time by the wall time that passed, one request at a time; Pause stops.
const RUN_TICK_MS = 100;
const runButton = document.getElementById("clock-run");
runButton.addEventListener("click", () => {
  running = !running;
  runButton.classList.toggle("on", running);
  runButton.textContent = running ? "❚❚ Pause" : "▶ Run";
  if (running) runLoop(performance.now());
});
async function runLoop(last) {
  if (!running || clockMode !== "virtual") return;
  const now = performance.now();
  const ms = Math.max(1, Math.round(now - last));
  try {
    await request("POST", "/clock/advance", { ms });
  } catch (err) {
    running = false;
    runButton.classList.remove("on");
    runButton.textContent = "▶ Run";
    showLink(false, "run stopped: " + err.message);
    return;
  }
  setTimeout(() => runLoop(now), RUN_TICK_MS);
}

poll.start();
