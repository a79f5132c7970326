// The desktop app's start-up and idle-memory figures, next to a bare Tauri 2 window's.
// Run by scripts/bench-app under Xvfb (it builds both apps and sets the environment):
//   COUNTERSIGN_APP, BARE_APP   the two binaries (release builds)
//   COUNTERSIGN_WORKSPACE       a demo workspace for the app
//   TAURI_DRIVER_URL            a running tauri-driver
//   RUNS                        launches per figure (default 5; the median is printed)
//
// Time to interactive: from asking tauri-driver for a session (which launches the app) until
// `[data-testid="home-ready"]` is in the page (the Home screen has loaded identities and packets).
// The bare window's page has that element from the start, so the driver's own overhead, which
// both figures include, cancels out in the difference.
// Idle memory: the app launched on its own (no driver), 5 s after its window appears: PSS from
// /proc/PID/smaps_rollup summed over the app and every process below it (WebKit's web and network
// processes), with WebKit's compositing on (its default) and off.

import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { Builder, By } from 'selenium-webdriver';

const RUNS = Number(process.env.RUNS ?? 5);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
    return performance.now() - t0;
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
  const p = spawn(application, args, { stdio: 'ignore', env: { ...process.env, ...env } });
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

// WebKitGTK composites with OpenGL by default; without a GPU (Xvfb, many VMs) that is software GL,
// whose tile backing stores grow with the page's scrolling layers. Idle memory is taken both ways;
// WEBKIT_DISABLE_COMPOSITING_MODE=1 is how a user without a GPU turns compositing off.
const MODES = { composited: {}, 'compositing off': { WEBKIT_DISABLE_COMPOSITING_MODE: '1' } };
const MEM_RUNS = Math.min(RUNS, 3);

const figures = {};
for (const [name, a] of Object.entries({ bare, app })) {
  // One unmeasured launch first: page cache and font cache warm, as on any second start.
  await timeToInteractive(a.bin, a.args);
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await timeToInteractive(a.bin, a.args));
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
  figures[name] = { tti: median(times), times, pss, names };
}

const mb = (kib) => (kib / 1024).toFixed(1);
console.log(`launches per figure: ${RUNS} (median); idle memory 5 s after the window appears (median of ${MEM_RUNS})`);
for (const [name, f] of Object.entries(figures)) {
  console.log(
    `${name === 'app' ? 'countersign-app (demo workspace)' : 'bare Tauri 2 window             '}  ` +
      `interactive ${f.tti.toFixed(0)} ms [${f.times.map((t) => t.toFixed(0)).join(', ')}]  idle PSS ` +
      Object.entries(f.pss).map(([mode, kib]) => `${mb(kib)} MB ${mode}`).join(', ') +
      ` (${f.names.join(' + ')})`,
  );
}
const dt = figures.app.tti - figures.bare.tti;
console.log(
  `time to interactive: ${figures.app.tti.toFixed(0)} ms (target < 1000 ms); ${dt.toFixed(0)} ms more than the ` +
    `bare window, whose ${figures.bare.tti.toFixed(0)} ms are the driver's session overhead and an empty page`,
);
for (const mode of Object.keys(MODES)) {
  console.log(`idle memory above the bare window, ${mode}: ${mb(figures.app.pss[mode] - figures.bare.pss[mode])} MB (target <= 40 MB)`);
}
