// Bounded resources: a client that sends but never reads its replies is closed (1008) instead of
// growing its queue; after 2,000 rapid connect/disconnect cycles and after 500 simultaneous
// senders the gateway's descriptors return to their baseline and its RSS to near it (RSS is not
// judged under ASan, whose quarantine holds freed memory on purpose).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import WebSocket from 'ws';

import { connect, request, withTimeout } from './support/client.mjs';
import { isEvent, startFunctionServer } from './support/function_server.mjs';
import { startGateway } from './support/gateway.mjs';
import { encodeFrame, rawWebSocket } from './support/raw_client.mjs';
import {
  assertDescriptorsBackTo,
  assertDisconnect,
  assertExactlyOneDisconnectEach,
  descriptorCounts,
} from './support/tracking.mjs';

const SANITIZED = process.env.WSGW_SANITIZED === '1' || process.env.WSGW_SANITIZED === 'true';
// How far RSS may stay above its baseline once everything is closed: allocator caches and the
// invoke client's pool, not anything per connection (2,000 connections' worth would be far more).
const RSS_SLACK_KB = 24 * 1024;

let functions;
let gateway;

before(async () => {
  functions = await startFunctionServer();
  gateway = await startGateway({
    routes: {
      name: 'resources',
      stage: 'dev',
      functions: {
        onConnect: { url: functions.url('connect') },
        onDisconnect: { url: functions.url('record') },
        echoer: { url: functions.url('echo') },
      },
      routes: {
        $connect: { function: 'onConnect' },
        $disconnect: { function: 'onDisconnect' },
        $default: { function: 'echoer', routeResponse: true },
      },
      limits: { maxFrameBytes: 131072, maxMessageBytes: 131072 },
    },
  });
});
after(async () => {
  await gateway?.stop();
  await functions?.close();
});

async function rssKb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]);
}

// Waits (bounded) for RSS to come back within the slack of `baseline`; the gateway trims its heap
// once it is idle.
async function assertRssBackTo(pid, baseline, timeoutMs = 10000) {
  if (SANITIZED) return null;
  const deadline = Date.now() + timeoutMs;
  let now = await rssKb(pid);
  while (now > baseline + RSS_SLACK_KB && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    now = await rssKb(pid);
  }
  assert.ok(now <= baseline + RSS_SLACK_KB, `RSS ${baseline} kB before, ${now} kB after`);
  return now;
}

const connectIdsTagged = (tag) => functions.received(
  (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag,
).map((r) => r.event.requestContext.connectionId);

describe('a client that never reads', () => {
  test('sending 100 KB messages without reading the replies: closed with 1008 once 4 MiB wait; 410 after; others unaffected', { timeout: 60000 }, async () => {
    const raw = await rawWebSocket(gateway.port, '/dev?tag=never-reads');
    const [connectionId] = connectIdsTagged('never-reads');
    raw.socket.pause();
    const frame = encodeFrame({ payload: 'r'.repeat(100 * 1024) });
    // Enough replies to fill the kernel's buffers and then the gateway's 4 MiB queue.
    for (let i = 0; i < 400 && !raw.socket.destroyed; i += 1) {
      if (!raw.socket.write(frame)) await withTimeout(new Promise((resolve) => raw.socket.once('drain', resolve)), 10000, 'no drain').catch(() => {});
      if (functions.received(isEvent('DISCONNECT', connectionId)).length > 0) break;
    }
    await assertDisconnect(functions, connectionId, 1008, 'Client is not reading its messages', 20000);
    await gateway.waitForLine(/client is not reading: closing it \(1008\)/, 2000);
    const gone = await fetch(`${gateway.mgmtUrl}/@connections/${encodeURIComponent(connectionId)}`, {
      method: 'POST', body: 'late', signal: AbortSignal.timeout(5000),
    });
    assert.equal(gone.status, 410);
    const other = await connect(gateway.wsUrl);
    assert.equal(await request(other, 'not held up'), 'not held up');
    other.close();
    raw.socket.destroy();
  });
});

describe('churn', () => {
  let baselineFds;
  let baselineRss;
  before(async () => {
    // Warm up: the invoke client's pool and lws's buffers exist before the baseline is taken.
    const warm = await Promise.all(Array.from({ length: 20 }, () => connect(`${gateway.wsUrl}?tag=warm`)));
    await Promise.all(warm.map((ws) => request(ws, 'warm')));
    for (const ws of warm) ws.close();
    await assertExactlyOneDisconnectEach(functions, connectIdsTagged('warm'), { timeoutMs: 10000 });
    baselineFds = await descriptorCounts(gateway.proc.pid, gateway.port);
    baselineRss = await rssKb(gateway.proc.pid);
  });

  test('2,000 rapid connect/disconnect cycles: one $disconnect each; descriptors and RSS back to baseline', { timeout: 180000 }, async (t) => {
    const tag = `cycles-${Date.now()}`;
    let opened = 0;
    for (let batch = 0; batch < 20; batch += 1) {
      await Promise.all(Array.from({ length: 100 }, async (_, i) => {
        const ws = new WebSocket(`${gateway.wsUrl}?tag=${tag}`);
        ws.on('error', () => {});
        await withTimeout(new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('close', () => reject(new Error('closed before opening')));
        }), 20000, 'no open');
        opened += 1;
        const closed = withTimeout(new Promise((resolve) => ws.once('close', resolve)), 20000, 'no close');
        if (i % 2 === 0) ws.close(1000, 'cycle');
        else ws.terminate();
        await closed;
      }));
    }
    assert.equal(opened, 2000);
    const ids = connectIdsTagged(tag);
    assert.equal(ids.length, 2000);
    await assertExactlyOneDisconnectEach(functions, ids, { timeoutMs: 30000 });
    await assertDescriptorsBackTo(gateway.proc.pid, gateway.port, baselineFds, 10000);
    const rss = await assertRssBackTo(gateway.proc.pid, baselineRss);
    const fds = await descriptorCounts(gateway.proc.pid, gateway.port);
    t.diagnostic(`client sockets ${baselineFds?.clientSockets} -> ${fds?.clientSockets}, ` +
      `other descriptors ${baselineFds?.other} -> ${fds?.other}, RSS ${baselineRss} -> ${rss} kB`);
  });

  test('500 simultaneous senders: every one answered; descriptors and RSS back to baseline', { timeout: 120000 }, async (t) => {
    const clients = await Promise.all(Array.from({ length: 500 }, () => connect(gateway.wsUrl, { timeoutMs: 20000 })));
    const payload = (i) => `sender ${i} ${'s'.repeat(1000)}`;
    const replies = await Promise.all(clients.map((ws, i) => request(ws, payload(i), 20000)));
    replies.forEach((reply, i) => assert.equal(reply, payload(i)));
    for (const ws of clients) ws.close();
    await Promise.all(clients.map((ws) => ws.waitClosed(20000)));
    await assertDescriptorsBackTo(gateway.proc.pid, gateway.port, baselineFds, 10000);
    const rss = await assertRssBackTo(gateway.proc.pid, baselineRss);
    const fds = await descriptorCounts(gateway.proc.pid, gateway.port);
    t.diagnostic(`client sockets ${baselineFds?.clientSockets} -> ${fds?.clientSockets}, ` +
      `other descriptors ${baselineFds?.other} -> ${fds?.other}, RSS ${baselineRss} -> ${rss} kB`);
  });
});
