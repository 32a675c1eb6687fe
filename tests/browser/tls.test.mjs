// The demo pages over https:// in Chromium, which trusts exactly the gateway's certificate (its
// SPKI hash via --ignore-certificate-errors-spki-list, the way a user's browser would trust the
// local CA): the pages load, and their live-socket connects over wss:// on the same port.
import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { delay, launchBrowser, makeTempDir, openPage, startDemo } from './support.mjs';

const T = { timeout: 30000 };

async function expectText(locator, expected, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actual = ((await locator.textContent({ timeout: timeoutMs })) ?? '').trim();
    if (typeof expected === 'string' ? actual === expected : expected.test(actual)) return actual;
    if (Date.now() > deadline) assert.fail(`${locator}: expected ${expected}, found ${JSON.stringify(actual)}`);
    await delay(25);
  }
}

describe('the demo pages over https', () => {
  let demo;
  let trusting;
  let untrusting;
  let origin;

  before(async () => {
    const dataDir = path.join(await makeTempDir(), 'data');
    demo = await startDemo({ dataDir });
    const pem = await readFile(path.join(dataDir, 'tls', 'server.pem'), 'utf8');
    const spki = new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' });
    const hash = createHash('sha256').update(spki).digest('base64');
    [trusting, untrusting] = await Promise.all([
      launchBrowser({ args: [`--ignore-certificate-errors-spki-list=${hash}`] }),
      launchBrowser(),
    ]);
    origin = `https://127.0.0.1:${demo.port}`;
    assert.equal(demo.ready.secureWebsocketUrl.startsWith(`wss://127.0.0.1:${demo.port}/`), true);
  });
  after(async () => {
    await Promise.all([trusting?.close(), untrusting?.close()]);
    await demo?.stop();
  });

  test('the counter page loads over https and counts over wss', T, async () => {
    const page = await openPage(trusting);
    const sockets = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    try {
      const response = await page.goto(`${origin}/counter/`);
      assert.equal(response.status(), 200);
      assert.equal(new URL(page.url()).protocol, 'https:');
      await expectText(page.locator('#status'), 'connected');
      const start = Number(await expectText(page.locator('#value'), /^\d+$/));
      await page.click('#increment');
      await expectText(page.locator('#value'), String(start + 1));
      assert.ok(sockets.length > 0, 'the page opened a WebSocket');
      for (const url of sockets) assert.match(url, new RegExp(`^wss://127\\.0\\.0\\.1:${demo.port}/counter`));
      assert.deepEqual(page.errors, []);
    } finally {
      await page.context().close();
    }
  });

  test('a plain http page and an https page count together on one port', T, async () => {
    const secure = await openPage(trusting);
    const plain = await openPage(trusting);
    try {
      await secure.goto(`${origin}/counter/`);
      await plain.goto(`${demo.httpUrl}counter/`);
      await expectText(secure.locator('#status'), 'connected');
      await expectText(plain.locator('#status'), 'connected');
      const start = Number(await expectText(secure.locator('#value'), /^\d+$/));
      await plain.click('#increment');
      await expectText(secure.locator('#value'), String(start + 1));
    } finally {
      await secure.context().close();
      await plain.context().close();
    }
  });

  test('a browser that does not trust the certificate refuses the page at once', T, async () => {
    const page = await openPage(untrusting);
    try {
      const started = Date.now();
      await assert.rejects(page.goto(`${origin}/counter/`), /ERR_CERT_AUTHORITY_INVALID|ERR_CERT/);
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    } finally {
      await page.context().close();
    }
  });
});
