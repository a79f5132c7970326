// The window's content security policy holds in the running app: no inline script, no eval, no
// remote content. (Each refusal is seen as a `securitypolicyviolation` event in the page.)

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openApp } from '../lib.mjs';

describe('content security policy', { timeout: 120_000 }, () => {
  /** @type {import('../lib.mjs').App} */
  let app;

  before(async () => {
    app = await openApp();
    await app.el('home-ready', 30_000);
  });
  after(async () => {
    await app?.close();
  });

  it('refuses inline script, eval and remote images', async () => {
    const result = await app.driver.executeAsyncScript(`
      const done = arguments[arguments.length - 1];
      const violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        violations.push(e.violatedDirective + ' ' + (e.blockedURI || '')));
      let evalResult;
      try { evalResult = 'ran:' + window.eval('1 + 1'); } catch (e) { evalResult = e.name; }
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.body.appendChild(s);
      const img = document.createElement('img');
      img.src = 'https://example.com/pixel.png';
      document.body.appendChild(img);
      setTimeout(() => done({ evalResult, inlineRan: window.__inlineRan === true, violations }), 1500);
    `);
    assert.equal(result.inlineRan, false, 'an inline script ran');
    assert.equal(result.evalResult, 'EvalError', `eval was not refused: ${result.evalResult}`);
    assert.ok(
      result.violations.some((v) => v.startsWith('img-src') && v.includes('example.com')),
      `no img-src violation for the remote image: ${JSON.stringify(result.violations)}`,
    );
    assert.ok(
      result.violations.some((v) => v.startsWith('script-src')),
      `no script-src violation: ${JSON.stringify(result.violations)}`,
    );
  });
});
