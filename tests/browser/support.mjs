// Browser-test support: the real `wsgw-emulate --demo` and Debian's chromium driven by
// playwright-core (never a downloaded browser).
//
// startDemo() runs the demo on port 0 (or a given port) with a ready file, a data folder and JSON
// logs, from which tests learn the connection ids the pages got. Every demo still running when the
// test file ends is stopped (SIGTERM, then SIGKILL), so its handlers never outlive the test.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { collectLines, makeTempDir, WSGW_BIN } from '../integration/support/gateway.mjs';

export { makeTempDir };

export const CHROMIUM = process.env.WSGW_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const ARTIFACTS_DIR = fileURLToPath(new URL('./artifacts/', import.meta.url));

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// `args`: more Chromium switches (the TLS test's --ignore-certificate-errors-spki-list).
export async function launchBrowser({ args = [] } = {}) {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium not found at ${CHROMIUM}: run tests/install_deps.sh (or set WSGW_CHROMIUM)`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...args], timeout: 30000 });
}

// A fresh browser context (its own storage, like a separate person) with short default timeouts,
// and a page in it whose uncaught errors are collected in page.errors.
export async function openPage(browser, { viewport = { width: 1100, height: 760 } } = {}) {
  const context = await browser.newContext({ viewport });
  context.setDefaultTimeout(8000);
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (error) => page.errors.push(error.message));
  return page;
}

export async function screenshot(page, name) {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, name);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}

const liveDemos = new Set();
after(async () => {
  await Promise.all([...liveDemos].map((demo) => demo.stop().catch(() => {})));
});
process.on('exit', () => {
  for (const demo of liveDemos) demo.proc.kill('SIGKILL');
});

// Runs `wsgw-emulate --demo`; resolves once its ready file is written.
export async function startDemo({ dataDir, port = 0, readyTimeoutMs = 20000 } = {}) {
  if (!existsSync(WSGW_BIN)) {
    throw new Error(`wsgw-emulate binary not found at ${WSGW_BIN} (set WSGW_BIN or build it)`);
  }
  const dir = await makeTempDir();
  const readyFile = path.join(dir, 'ready.json');
  const args = ['--demo', '--port', String(port), '--ready-file', readyFile];
  args.push('--log-format', 'json');
  if (dataDir) args.push('--data-dir', dataDir);
  const proc = spawn(WSGW_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });

  const lines = [];
  const events = [];
  const waiters = new Set();
  for (const stream of [proc.stdout, proc.stderr]) {
    collectLines(stream, (line) => {
      lines.push(line);
      try {
        events.push(JSON.parse(line));
      } catch {
        return; // the plain "Demo pages: ..." banner
      }
      for (const waiter of waiters) waiter();
    });
  }
  let exitResult = null;
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      exitResult = { code, signal };
      resolve(exitResult);
      for (const waiter of waiters) waiter();
    });
  });
  const closed = new Promise((resolve) => proc.on('close', resolve));

  const demo = {
    proc,
    lines: () => [...lines],
    events: () => [...events],
    exited,
    // SIGTERM (the gateway then stops its handlers), SIGKILL if it is still there after 10 s.
    async stop() {
      if (!exitResult) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
      const result = await exited;
      clearTimeout(timer);
      await closed;
      liveDemos.delete(demo);
      return result;
    },
    // Ids of connections to `api` (its function name: chat or counter) the gateway accepted.
    acceptedIds(api) {
      return events
        .filter((e) => e.msg === 'connect' && e.function === api && /^accepted/.test(e.outcome))
        .map((e) => e.connectionId);
    },
    // Resolves with the id of a connection to `api` accepted and not in `known`. Exactly one new
    // connection is expected; several is an error, since the test could not tell them apart.
    async newConnectionId(api, known, timeoutMs = 8000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const fresh = demo.acceptedIds(api).filter((id) => !known.includes(id));
        if (fresh.length > 1) {
          throw new Error(`several new ${api} connections: ${fresh.join(', ')}`);
        }
        if (fresh.length === 1) return fresh[0];
        if (Date.now() > deadline || exitResult) {
          throw new Error(`no new ${api} connection within ${timeoutMs} ms:\n${lines.join('\n')}`);
        }
        await delay(20);
      }
    },
    // DELETE @connections/{id}: the gateway closes that connection (1000), as AWS does.
    async deleteConnection(api, id) {
      const response = await fetch(
        `${demo.httpUrl}${api}/@connections/${encodeURIComponent(id)}`,
        { method: 'DELETE', signal: AbortSignal.timeout(5000) },
      );
      if (!response.ok) throw new Error(`DELETE ${id}: HTTP ${response.status}`);
    },
  };
  liveDemos.add(demo);

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitResult) {
      await closed;
      liveDemos.delete(demo);
      throw new Error(
        `wsgw-emulate ${args.join(' ')} exited (${JSON.stringify(exitResult)}) before it was ` +
          `ready:\n${lines.join('\n')}`,
      );
    }
    if (existsSync(readyFile)) {
      demo.ready = JSON.parse(await readFile(readyFile, 'utf8'));
      break;
    }
    if (Date.now() > deadline) {
      await demo.stop();
      throw new Error(`the demo was not ready within ${readyTimeoutMs} ms:\n${lines.join('\n')}`);
    }
    await delay(25);
  }
  demo.port = demo.ready.port;
  demo.httpUrl = `http://127.0.0.1:${demo.port}/`;
  return demo;
}

// One raw HTTP/1.1 request, sent byte for byte (fetch and browsers normalize "/../" away).
// Resolves with the status code and the response text once the whole body (content-length) is in.
export function rawGet(port, target, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    const finish = (error, result) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(result);
    };
    const timer = setTimeout(() => {
      finish(new Error(`no complete answer to GET ${target} within ${timeoutMs} ms: ${received}`));
    }, timeoutMs);
    const check = (ended) => {
      const headEnd = received.indexOf('\r\n\r\n');
      if (headEnd < 0) {
        if (ended) finish(new Error(`not an HTTP answer to GET ${target}: ${received}`));
        return;
      }
      const head = received.subarray(0, headEnd).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(head);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head);
      const body = received.subarray(headEnd + 4);
      if (!status) return finish(new Error(`not an HTTP answer to GET ${target}: ${head}`));
      if ((length && body.length >= Number(length[1])) || ended) {
        finish(null, { status: Number(status[1]), head, body: body.toString('utf8') });
      }
    };
    socket.on('connect', () => {
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    });
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      check(false);
    });
    socket.on('end', () => check(true));
    socket.on('error', (error) => finish(error));
  });
}
