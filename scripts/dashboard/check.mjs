// Loads the simulator's dashboard in Debian's Chromium and checks what it draws against what the devices
// were told over their own sockets. The simulator is started by scripts/dashboard-check.sh, which passes
// its URLs in DASH_* variables. Every wait is bounded; any failed check exits 1.
import { chromium } from "playwright-core";
import { mkdirSync, writeFileSync } from "node:fs";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run scripts/dashboard-check.sh)`);
  return value;
};
const CONTROL = env("DASH_CONTROL");
const TOKEN = env("DASH_TOKEN");
const OUT = env("DASH_OUT");
const WAIT_MS = 10_000;
mkdirSync(OUT, { recursive: true });

const failures = [];
function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
}

// A WebSocket client of one device socket: sends text, collects what comes back.
async function socket(url) {
  const ws = new WebSocket(url);
  const frames = [];
  ws.addEventListener("message", (e) => frames.push(String(e.data)));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection to ${url}`)), WAIT_MS);
    ws.addEventListener("open", () => { clearTimeout(timer); resolve(); });
    ws.addEventListener("error", () => { clearTimeout(timer); reject(new Error(`cannot connect to ${url}`)); });
  });
  return {
    send: (value) => ws.send(JSON.stringify(value)),
    // The first frame (from now on or already received) that `match` accepts, parsed.
    async expect(match, what) {
      const deadline = Date.now() + WAIT_MS;
      while (Date.now() < deadline) {
        for (const f of frames) {
          let v;
          try { v = JSON.parse(f); } catch (_) { continue; }
          if (match(v)) return v;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`no ${what} from ${url}`);
    },
    close: () => ws.close(1000),
  };
}

