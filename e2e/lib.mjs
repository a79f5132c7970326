// Helpers for the specs: open the app on a fresh demo workspace, find elements by data-testid
// (see TESTIDS.md), answer the passphrase dialog, take screenshots.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Builder, By, until } from 'selenium-webdriver';

export const PASSPHRASE = 'demo';
const WAIT = 15_000;

export const sel = (testid) => By.css(`[data-testid="${testid}"]`);

/** A fresh demo workspace (made by the CLI) and the app opened on it through tauri-driver. */
export async function openApp() {
  const dir = mkdtempSync(path.join(tmpdir(), 'countersign-e2e-'));
  const workspace = path.join(dir, 'ws');
  execFileSync(process.env.COUNTERSIGN_CLI, ['--workspace', workspace, 'demo'], { stdio: 'pipe' });
  const driver = await new Builder()
    .usingServer(process.env.TAURI_DRIVER_URL)
    .withCapabilities({
      browserName: 'wry',
      'tauri:options': { application: process.env.COUNTERSIGN_APP, args: ['--workspace', workspace] },
    })
    .build();
  const app = new App(driver, workspace);
  app.close = async () => {
    try {
      await driver.quit();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return app;
}

export class App {
  constructor(driver, workspace) {
    this.driver = driver;
    this.workspace = workspace;
  }

  /** The element with this testid, once it is in the page and displayed. */
  async el(testid, ms = WAIT) {
    const e = await this.driver.wait(until.elementLocated(sel(testid)), ms, `no [data-testid="${testid}"]`);
    await this.driver.wait(until.elementIsVisible(e), ms, `[data-testid="${testid}"] is not visible`);
    return e;
  }

  async click(testid, ms = WAIT) {
    const e = await this.el(testid, ms);
    await this.driver.wait(until.elementIsEnabled(e), ms, `[data-testid="${testid}"] stays disabled`);
    await e.click();
    return e;
  }

  async type(testid, text) {
    const e = await this.el(testid);
    await e.clear();
    await e.sendKeys(text);
    return e;
  }

  /** Wait until the element's attribute has the value; returns it. */
  async attr(testid, name, value, ms = WAIT) {
    let last;
    await this.driver.wait(
      async () => {
        const found = await this.driver.findElements(sel(testid));
        if (found.length === 0) return false;
        last = await found[0].getAttribute(name);
        return value === undefined ? last !== null : last === value;
      },
      ms,
      `[data-testid="${testid}"] ${name} never became ${value} (last: ${last})`,
    );
    return last;
  }

  async screen(name) {
    await this.click(`nav-${name}`);
    await this.el(name === 'home' ? 'home-ready' : `${name}-screen`);
  }

  /** Answer the passphrase dialog with the demo passphrase, when it opens within `ms`. */
  async unlockIfAsked(ms = 5_000) {
    let input;
    try {
      input = await this.el('passphrase-input', ms);
    } catch {
      return false;
    }
    await input.sendKeys(PASSPHRASE);
    await this.click('passphrase-submit');
    await this.driver.wait(
      async () => (await this.driver.findElements(sel('passphrase-input'))).length === 0,
      WAIT,
      'the passphrase dialog did not close',
    );
    return true;
  }

  /** Act as the identity with this printed name (Home's identity switcher). */
  async actAs(name) {
    await this.screen('home');
    const select = await this.el('identity-switcher');
    const options = await select.findElements(By.css('option'));
    for (const o of options) {
      if ((await o.getText()).trim() === name) {
        const id = await o.getAttribute('value');
        await o.click();
        await this.attr('current-identity', 'data-identity-id', id);
        return id;
      }
    }
    throw new Error(`no identity named ${name}`);
  }

  /** Select `phrase` inside the element with this testid, as a user dragging over it would. */
  async selectText(testid, phrase) {
    const found = await this.driver.executeScript(
      `const [testid, phrase] = arguments;
       const root = document.querySelector('[data-testid="' + testid + '"]');
       if (!root) return false;
       const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
       while (walk.nextNode()) {
         const n = walk.currentNode;
         const i = n.data.indexOf(phrase);
         if (i >= 0) {
           const r = document.createRange();
           r.setStart(n, i);
           r.setEnd(n, i + phrase.length);
           const s = window.getSelection();
           s.removeAllRanges();
           s.addRange(r);
           n.parentElement.scrollIntoView({ block: 'center' });
           return true;
         }
       }
       return false;`,
      testid,
      phrase,
    );
    if (!found) throw new Error(`"${phrase}" is not in [data-testid="${testid}"]`);
  }

  /** Save a screenshot of the window as COUNTERSIGN_SCREENSHOTS/<name>.png. */
  async shot(name) {
    const dir = process.env.COUNTERSIGN_SCREENSHOTS;
    mkdirSync(dir, { recursive: true });
    // Let transitions and late data settle before the picture.
    await this.driver.sleep(400);
    writeFileSync(path.join(dir, `${name}.png`), await this.driver.takeScreenshot(), 'base64');
  }

  /** Run the countersign CLI on the app's workspace (another process writing, as a user might). */
  cli(...args) {
    return execFileSync(process.env.COUNTERSIGN_CLI, ['--workspace', this.workspace, ...args], {
      encoding: 'utf8',
      env: { ...process.env, COUNTERSIGN_PASSPHRASE: PASSPHRASE },
    }).trim();
  }
}
