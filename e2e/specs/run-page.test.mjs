// The demo's advocacy nomination run: its page shows the header, the live counts, the
// architecture view and the derived step graph paused at the advocacy and legal sign-off; a
// named approver approves it on the page (with the passphrase), and the step graph and counts
// reshape at once. Screenshots: runs.png, run-page.png and run-page-steps.png (before),
// run-page-approved.png and run-page-steps-approved.png (after), run-lineage.png.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openApp, sel } from '../lib.mjs';

const APPROVER = 'Noor Haddad';

describe('a run record: approving on the run page reshapes its step graph', { timeout: 300_000 }, () => {
  /** @type {import('../lib.mjs').App} */
  let app;
  let run;

  /** The data-status of every step, in order. */
  const stepStatuses = async () => {
    const steps = await app.driver.findElements(sel('run-step'));
    return Promise.all(steps.map((s) => s.getAttribute('data-status')));
  };

  /** Scroll the element with this testid to the top of the window. */
  const scrollTo = (testid) =>
    app.driver.executeScript(
      `document.querySelector('[data-testid="' + arguments[0] + '"]')?.scrollIntoView({ block: 'start' });`,
      testid,
    );

  before(async () => {
    app = await openApp();
    run = JSON.parse(app.cli('run', 'list', '--json')).find((r) => r.name.startsWith('Advocacy nomination'));
    assert.ok(run, 'the demo has an advocacy nomination run');
  });
  after(async () => {
    await app?.close();
  });

  it('lists the runs on Home and on the Runs screen', async () => {
    await app.el('home-ready', 30_000);
    await app.el('run-link');
    await app.el(`run-link-${run.id}`);
    // Act as the named approver of the nomination before opening it.
    await app.actAs(APPROVER);
    await app.screen('runs');
    const row = await app.driver.findElement({ css: `[data-run-id="${run.id}"]` });
    assert.equal(await row.getAttribute('data-status'), 'paused');
    assert.match(await row.getText(), /Advocacy Agent/);
    await app.shot('runs');
  });

  it('opens the advocacy nomination: header, counts, architecture, steps', async () => {
    await app.click(`run-link-${run.id}`);
    await app.el('run-page');
    assert.match(await (await app.el('run-name')).getText(), /^Advocacy nomination: Halvorsen Cold Chain$/);
    assert.equal(await app.attr('run-status', 'data-status'), 'paused');
    assert.equal(await app.attr('run-pattern', 'data-pattern'), 'external');
    assert.equal(await app.attr('run-owner', 'data-kind'), 'agent');
    assert.match(await (await app.el('run-owner')).getText(), /Advocacy Agent/);
    assert.match(await (await app.el('run-trigger')).getText(), /Outcome call with measurable results detected/);
    assert.match(await (await app.el('run-trigger')).getText(), /Customer call analytics/);
    assert.match(await (await app.el('run-status-reason')).getText(), /Paused at step 3/);

    assert.equal(await app.attr('run-count-pending', 'data-count'), '1');
    assert.equal(await app.attr('run-count-approved', 'data-count'), '0');
    assert.equal(await app.attr('run-count-rejected', 'data-count'), '0');

    for (const layer of ['inputs', 'run_core', 'outputs', 'tracking']) await app.el(`arch-layer-${layer}`);
    assert.equal(await app.attr('arch-card-meetings', 'data-value'), '1');
    assert.equal(await app.attr('arch-card-status', 'data-value'), 'paused');

    await app.el('run-steps');
    assert.deepEqual(await stepStatuses(), ['completed', 'completed', 'awaiting_approval']);
    await app.shot('run-page');
    // The page opens on the pending approval's tab, below the step graph.
    await app.el('run-panel-approvals');
    await scrollTo('run-steps');
    await app.shot('run-page-steps');
  });

  it('shows the tabs: meetings, outputs, files, roadmap links as text, approvals', async () => {
    await app.click('run-tab-meetings');
    assert.match(await (await app.el('run-meeting')).getText(), /Ines Halvorsen/);
    await app.click('run-tab-outputs');
    await app.el('run-output');
    await app.click('run-tab-roadmap');
    const link = await app.el('run-roadmap-link');
    assert.match(await link.getText(), /RPT-88/);
    assert.equal((await link.findElements({ css: 'a[href]' })).length, 0, 'roadmap URLs are text, not links');
    await app.click('run-tab-approvals');
    const approval = await app.el('run-approval');
    assert.equal(await approval.getAttribute('data-status'), 'pending');
    assert.match(await approval.getText(), /Noor Haddad or anyone holding legal/);
  });

  it('explains the nomination package back to the call and the trigger', async () => {
    await app.click('run-tab-files');
    const files = await app.driver.findElements(sel('run-file'));
    let traced = false;
    for (const f of files) {
      if ((await f.getText()).includes('Nomination package')) {
        await (await f.findElement({ css: 'button[data-testid^="run-trace-"]' })).click();
        traced = true;
        break;
      }
    }
    assert.ok(traced, 'the nomination package is listed');
    await app.el('lineage-view');
    await app.driver.wait(
      async () => (await app.driver.findElements(sel('lineage-node'))).length >= 5,
      15_000,
      'the lineage tree did not load',
    );
    const kinds = await Promise.all(
      (await app.driver.findElements(sel('lineage-node'))).map((n) => n.getAttribute('data-kind')),
    );
    assert.equal(kinds[0], 'file');
    assert.ok(kinds.includes('meeting') && kinds.includes('trigger'), `sources: ${kinds.join(', ')}`);
    await scrollTo('lineage-view');
    await app.shot('run-lineage');
  });

  it(`${APPROVER} approves on the run page: the step graph and counts reshape at once`, async () => {
    await app.click('run-tab-approvals');
    await app.click('run-approve');
    assert.equal(await app.unlockIfAsked(), true, "the approver's passphrase is asked");

    await app.attr('run-count-pending', 'data-count', '0');
    assert.equal(await app.attr('run-count-approved', 'data-count'), '1');
    assert.equal(await app.attr('run-count-rejected', 'data-count'), '0');
    await app.driver.wait(
      async () => (await stepStatuses()).every((s) => s === 'completed'),
      15_000,
      'the steps did not all complete',
    );
    assert.deepEqual(await stepStatuses(), ['completed', 'completed', 'completed']);
    const status = await app.attr('run-status', 'data-status');
    assert.notEqual(status, 'paused');
    assert.equal(status, 'completed');
    assert.equal(await app.attr('run-approval', 'data-status'), 'approved');
    assert.match(await (await app.el('run-approval-decision')).getText(), new RegExp(`Approved by ${APPROVER}`));
    // Nothing is left to decide on this run.
    assert.equal((await app.driver.findElements(sel('run-approve'))).length, 0);

    await scrollTo('run-page');
    await app.shot('run-page-approved');
    await scrollTo('run-steps');
    await app.shot('run-page-steps-approved');
  });

  it('the runs list follows', async () => {
    await app.click('run-back');
    await app.el('runs-screen');
    await app.driver.wait(
      async () =>
        (await app.driver.findElement({ css: `[data-run-id="${run.id}"]` }).getAttribute('data-status')) === 'completed',
      15_000,
      'the runs list still shows the run paused',
    );
  });

  it("the packet's release run shows its approval backed by the signed manifest", async () => {
    const release = JSON.parse(app.cli('run', 'list', '--json')).find((r) => r.packet);
    await app.click(`run-link-${release.id}`);
    await app.attr('run-page', 'data-run-id', release.id);
    assert.equal(await app.attr('run-status', 'data-status'), 'paused');
    await app.click('run-tab-approvals');
    assert.match(await (await app.el('run-approval-backed')).getText(), /Dana Okafor/);
    // Noor Haddad is not among its approvers: nothing to decide, and the page says why.
    await app.el('run-approval-not-yours');
    await scrollTo('run-panel-approvals');
    await app.shot('run-release');
    await app.click('run-approval-release');
    await app.el('release-screen');
    assert.equal(await app.attr('release-state', 'data-state'), 'awaiting_approval');
  });
});

