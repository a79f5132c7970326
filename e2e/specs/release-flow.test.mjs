// The demo packet from an objection on selected wording to a signed release, and the hold a new
// revision puts on it — through the UI only, on a fresh demo workspace. Screenshots of every main
// screen go to COUNTERSIGN_SCREENSHOTS (target/screenshots).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openApp, sel } from '../lib.mjs';

const PHRASE = 'did not run until 15:05 UTC';
const BODY = 'Say why the exports waited: the scheduler was paused on purpose, not broken.';
const RATIONALE = 'The scheduler note is internal detail; the executive lane needs only the delay.';

describe('from an objection to a signed release', { timeout: 600_000 }, () => {
  /** @type {import('../lib.mjs').App} */
  let app;
  let objection;

  before(async () => {
    app = await openApp();
  });
  after(async () => {
    await app?.close();
  });

  it('opens on Home with the demo packet awaiting approval', async () => {
    await app.el('home-ready', 30_000);
    assert.equal(await app.attr('packet-state-0', 'data-state'), 'awaiting_approval');
    await app.shot('home');
  });

  it('selects wording in the packet and raises an objection on it', async () => {
    await app.actAs('Jonas Whitfield');
    await app.click('packet-link');
    await app.el('packet-screen');
    await app.el('rendered-pane');
    await app.shot('packet');
    await app.selectText('rendered-pane', PHRASE);
    await app.click('selection-object-button');
    assert.match(await (await app.el('composer-quote')).getText(), new RegExp(PHRASE));
    await app.type('objection-body', BODY);
    await app.click('objection-submit');
    assert.equal(await app.unlockIfAsked(), true, 'the passphrase is asked for the first signature');
    // The new objection is anchored: a highlight in the rendered pane and a card in the margin.
    // (Read in one script: the pane re-renders while the margin catches up.)
    await app.driver.wait(
      () =>
        app.driver.executeScript(
          `return [...document.querySelectorAll('[data-testid="rendered-pane"] mark[data-anchor]')]
             .some((m) => m.textContent.includes(arguments[0]));`,
          PHRASE,
        ),
      15_000,
      'the objected wording is not highlighted',
    );
  });

  it('the packet owner accepts it as residual disagreement', async () => {
    await app.actAs('Priya Raman');
    await app.screen('ledger');
    // Read in one script each time: the ledger re-renders on live updates, so an element found in
    // one call can be gone by the next.
    objection = await app.driver.wait(
      () =>
        app.driver.executeScript(
          `const item = [...document.querySelectorAll('[data-testid="ledger-item"]')]
             .find((i) => i.textContent.includes(arguments[0]));
           return item ? item.getAttribute('data-objection-id') : null;`,
          BODY,
        ),
      15_000,
      'the new objection is not in the ledger',
    );
    await app.click(`ledger-accept-${objection}`);
    await app.type('rationale-input', RATIONALE);
    await app.click('rationale-submit');
    await app.unlockIfAsked();
    await app.driver.wait(
      async () =>
        (await app.driver.executeScript(
          `return document.querySelector('[data-objection-id="' + arguments[0] + '"]')?.getAttribute('data-status') ?? null;`,
          objection,
        )) === 'accepted_residual',
      15_000,
      'the objection did not become accepted_residual',
    );
    await app.el('ledger-residual');
    await app.shot('ledger');
  });

  it('the owner drafts a manifest that binds the residual disagreement', async () => {
    await app.screen('release');
    await app.click('draft-manifest');
    await app.unlockIfAsked(2_000);
    await app.driver.wait(async () => {
      const r = await app.driver.findElements(sel('manifest-residuals'));
      return r.length > 0 && (await r[0].getText()).includes(PHRASE);
    }, 15_000, 'the manifest does not list the accepted objection');
    assert.equal(await app.attr('release-state', 'data-state', 'awaiting_approval'), 'awaiting_approval');
  });

  it('legal and the director approve: approved, then released', async () => {
    await app.actAs('Dana Okafor');
    await app.screen('release');
    await app.click('approve-button');
    await app.unlockIfAsked();
    await app.attr('approval-item', 'data-meaning', 'approve');

    await app.actAs('Helen Sato');
    await app.screen('release');
    await app.click('approve-button');
    assert.equal(await app.unlockIfAsked(), true, "the director's passphrase is asked");
    await app.attr('release-state', 'data-state', 'approved');
    await app.shot('release');

    await app.click('release-button');
    await app.unlockIfAsked(2_000);
    await app.attr('release-state', 'data-state', 'released');
    assert.match(await (await app.el('release-path')).getText(), /exec-review/);
  });

  it('compares the last two revisions', async () => {
    await app.screen('compare');
    await app.el('redline');
    assert.equal(await app.attr('compare-class', 'data-change'), 'material');
    await app.shot('compare');
  });

  it('a new revision holds the release', async () => {
    await app.actAs('Priya Raman');
    await app.click('packet-link');
    await app.el('packet-screen');
    const content = await app.el('editor-content');
    await content.click();
    // End of the document, then a new paragraph.
    await app.driver.executeScript(
      `const el = document.querySelector('[data-testid="editor-content"]');
       const sel = window.getSelection(); sel.selectAllChildren(el); sel.collapseToEnd();`,
    );
    await content.sendKeys('\n\nReviewed again after the release.');
    await app.el('unsaved');
    await app.click('save-button');
    await app.type('save-message', 'Note the second review');
    await app.click('save-submit');
    await app.unlockIfAsked(2_000);
    await app.driver.wait(async () => (await app.driver.findElements(sel('unsaved'))).length === 0, 15_000, 'not saved');

    await app.screen('release');
    await app.attr('release-state', 'data-state', 'held');
    await app.attr('hold-item', 'data-kind', 'new_revision');
    assert.equal(await app.attr('hold-item', 'data-holding'), 'true');
    await app.shot('release-held');
  });

  it('shows a change made by the CLI in another process without a reload', async () => {
    await app.screen('ledger');
    const before = (await app.driver.findElements(sel('ledger-item'))).length;
    const ids = JSON.parse(app.cli('identity', 'list', '--json'));
    const jonas = ids.find((i) => i.name === 'Jonas Whitfield').id;
    const p = JSON.parse(app.cli('packet', 'list', '--json'))[0].id;
    app.cli('objection', 'raise', p, '--revision', JSON.parse(app.cli('packet', 'log', p, '--json'))[0].id,
      '--quote', 'Reviewed again', '--body', 'Raised from the command line.', '--author', jonas);
    await app.driver.wait(
      async () => (await app.driver.findElements(sel('ledger-item'))).length === before + 1,
      10_000,
      'the ledger did not pick up the objection raised by the CLI',
    );
  });

  it('shows the sync screen', async () => {
    await app.screen('sync');
    await app.shot('sync');
  });
});
