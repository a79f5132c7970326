// The desktop app's start-up and idle-memory figures, next to a bare Tauri 2 window's.
// Run by scripts/bench-app under Xvfb (it builds both apps and sets the environment):
//   COUNTERSIGN_APP, BARE_APP   the two binaries (release builds)
//   COUNTERSIGN_WORKSPACE       a demo workspace for the app
//   TAURI_DRIVER_URL            a running tauri-driver
//   RUNS                        launches per figure (default 5; the median is printed)
//
// Time to interactive: from the app's process start (its start time in /proc/PID/stat) until the
// first frame that shows Home with its data: the UI sets the performance mark `cs:home-ready` in
// the requestAnimationFrame after Home has loaded identities and packets; the bare window's page
// sets the same mark in its first frame. Both are read through the Performance API (timeOrigin +
// the mark's time, on the same clock as the process start). The launch goes through tauri-driver,
// whose own session set-up happens before the process starts and so is not counted; the time
// from asking the driver for a session to seeing `home-ready` in the page is printed beside it.
// Idle memory: the app launched on its own (no driver), 5 s after its window appears: PSS from
// /proc/PID/smaps_rollup summed over the app and every process below it (WebKit's web and network
// processes), as each starts and with WebKit's DMA-BUF renderer on and off for both.

import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { Builder, By } from 'selenium-webdriver';

const RUNS = Number(process.env.RUNS ?? 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const CLK_TCK = 100; // USER_HZ on Linux

/** The epoch time (ms) at which process `pid` started, from /proc (10 ms resolution). */
function processStartMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const bootMs = Date.now() - uptimeS * 1000;
  return bootMs + (startTicks / CLK_TCK) * 1000;
}

/** The newest process running `application`. */
function newestProcessOf(application) {
  let best = null;
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/exe`) !== application) continue;
      const start = processStartMs(Number(d));
      if (!best || start > best.start) best = { pid: Number(d), start };
    } catch {
      /* gone, or not ours to read */
    }
  }
  return best;
}

async function timeToInteractive(application, args) {
  const t0 = performance.now();
  const driver = await new Builder()
    .usingServer(process.env.TAURI_DRIVER_URL)
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application, args } })
    .build();
  try {
    for (;;) {
      if ((await driver.findElements(By.css('[data-testid="home-ready"]'))).length > 0) break;
      if (performance.now() - t0 > 30_000) throw new Error(`${application}: no home-ready after 30 s`);
      await sleep(5);
    }
    const viaDriver = performance.now() - t0;
    let readyAt = null;
    for (let i = 0; i < 200 && readyAt === null; i++) {
      readyAt = await driver.executeScript(
        `const m = performance.getEntriesByName('cs:home-ready')[0];
         return m ? performance.timeOrigin + m.startTime : null;`,
      );
      if (readyAt === null) await sleep(10);
    }
    if (readyAt === null) throw new Error(`${application}: the page never set the cs:home-ready mark`);
    const proc = newestProcessOf(application);
    if (!proc) throw new Error(`${application}: its process was not found in /proc`);
    return { fromStart: readyAt - proc.start, viaDriver };
  } finally {
    await driver.quit();
  }
}

function children() {
  const map = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!map.has(ppid)) map.set(ppid, []);
      map.get(ppid).push(Number(d));
    } catch {
      /* gone */
    }
  }
  return map;
}

function treePssKiB(root) {
  const kids = children();
  let total = 0;
  const names = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      total += Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0);
      names.push(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      /* gone */
    }
    stack.push(...(kids.get(pid) ?? []));
  }
  return { total, names };
}

function windowUp(title) {
  try {
    return execFileSync('xwininfo', ['-root', '-tree'], { encoding: 'utf8' }).includes(`"${title}"`);
  } catch {
    return false;
  }
}

async function idleMemory(application, args, title, env = {}) {
  const base = { ...process.env };
  delete base.WEBKIT_DISABLE_DMABUF_RENDERER; // each mode says what it wants
  const p = spawn(application, args, { stdio: 'ignore', env: { ...base, ...env } });
  try {
    const t0 = Date.now();
    while (!windowUp(title)) {
      if (Date.now() - t0 > 30_000) throw new Error(`${application}: no window "${title}" after 30 s`);
      await sleep(50);
    }
    await sleep(5_000);
    return treePssKiB(p.pid);
  } finally {
    p.kill('SIGTERM');
    await new Promise((r) => (p.exitCode !== null ? r() : p.once('exit', r)));
  }
}

const app = { bin: process.env.COUNTERSIGN_APP, args: ['--workspace', process.env.COUNTERSIGN_WORKSPACE], title: 'Countersign' };
const bare = { bin: process.env.BARE_APP, args: [], title: 'Bare Tauri' };

// Without a GPU (Xvfb, many VMs) WebKitGTK's default DMA-BUF renderer draws with software GL, whose
// buffers grow the web process. countersign-app turns that renderer off by itself when the
// machine has no GPU render node (src-tauri/src/lib.rs, should_disable_dmabuf_renderer); the bare
// window does not. Idle memory is taken as each starts by default, then with both set the same way
// (WEBKIT_DISABLE_DMABUF_RENDERER: 0 on, 1 off), so each pair is like for like.
const MODES = {
  'as started': {},
  'both with the DMA-BUF renderer': { WEBKIT_DISABLE_DMABUF_RENDERER: '0' },
  'both without it': { WEBKIT_DISABLE_DMABUF_RENDERER: '1' },
};
const MEM_RUNS = Math.min(RUNS, 3);

const figures = {};
for (const [name, a] of Object.entries({ bare, app })) {
  // One unmeasured launch first: page cache and font cache warm, as on any second start.
  await timeToInteractive(a.bin, a.args);
  const starts = [];
  const drivers = [];
  for (let i = 0; i < RUNS; i++) {
    const t = await timeToInteractive(a.bin, a.args);
    starts.push(t.fromStart);
    drivers.push(t.viaDriver);
  }
  const pss = {};
  let names = [];
  for (const [mode, env] of Object.entries(MODES)) {
    const mems = [];
    for (let i = 0; i < MEM_RUNS; i++) {
      const m = await idleMemory(a.bin, a.args, a.title, env);
      mems.push(m.total);
      names = m.names;
    }
    pss[mode] = median(mems);
  }
  figures[name] = { tti: median(starts), starts, viaDriver: median(drivers), pss, names };
}

const mb = (kib) => (kib / 1024).toFixed(1);
const ms = (x) => x.toFixed(0);
console.log(`launches per figure: ${RUNS} (median); idle memory 5 s after the window appears (median of ${MEM_RUNS})`);
for (const [name, f] of Object.entries(figures)) {
  console.log(
    `${name === 'app' ? 'countersign-app (demo workspace)' : 'bare Tauri 2 window             '}  ` +
      `interactive ${ms(f.tti)} ms after process start [${f.starts.map(ms).join(', ')}], ` +
      `${ms(f.viaDriver)} ms through the driver;  idle PSS ` +
      Object.entries(f.pss).map(([mode, kib]) => `${mb(kib)} MB ${mode}`).join(', ') +
      ` (${f.names.join(' + ')})`,
  );
}
console.log(
  `time to interactive: ${ms(figures.app.tti)} ms from process start to Home's first frame with data (target < 1000 ms); ` +
    `the bare window's first frame: ${ms(figures.bare.tti)} ms`,
);
for (const mode of Object.keys(MODES)) {
  console.log(`idle memory above the bare window, ${mode}: ${mb(figures.app.pss[mode] - figures.bare.pss[mode])} MB (target <= 40 MB)`);
}