describe('a run record: rejecting with a reason sends the run back for rework', { timeout: 300_000 }, () => {
  /** @type {import('../lib.mjs').App} */
  let app;
  let run;

  before(async () => {
    app = await openApp();
    run = JSON.parse(app.cli('run', 'list', '--json')).find((r) => r.name.startsWith('Advocacy nomination'));
  });
  after(async () => {
    await app?.close();
  });

  it('legal rejects the sign-off on the run page: the run returns to step 2', async () => {
    await app.el('home-ready', 30_000);
    await app.actAs('Dana Okafor');
    await app.click(`run-link-${run.id}`);
    await app.el('run-page');
    await app.click('run-tab-approvals');
    await app.click('run-reject');
    await app.type('run-reject-reason', 'The written consent to be named is not on file yet.');
    await app.click('run-reject-submit');
    assert.equal(await app.unlockIfAsked(), true, "legal's passphrase is asked");

    await app.attr('run-count-rejected', 'data-count', '1');
    assert.equal(await app.attr('run-count-pending', 'data-count'), '0');
    assert.equal(await app.attr('run-count-approved', 'data-count'), '0');
    await app.driver.wait(
      async () => {
        const steps = await app.driver.findElements(sel('run-step'));
        const st = await Promise.all(steps.map((s) => s.getAttribute('data-status')));
        return st.join() === 'completed,running,pending';
      },
      15_000,
      'the run did not go back to step 2',
    );
    assert.equal(await app.attr('run-status', 'data-status'), 'running');
    assert.match(await (await app.el('run-approval-decision')).getText(), /consent to be named is not on file/);
  });
});
