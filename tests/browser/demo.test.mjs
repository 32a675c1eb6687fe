// The demo in a real browser: `wsgw-emulate --demo` serving share/web, Debian's chromium driven by
// playwright-core. Separate browser contexts stand for separate people; connections are dropped
// through the management API (DELETE @connections) to watch the pages reconnect on their own.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  delay,
  launchBrowser,
  makeTempDir,
  openPage,
  rawGet,
  screenshot,
  startDemo,
} from './support.mjs';

const T = { timeout: 30000 };
const NARROW = { width: 390, height: 780 };

// Polls the locator's text until it equals `expected` (a string) or matches it (a RegExp).
async function expectText(locator, expected, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actual = ((await locator.textContent({ timeout: timeoutMs })) ?? '').trim();
    if (typeof expected === 'string' ? actual === expected : expected.test(actual)) return actual;
    if (Date.now() > deadline) {
      throw new assert.AssertionError({
        message: `${locator}: expected text ${expected}, found ${JSON.stringify(actual)}`,
        actual,
        expected,
      });
    }
    await delay(25);
  }
}

async function waitUntil(what, probe, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last.ok) return last.value;
    if (Date.now() > deadline) {
      throw new Error(`${what} within ${timeoutMs} ms; last seen: ${JSON.stringify(last.value)}`);
    }
    await delay(25);
  }
}

// What a chat page shows, one string per line of the conversation:
// "alice: hello", "alice → you (private): psst", "you → bob (private): hi", "* bob joined",
// "! error text", "~ Reconnected" (the page's own notices).
function conversation(page) {
  return page.$$eval('#messages > li', (items) =>
    items
      .filter((item) => !item.classList.contains('empty'))
      .map((item) => {
        if (item.classList.contains('notice')) {
          let kind = '*';
          if (item.classList.contains('error')) kind = '!';
          if (item.classList.contains('local')) kind = '~';
          return `${kind} ${item.textContent.replace(/^⚠ /, '')}`;
        }
        const author = item.querySelector('.author').textContent;
        const text = item.querySelector('.text').textContent;
        if (!item.classList.contains('private')) return `${author}: ${text}`;
        const to = item.querySelector('.meta .author + span').textContent.replace(/^to /, '');
        return `${author} → ${to} (private): ${text}`;
      }),
  );
}

async function waitForLines(page, lines, timeoutMs = 8000) {
  return waitUntil(
    `${lines.join(' / ')} shown`,
    async () => {
      const shown = await conversation(page);
      return { ok: lines.every((line) => shown.includes(line)), value: shown };
    },
    timeoutMs,
  );
}

async function members(page) {
  return page.$$eval('#members li button', (buttons) =>
    buttons.map((button) => button.querySelector('span:not(.avatar):not(.you-tag)').textContent),
  );
}

async function waitForMembers(page, expected) {
  return waitUntil(`members ${expected.join(', ')}`, async () => {
    const shown = await members(page);
    return { ok: JSON.stringify(shown) === JSON.stringify(expected), value: shown };
  });
}

async function joinChat(page, demo, name, room) {
  await page.goto(`${demo.httpUrl}chat/`);
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.click('#join-form button[type=submit]');
  await expectText(page.locator('#status'), 'connected');
}

async function sendChat(page, text) {
  await page.fill('#message', text);
  await page.press('#message', 'Enter');
}