async function control(method, path, body) {
  const response = await fetch(new URL(path, CONTROL), {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response.json();
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  timeout: 30_000,
});
try {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));

  // Without the token the page loads but says what it needs; with it in the fragment it goes live and
  // takes the token out of the address bar.
  const bare = await context.newPage();
  await bare.goto(new URL("/ui", CONTROL).href);
  await bare.waitForFunction(() => document.querySelector("#link").textContent.includes("needs the control token"));
  check(true, "without the token the page says it needs it");
  await bare.close();

  await page.goto(new URL("/ui#token=" + TOKEN, CONTROL).href);
  await page.waitForSelector("#link.ok");
  check(!page.url().includes(TOKEN), "the token left the address bar");
  await page.waitForSelector('#device-xarm .joints tr[data-joint="6"]');
  await page.waitForSelector('#device-endrpi .pin[data-pin="GPIO17"][data-io]');
  await page.screenshot({ path: `${OUT}/start.png` });

  const clockMs = () => page.$eval("#clock-now", (el) => Number(el.dataset.ms));
  const waitClock = (ms) => page.waitForFunction((ms) => Number(document.querySelector("#clock-now").dataset.ms) >= ms, ms);

  // The clock: +1 s advances virtual time by exactly 1000 ms; Run advances it until Pause.
  const t0 = await clockMs();
  await page.click('button[data-advance="1000"]');
  await waitClock(t0 + 1000);
  const t1 = await clockMs();
  check(t1 === t0 + 1000, `+1 s moved the clock from ${t0} ms to ${t1} ms`);
  await page.click("#clock-run");
  await page.waitForTimeout(800);
  await page.click("#clock-run");
  await page.waitForTimeout(800);
  const t2 = await clockMs();
  check(t2 > t1 + 200, `Run then Pause moved the clock from ${t1} ms to ${t2} ms`);
  await page.waitForTimeout(800);
  const t3 = await clockMs();
  check(t3 === t2, `the clock stays put once paused (${t3} ms)`);

  // The xArm: a joint move over the Studio socket changes the drawn links and the joint table.
  const drawn = () => page.$eval("#xarm-side", (el) => el.dataset.points);
  const jointDeg = (n) => page.$eval(`#device-xarm tr[data-joint="${n}"]`, (el) => Number(el.dataset.deg));
  const before = await drawn();
  const arm = await socket(env("DASH_XARM"));
  await page.waitForFunction(() => document.querySelector("#device-xarm .endpoints").textContent.includes("1 client"));
  check(true, "the dashboard counts the Studio client");
  arm.send({ cmd: "xarm_set_state", data: { state: 0 }, id: "1" });
  arm.send({ cmd: "xarm_move_joint", data: { I: 0, J: -30, K: -30, L: 0, M: 60, N: 0, F: 20 }, id: "2" });
  const accepted = await arm.expect((v) => v.type === "response" && v.id === "2", "answer to the move");
  check(accepted.code === 100, `the move was accepted (code ${accepted.code})`);

  // The Pi: a pin set over the Endrpi socket shows on the header.
  const pi = await socket(env("DASH_ENDRPI"));
  pi.send({ action: "UPDATE_PIN_CONFIGURATIONS", params: { pins: { GPIO17: { io: "OUTPUT", state: 1 } } } });
  const set = await pi.expect((v) => v.action === "UPDATE_PIN_CONFIGURATIONS", "answer to the pin update");
  check(set.success === true, "the pin update succeeded");
  await page.waitForSelector('#device-endrpi .pin[data-pin="GPIO17"][data-io="OUTPUT"][data-state="1"]');
  check(true, "GPIO17 shows as an output driven high on the header");
  await page.waitForFunction(() => document.querySelector("#tail").textContent.includes("UPDATE_PIN_CONFIGURATIONS"));
  check(true, "the transcript tail shows the pin update going in");

  // The robot drives an arc and the printer heats while virtual time passes in 400 ms steps (the base
  // stops itself 500 ms after its last cmd_vel, so each step sends one).
  const robot = await socket(`${env("DASH_PUBSUB")}?token=${env("DASH_PUBSUB_TOKEN")}`);
  robot.send({ action: "subscribe", topic: "odom" });
  const esp3d = (path, init) => fetch(new URL(path, env("DASH_ESP3D")), { ...init, signal: AbortSignal.timeout(WAIT_MS) });
  const gcode = ["M140 S60", "M104 S210", "G28"].concat(
    Array.from({ length: 400 }, (_, i) => `G1 X${60 + 40 * Math.cos(i / 8)} Y${60 + 40 * Math.sin(i / 8)} Z${(0.2 + Math.floor(i / 50) * 0.2).toFixed(1)} E${(i * 0.05).toFixed(2)} F3000`));
  const upload = new FormData();
  upload.append("myfile", new Blob([gcode.join("\n") + "\n"]), "/ring.gco");
  check((await esp3d("/sdfiles", { method: "POST", body: upload })).ok, "a G-code file was uploaded to the printer's card");
  await esp3d("/command?cmd=" + encodeURIComponent("M23 /ring.gco"));
  await esp3d("/command?cmd=M24");
  let mid = null;
  for (let step = 0; step < 60; step++) {
    robot.send({ action: "publish", topic: "cmd_vel",
      data: { name: "cmd_vel", type: "geometry_msgs/Twist", data: { linear: 0.3, angular: 0.25 } } });
    await robot.expect((v) => v.action === "published", "publish ack");
    const { now_ms } = await control("POST", "/clock/advance", { ms: 400 });
    await waitClock(now_ms);
    if (step === 3) mid = await jointDeg(5);
  }
  const done = await arm.expect((v) => v.type === "response" && v.id === "2" && v.code !== 100, "final code of the move");
  check(done.code === 0, `the move ended with code ${done.code}`);
  await page.waitForTimeout(400);
  const after = await drawn();
  check(after !== before, "the drawn links changed");
  const j5 = await jointDeg(5);
  check(Math.abs(j5 - 60) < 0.5 && Math.abs((await jointDeg(2)) + 30) < 0.5, `J2 -30° and J5 60° drawn (J5 ${j5}°)`);
  check(mid !== null && mid > 0.5 && mid < 59.5, `J5 was drawn mid-move (${mid}°)`);
  const trail = await page.$eval("#device-pubsub .trail", (el) => el.getAttribute("d").split("L").length);
  check(trail > 20, `the robot's trail has ${trail} points`);
  const hotend = await page.$eval("#device-esp3d .hotend", (el) => el.textContent);
  check(/→ 210 °C/.test(hotend), `the printer's hotend target shows (${hotend})`);
  const files = await page.$eval("#device-esp3d .files", (el) => el.textContent);
  const job = await page.$eval("#device-esp3d .file", (el) => el.textContent);
  check(files.includes("ring.gco") && job.includes("ring.gco"), `the card lists the file and the job prints it (${job})`);
  const tail = await page.$eval("#tail", (el) => el.textContent);
  check(tail.includes("devices_status_report") && tail.includes("odom"), "the tail shows the arm's reports and the odometry");

  // A fault button runs its control command and the view follows.
  await page.click('#device-endrpi button:has-text("Under-voltage")');
  await page.waitForFunction(() => document.querySelector("#device-endrpi .flags").textContent.includes("under-voltage"));
  check(true, "the under-voltage button shows on the Pi's throttle flags");

  writeFileSync(`${OUT}/state.json`, JSON.stringify(await control("GET", "/ui/state"), null, 1));
  await page.screenshot({ path: `${OUT}/dashboard.png` });
  await page.screenshot({ path: `${OUT}/dashboard-full.png`, fullPage: true });
  arm.close(); pi.close(); robot.close();
  check(problems.length === 0, `no console errors (${problems.join("; ") || "none"})`);
} finally {
  await browser.close();
}
if (failures.length) {
  console.log(`${failures.length} dashboard check(s) failed`);
  process.exit(1);
}
console.log(`dashboard: every check passed; screenshots in ${OUT}`);
