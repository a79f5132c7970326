// Sync through a shared folder, on the Sync screen: the empty state, a first pass that pushes
// every operation (asking for one key, the pusher's, however many identities made them), a second replica made with the CLI and
// a concurrent revision on each side, the divergence listed and merged by the packet owner, and a
// target that fails — its error shown with a code, nothing lost. Screenshots: sync-empty.png,
// sync-keys.png (a first pass asking for a key), sync.png (a target and a divergence),
// sync-diverged.png, sync-merged.png, sync-error.png.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { By, Key, until } from 'selenium-webdriver';
import { PASSPHRASE, openApp, sel } from '../lib.mjs';

describe('sync: a folder target, a divergence merged by its owner, a failing target', { timeout: 900_000 }, () => {
  /** @type {import('../lib.mjs').App} */
  let app;
  let tmp;
  let shared;
  let replica2;
  let packet;
  let priya;

  /** The countersign CLI on the second replica. */
  const cli2 = (...args) =>
    execFileSync(process.env.COUNTERSIGN_CLI, ['--workspace', replica2, ...args], {
      encoding: 'utf8',
      env: { ...process.env, COUNTERSIGN_PASSPHRASE: PASSPHRASE },
    }).trim();

  /** How many passes the Sync screen has seen end. */
  const passes = async () => Number(await (await app.el('sync-screen')).getAttribute('data-passes'));

  /**
   * Wait for the pass started after `before` passes to end, answering the passphrase dialog each
   * time it opens (a push is signed with one key, the pusher's). Returns how many keys were
   * asked for.
   */
  const finishPass = async (before, { ms = 240_000, shot = null } = {}) => {
    let asked = 0;
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const inputs = await app.driver.findElements(sel('passphrase-input'));
      if (inputs.length > 0 && (await inputs[0].isDisplayed())) {
        if (shot && asked === 0) await app.shot(shot);
        await inputs[0].sendKeys(PASSPHRASE);
        await app.click('passphrase-submit');
        asked += 1;
        // The dialog closes once the key is unlocked; the pass then runs again and may open
        // it at once for the next identity, so wait for this input to go, not for none.
        await app.driver.wait(until.stalenessOf(inputs[0]), 30_000, 'the passphrase dialog did not close');
        continue;
      }
      if ((await passes()) > before) return asked;
      await app.driver.sleep(150);
    }
    throw new Error(`the sync pass did not end within ${ms} ms`);
  };

  /** The target row whose name ends with `dir`. */
  const row = async (dir) => {
    const rows = await app.driver.findElements(sel('sync-target'));
    for (const r of rows) {
      if ((await r.getAttribute('data-target')).endsWith(dir)) return r;
    }
    throw new Error(`no target row for ${dir}`);
  };

  const scrollTo = (testid) =>
    app.driver.executeScript(
      `document.querySelector('[data-testid="' + arguments[0] + '"]')?.scrollIntoView({ block: 'start' });`,
      testid,
    );

  before(async () => {
    app = await openApp();
    tmp = mkdtempSync(path.join(tmpdir(), 'countersign-e2e-sync-'));
    shared = path.join(tmp, 'shared');
    mkdirSync(shared);
    replica2 = path.join(tmp, 'replica2');
    packet = JSON.parse(app.cli('packet', 'list', '--json'))[0].id;
    priya = JSON.parse(app.cli('identity', 'list', '--json')).find((i) => i.name === 'Priya Raman').id;
  });
  after(async () => {
    await app?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('shows that sync is not set up, with the form to add a target', async () => {
    await app.el('home-ready', 30_000);
    await app.actAs('Priya Raman');
    await app.screen('sync');
    await app.el('sync-empty');
    assert.match(await (await app.el('sync-empty')).getText(), /Sync is not set up/);
    await app.el('sync-replica');
    await app.el('sync-folder-path');
    // The native folder picker is offered beside the path (a GTK dialog: not driven from here).
    assert.equal(await (await app.el('sync-choose-folder')).isEnabled(), true);
    assert.equal((await app.driver.findElements(sel('sync-target'))).length, 0);
    await app.shot('sync-empty');
  });

  it('adds a shared folder: the first pass pushes every operation, asking for one key', async () => {
    const before = await passes();
    const field = await app.type('sync-folder-path', shared);
    await field.sendKeys(Key.ENTER);
    const asked = await finishPass(before, { shot: 'sync-keys' });
    assert.equal(asked, 1, `the first push asks for one key, whoever made the changes (asked ${asked})`);

    const r = await row('shared');
    assert.equal(await r.getAttribute('data-status'), 'ok');
    assert.ok(Number(await r.getAttribute('data-pushed-ops')) > 0, 'operations were pushed');
    assert.equal(await r.getAttribute('data-pending-ops'), '0');
    assert.equal((await r.findElements(sel('sync-last-error'))).length, 0);
    // The key was asked for first, so one pass pushed every operation made here.
    const local = await app.attr('sync-local-ops', 'data-count');
    assert.equal(await app.attr('sync-report', 'data-pushed-ops'), local);
    assert.equal(await r.getAttribute('data-pushed-ops'), local);
    assert.equal((await app.driver.findElements(sel('sync-empty'))).length, 0);
    await app.el('sync-diverged-none');
  });

  it('a second replica and this one revise the packet at once: after a pass it has diverged', async () => {
    execFileSync(process.env.COUNTERSIGN_CLI, ['--workspace', replica2, 'join', '--folder', shared], {
      stdio: 'pipe',
      env: { ...process.env, COUNTERSIGN_PASSPHRASE: PASSPHRASE },
    });
    const ravi = cli2('identity', 'add', '--name', 'Ravi Menon', '--role', 'author');
    const head = app.cli('packet', 'show', packet);
    const there = path.join(tmp, 'replica2.md');
    writeFileSync(there, `${head}\n\nReplica two adds: the status page was updated at 14:20 UTC.\n`);
    cli2('packet', 'revise', packet, '--file', there, '--author', ravi, '--message', 'Status page time');
    cli2('sync', '--folder', shared);
    // Meanwhile, on this replica (another process on the same workspace, as a user might).
    const here = path.join(tmp, 'replica1.md');
    writeFileSync(here, `${head}\n\nReplica one adds: customers were emailed at 14:30 UTC.\n`);
    app.cli('packet', 'revise', packet, '--file', here, '--author', priya, '--message', 'Customer email time');

    const before = await passes();
    const r = await row('shared');
    await (await r.findElement(sel('sync-now'))).click();
    await finishPass(before);
    assert.ok(Number(await app.attr('sync-report', 'data-pulled-ops')) > 0, 'the other replica’s operations were pulled');
    const diverged = await app.el('sync-diverged');
    assert.equal(await diverged.getAttribute('data-packet-id'), packet);
    assert.equal((await diverged.findElements(sel('sync-head'))).length, 2);
    assert.match(await diverged.getText(), /Ravi Menon/);
    assert.match(await diverged.getText(), /Priya Raman/);
    await app.el('sync-merge');
    assert.equal(await (await row('shared')).getAttribute('data-status'), 'ok');
    await scrollTo('sync-screen');
    await app.shot('sync');
    await scrollTo('sync-diverged-list');
    await app.shot('sync-diverged');
  });

  it('another identity is told who can merge; the owner merges the heads', async () => {
    await app.actAs('Dana Okafor');
    await app.screen('sync');
    assert.match(await (await app.el('sync-merge-not-yours')).getText(), /Only Priya Raman, the packet owner/);

    await app.actAs('Priya Raman');
    await app.screen('sync');
    await app.click('sync-merge');
    await app.el('sync-merge-form');
    const text = await app.el('sync-merge-text');
    await app.driver.wait(async () => (await text.getAttribute('value')).includes('Replica'), 15_000, 'the head’s wording did not load');
    // Keep both additions: start from one head and add the other's sentence.
    const value = await text.getAttribute('value');
    const other = value.includes('Replica two')
      ? '\n\nReplica one adds: customers were emailed at 14:30 UTC.\n'
      : '\n\nReplica two adds: the status page was updated at 14:20 UTC.\n';
    await text.sendKeys(Key.END, other);
    await app.click('sync-merge-submit');
    await app.unlockIfAsked(2_000);
    await app.driver.wait(
      async () => (await app.driver.findElements(sel('sync-diverged'))).length === 0,
      20_000,
      'the packet is still listed as diverged',
    );
    await app.el('sync-diverged-none');
    const heads = JSON.parse(app.cli('packet', 'heads', packet, '--json'));
    assert.equal(heads.length, 1);
    assert.equal(heads[0].parents.length, 2, 'the merge revision has both heads as parents');
    const merged = app.cli('packet', 'show', packet);
    assert.match(merged, /Replica one adds/);
    assert.match(merged, /Replica two adds/);

    // The merge travels: the other replica ends with the same single head.
    const before = await passes();
    await (await (await row('shared')).findElement(sel('sync-now'))).click();
    await finishPass(before);
    cli2('sync');
    assert.equal(JSON.parse(cli2('packet', 'heads', packet, '--json'))[0].id, heads[0].id);
    await scrollTo('sync-screen');
    await app.shot('sync-merged');
  });

  it('a target that fails shows its error with a code, and nothing is lost', async () => {
    const notAFolder = path.join(tmp, 'not-a-folder');
    writeFileSync(notAFolder, 'a regular file, not a folder\n');
    const localOps = await app.attr('sync-local-ops', 'data-count');
    const good = await row('shared');
    const pending = await good.getAttribute('data-pending-ops');

    const before = await passes();
    const field = await app.type('sync-folder-path', notAFolder);
    await field.sendKeys(Key.ENTER);
    await finishPass(before);
    const bad = await row('not-a-folder');
    assert.equal(await bad.getAttribute('data-status'), 'failed');
    const note = await bad.findElement(sel('sync-last-error'));
    assert.equal(await note.getAttribute('data-code'), 'target_offline');
    assert.equal(await note.getAttribute('role'), 'alert');
    assert.match(await note.getText(), /not-a-folder/);
    assert.equal(await app.attr('sync-failed', 'data-code'), 'target_offline');
    // Nothing lost: the operations made here and the good target's state are unchanged.
    assert.equal(await app.attr('sync-local-ops', 'data-count'), localOps);
    const goodAfter = await row('shared');
    assert.equal(await goodAfter.getAttribute('data-status'), 'ok');
    assert.equal(await goodAfter.getAttribute('data-pending-ops'), pending);
    assert.equal(await bad.getAttribute('data-pending-ops'), localOps);
    await app.driver.executeScript(
      `document.querySelector('[data-testid="sync-target"][data-target$="not-a-folder"]')?.scrollIntoView({ block: 'center' });`,
    );
    await app.shot('sync-error');
    // The buttons are plain buttons, reachable by keyboard.
    assert.equal(await (await bad.findElement(By.css('[data-testid="sync-now"]'))).getTagName(), 'button');
  });
});