describe('the demo pages in a browser', () => {
  let browser;
  let demo;
  let dataDir;

  before(async () => {
    dataDir = path.join(await makeTempDir(), 'data');
    [browser, demo] = await Promise.all([launchBrowser(), startDemo({ dataDir })]);
  });

  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  test('the index page explains the demo, links to both apps, shows this server`s URLs', T, async () => {
    const page = await openPage(browser);
    try {
      await page.goto(demo.httpUrl);
      assert.match(await page.title(), /wsgw/);
      assert.ok(await page.locator('a[href="/counter/"]').count());
      assert.ok(await page.locator('a[href="/chat/"]').count());
      await expectText(
        page.locator('[data-ws="counter"]').first(),
        `ws://127.0.0.1:${demo.port}/counter`,
      );
      await expectText(
        page.locator('[data-ws="chat"]'),
        `ws://127.0.0.1:${demo.port}/chat?room=lobby&name=alice`,
      );
      await screenshot(page, 'index.png');
      await page.setViewportSize(NARROW);
      await screenshot(page, 'index-narrow.png');

      await page.getByRole('link', { name: 'Open the counter' }).click();
      await page.waitForURL(`${demo.httpUrl}counter/`);
      await expectText(page.locator('#status'), 'connected');
      await page.getByRole('link', { name: 'Chat', exact: true }).click();
      await page.waitForURL(`${demo.httpUrl}chat/`);
      await page.locator('#join-form').waitFor();
      assert.deepEqual(page.errors, []);
    } finally {
      await page.context().close();
    }
  });

  test('static files: content types, HEAD, 404 when missing, no way out of share/web', T, async () => {
    const expectations = [
      ['', 200, 'text/html; charset=utf-8'],
      ['counter/', 200, 'text/html; charset=utf-8'],
      ['chat/index.html', 200, 'text/html; charset=utf-8'],
      ['style.css', 200, 'text/css; charset=utf-8'],
      ['live-socket.js', 200, 'text/javascript; charset=utf-8'],
      ['favicon.svg', 200, 'image/svg+xml'],
      ['missing.html', 404, null],
      ['counter/missing.js', 404, null],
    ];
    for (const [file, status, type] of expectations) {
      const response = await fetch(demo.httpUrl + file, { signal: AbortSignal.timeout(5000) });
      const body = await response.text();
      assert.equal(response.status, status, `GET /${file}`);
      if (type) {
        assert.equal(response.headers.get('content-type'), type, `GET /${file}`);
        assert.ok(body.length > 0, `GET /${file} has a body`);
      }
    }
    const head = await fetch(`${demo.httpUrl}counter/`, {
      method: 'HEAD',
      signal: AbortSignal.timeout(5000),
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await head.text(), '');

    // A raw request is sent as written. Inside share/web, ".." is harmless...
    const inside = await rawGet(demo.port, '/counter/../style.css');
    assert.equal(inside.status, 200, inside.head);
    assert.match(inside.head, /content-type: text\/css/i);
    // ...but nothing outside it is reachable: share/chat/routes.json is one level up, the
    // repository's README.md two.
    for (const target of [
      '/../README.md',
      '/../../README.md',
      '/../chat/routes.json',
      '/counter/../../chat/routes.json',
      '/%2e%2e/chat/routes.json',
      '/..%2fchat%2froutes.json',
      '/%2e%2e%2f%2e%2e%2fREADME.md',
    ]) {
      const answer = await rawGet(demo.port, target);
      assert.equal(answer.status, 404, `GET ${target}: ${answer.head}`);
      assert.doesNotMatch(answer.body, /routeSelectionExpression|WebSocket APIs on your machine/);
    }
  });

  test('two counter pages show every increment at once', T, async () => {
    const first = await openPage(browser);
    const second = await openPage(browser);
    try {
      await first.goto(`${demo.httpUrl}counter/`);
      await second.goto(`${demo.httpUrl}counter/`);
      await expectText(first.locator('#status'), 'connected');
      await expectText(second.locator('#status'), 'connected');
      const start = Number(await expectText(first.locator('#value'), /^\d+$/));
      await expectText(second.locator('#value'), String(start));

      await first.click('#increment');
      await expectText(first.locator('#value'), String(start + 1));
      await expectText(second.locator('#value'), String(start + 1));
      await second.click('#increment');
      await second.click('#increment');
      await expectText(first.locator('#value'), String(start + 3));
      await expectText(second.locator('#value'), String(start + 3));

      await screenshot(first, 'counter.png');
      await second.setViewportSize(NARROW);
      await screenshot(second, 'counter-narrow.png');
      assert.deepEqual(first.errors, []);
      assert.deepEqual(second.errors, []);
    } finally {
      await first.context().close();
      await second.context().close();
    }
  });

  test('a counter page whose connection is deleted reconnects by itself and catches up', T, async () => {
    const dropped = await openPage(browser);
    const other = await openPage(browser);
    try {
      // The dropped page's timers run on a clock the test holds, so it is certain to still be
      // waiting to reconnect while the other page increments.
      await dropped.clock.install();
      const known = demo.acceptedIds('counter');
      await dropped.goto(`${demo.httpUrl}counter/`);
      await expectText(dropped.locator('#status'), 'connected');
      const droppedId = await demo.newConnectionId('counter', known);
      await other.goto(`${demo.httpUrl}counter/`);
      await expectText(other.locator('#status'), 'connected');
      const start = Number(await expectText(dropped.locator('#value'), /^\d+$/));
      await expectText(other.locator('#value'), String(start));

      await dropped.clock.pauseAt(Date.now() + 1000);
      await demo.deleteConnection('counter', droppedId);
      await expectText(dropped.locator('#status'), /^reconnecting in \d+s$/);
      assert.equal(await dropped.locator('#increment').isDisabled(), true);
      assert.equal(await dropped.locator('#retry').isVisible(), true);

      await other.click('#increment');
      await other.click('#increment');
      await expectText(other.locator('#value'), String(start + 2));
      assert.equal(await dropped.locator('#value').textContent(), String(start));

      const beforeResume = demo.acceptedIds('counter');
      await dropped.clock.resume();
      await expectText(dropped.locator('#status'), 'connected');
      await expectText(dropped.locator('#value'), String(start + 2));
      assert.equal(await dropped.locator('#retry').isVisible(), false);
      assert.notEqual(await demo.newConnectionId('counter', beforeResume), droppedId);

      await dropped.click('#increment');
      await expectText(other.locator('#value'), String(start + 3));
      assert.deepEqual(dropped.errors, []);
    } finally {
      await dropped.context().close();
      await other.context().close();
    }
  });

  test('a page that goes offline says so and reconnects when the network is back', T, async () => {
    const page = await openPage(browser);
    try {
      const known = demo.acceptedIds('counter');
      await page.goto(`${demo.httpUrl}counter/`);
      await expectText(page.locator('#status'), 'connected');
      const id = await demo.newConnectionId('counter', known);
      await page.context().setOffline(true);
      await demo.deleteConnection('counter', id);
      await expectText(page.locator('#status'), 'offline');
      await page.context().setOffline(false);
      await expectText(page.locator('#status'), 'connected');
      await expectText(page.locator('#value'), /^\d+$/);
      assert.deepEqual(page.errors, []);
    } finally {
      await page.context().close();
    }
  });

  test('two chat users in separate browsers see members, public and private talk', T, async () => {
    const alice = await openPage(browser);
    const bob = await openPage(browser);
    try {
      await joinChat(alice, demo, 'alice', 'kitchen');
      await waitForMembers(alice, ['alice']);
      await joinChat(bob, demo, 'bob', 'kitchen');
      await waitForMembers(bob, ['alice', 'bob']);
      await waitForMembers(alice, ['alice', 'bob']);
      await waitForLines(alice, ['* bob joined']);
      await expectText(alice.locator('#room-title'), '# kitchen');
      assert.match(alice.url(), /\/chat\/\?room=kitchen&name=alice$/);

      await sendChat(alice, 'Hello bob! Is the kettle on?');
      await waitForLines(bob, ['alice: Hello bob! Is the kettle on?']);
      await waitForLines(alice, ['you: Hello bob! Is the kettle on?']);
      await sendChat(bob, 'It is. Tea or coffee?');
      await waitForLines(alice, ['bob: It is. Tea or coffee?']);

      // A private message: pick the member in the list, then type.
      await bob.click('#members button[data-name="alice"]');
      assert.equal(await bob.locator('#to').inputValue(), 'alice');
      await sendChat(bob, 'psst: the biscuits are behind the flour');
      await waitForLines(alice, ['bob → you (private): psst: the biscuits are behind the flour']);
      await waitForLines(bob, ['you → alice (private): psst: the biscuits are behind the flour']);
      // ...or through the recipient select.
      await alice.selectOption('#to', 'bob');
      await sendChat(alice, 'Tea, please.');
      await waitForLines(bob, ['alice → you (private): Tea, please.']);
      await alice.selectOption('#to', '');
      await sendChat(alice, 'Thanks!');
      await waitForLines(bob, ['alice: Thanks!']);

      await screenshot(alice, 'chat.png');
      await bob.setViewportSize(NARROW);
      await screenshot(bob, 'chat-narrow.png');

      // Someone in another room hears nothing of this one.
      const carol = await openPage(browser);
      try {
        await joinChat(carol, demo, 'carol', 'garden');
        await waitForMembers(carol, ['carol']);
        await sendChat(alice, 'Anyone in the garden?');
        await waitForLines(bob, ['alice: Anyone in the garden?']);
        assert.deepEqual(await conversation(carol), []);
      } finally {
        await carol.context().close();
      }

      // bob leaves while alice still has him chosen: the app's error is shown, not swallowed.
      await alice.selectOption('#to', 'bob');
      await bob.click('#leave');
      await waitForLines(alice, ['* bob left']);
      await waitForMembers(alice, ['alice']);
      assert.equal(await alice.locator('#to').inputValue(), 'bob');
      await sendChat(alice, 'Are you still there?');
      await waitForLines(alice, ['! nobody named "bob" in room kitchen']);
      assert.deepEqual(alice.errors, []);
      assert.deepEqual(bob.errors, []);
    } finally {
      await alice.context().close();
      await bob.context().close();
    }
  });

  test('a chat page whose connection is deleted rejoins with its name and room', T, async () => {
    const alice = await openPage(browser);
    const bob = await openPage(browser);
    try {
      const known = demo.acceptedIds('chat');
      await joinChat(alice, demo, 'al', 'porch');
      const aliceId = await demo.newConnectionId('chat', known);
      await joinChat(bob, demo, 'bob', 'porch');
      await waitForMembers(alice, ['al', 'bob']);
      // A name changed with setName is the one a reconnection introduces itself with.
      await alice.click('#rename');
      await alice.fill('#new-name', 'alice');
      await alice.click('#rename-form button[type=submit]');
      await waitForLines(bob, ['* al is now alice']);
      await waitForMembers(alice, ['alice', 'bob']);
      await expectText(alice.locator('#my-name'), 'alice');

      await demo.deleteConnection('chat', aliceId);
      await waitForLines(alice, ['~ Connection lost; reconnecting…']);
      await waitForLines(bob, ['* alice left']);
      await waitForLines(alice, ['~ Reconnected'], 10000);
      await expectText(alice.locator('#status'), 'connected');
      await waitForLines(bob, ['* alice joined']);
      await waitForMembers(alice, ['alice', 'bob']);
      await waitForMembers(bob, ['alice', 'bob']);
      await expectText(alice.locator('#room-title'), '# porch');

      await sendChat(alice, 'Back again.');
      await waitForLines(bob, ['alice: Back again.']);
      assert.deepEqual(alice.errors, []);
    } finally {
      await alice.context().close();
      await bob.context().close();
    }
  });

  // Last: it replaces the demo process.
  test('the counter survives a restart of the demo with the same data folder', T, async () => {
    const page = await openPage(browser);
    const fresh = await openPage(browser);
    try {
      await page.goto(`${demo.httpUrl}counter/`);
      await expectText(page.locator('#status'), 'connected');
      const start = Number(await expectText(page.locator('#value'), /^\d+$/));
      await page.click('#increment');
      await expectText(page.locator('#value'), String(start + 1));

      const { port } = demo;
      assert.deepEqual(await demo.stop(), { code: 0, signal: null });
      await expectText(page.locator('#status'), /^reconnecting in \d+s$/);
      assert.ok(existsSync(path.join(dataDir, 'counter.sqlite')), 'the count is in --data-dir');

      // Same port, so the open page can find it again on its own.
      demo = await startDemo({ dataDir, port });
      await fresh.goto(`${demo.httpUrl}counter/`);
      await expectText(fresh.locator('#status'), 'connected');
      await expectText(fresh.locator('#value'), String(start + 1));
      await expectText(page.locator('#status'), 'connected', 15000);
      await page.click('#increment');
      await expectText(fresh.locator('#value'), String(start + 2));
      await expectText(page.locator('#value'), String(start + 2));
      assert.deepEqual(page.errors, []);
    } finally {
      await page.context().close();
      await fresh.context().close();
    }
  });
});
