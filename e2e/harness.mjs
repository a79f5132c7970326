// Runs the end-to-end specs against the desktop app.
//
// Starts tauri-driver (which starts WebKitWebDriver) on two free ports of 127.0.0.1, runs every
// specs/*.test.mjs with node:test (one at a time), and stops the driver. Each spec opens the app
// on a fresh demo workspace of its own (see lib.mjs). Needs a display: scripts/e2e runs this under
// `xvfb-run` inside a `timeout`.
//
// Environment: COUNTERSIGN_APP (the app binary), COUNTERSIGN_CLI (the countersign binary),
// COUNTERSIGN_SCREENSHOTS (where screenshots go). scripts/e2e sets all three.

import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on 127.0.0.1:${port} within ${ms} ms`);
}

for (const v of ['COUNTERSIGN_APP', 'COUNTERSIGN_CLI', 'COUNTERSIGN_SCREENSHOTS']) {
  if (!process.env[v]) {
    console.error(`e2e: ${v} is not set (run scripts/e2e)`);
    process.exit(2);
  }
}

const port = await freePort();
let nativePort = await freePort();
while (nativePort === port) nativePort = await freePort();

const driverArgs = ['--port', String(port), '--native-port', String(nativePort)];
if (process.env.WEBKIT_WEBDRIVER) driverArgs.push('--native-driver', process.env.WEBKIT_WEBDRIVER);
// Its own process group, so that stopping it stops the WebKitWebDriver it started too.
const driver = spawn(process.env.TAURI_DRIVER ?? 'tauri-driver', driverArgs, {
  stdio: ['ignore', 'inherit', 'inherit'],
  detached: true,
});
let driverExited = false;
driver.on('exit', () => (driverExited = true));
const stopDriver = () => {
  if (driverExited) return;
  try {
    process.kill(-driver.pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
};
process.on('exit', stopDriver);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

let status = 1;
try {
  await waitForPort(port, 20_000);
  const only = process.argv.slice(2);
  const specs = readdirSync(path.join(here, 'specs'))
    .filter((f) => f.endsWith('.test.mjs'))
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort()
    .map((f) => path.join(here, 'specs', f));
  const tests = spawn(
    process.execPath,
    ['--test', '--test-concurrency=1', '--test-reporter=spec', ...specs],
    {
      stdio: 'inherit',
      env: { ...process.env, TAURI_DRIVER_URL: `http://127.0.0.1:${port}/` },
    },
  );
  status = await new Promise((resolve) => tests.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
} catch (e) {
  console.error(`e2e: ${e.message}`);
  status = 1;
} finally {
  stopDriver();
}
process.exit(status);
