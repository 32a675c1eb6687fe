// Connections whose connectionId the test knows, and the bookkeeping every lifecycle test needs:
// "did this connection get exactly one $disconnect, and what did it say?".
import assert from 'node:assert/strict';
import { readdir, readFile, readlink } from 'node:fs/promises';

import { connect } from './client.mjs';
import { isEvent } from './function_server.mjs';

let tagCounter = 0;

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Opens `url` with a unique ?tag= (the $connect function must be the test function server's,
// e.g. its `connect` or `record` behaviour) and resolves with {ws, connectionId, tag, openedAt}.
export async function openTagged(functions, url, { query = '', ...options } = {}) {
  const tag = `t${process.pid}-${++tagCounter}`;
  const separator = url.includes('?') ? '&' : '?';
  const ws = await connect(`${url}${separator}tag=${tag}${query ? `&${query}` : ''}`, options);
  const openedAt = Date.now();
  const record = await functions.waitForEvent(
    (r) => isEvent('CONNECT')(r) && r.event.queryStringParameters?.tag === tag,
    5000,
  );
  return { ws, connectionId: record.event.requestContext.connectionId, tag, openedAt };
}

// Resolves with the requestContext of the connection's $disconnect event.
export async function disconnectOf(functions, connectionId, timeoutMs = 5000) {
  const record = await functions.waitForEvent(isEvent('DISCONNECT', connectionId), timeoutMs);
  return record.event.requestContext;
}

// Asserts that the connection's $disconnect said {code, reason}.
export async function assertDisconnect(functions, connectionId, code, reason, timeoutMs = 5000) {
  const context = await disconnectOf(functions, connectionId, timeoutMs);
  assert.equal(context.disconnectStatusCode, code, `disconnectStatusCode of ${connectionId}`);
  if (reason !== undefined) {
    assert.equal(context.disconnectReason, reason, `disconnectReason of ${connectionId}`);
  }
  return context;
}

// connectionId -> number of $disconnect events received for it.
export function disconnectCounts(functions) {
  const counts = new Map();
  for (const record of functions.received(isEvent('DISCONNECT'))) {
    const id = record.event.requestContext.connectionId;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

// Waits until every id has at least one $disconnect (or timeoutMs passes), lets late duplicates
// arrive for settleMs, then asserts exactly one each. Returns the counts.
export async function assertExactlyOneDisconnectEach(functions, ids, { timeoutMs = 10000, settleMs = 500 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = disconnectCounts(functions);
    if (ids.every((id) => counts.has(id)) || Date.now() > deadline) break;
    await delay(50);
  }
  await delay(settleMs);
  const counts = disconnectCounts(functions);
  const wrong = ids.filter((id) => counts.get(id) !== 1).map((id) => `${id}: ${counts.get(id) ?? 0}`);
  assert.deepEqual(wrong, [], `connections without exactly one $disconnect (of ${ids.length})`);
  return counts;
}

// The gateway's descriptors by kind (Linux): `clientSockets` are TCP sockets on the gateway's own
// port other than the listener (accepted connections, open or closing); `otherSockets` are its
// remaining sockets (e.g. kept-alive connections to functions, bounded by the invoke client's
// pool); `other` is everything else (pipes, eventfds, files). Null where /proc is unavailable.
export async function descriptorCounts(pid, gatewayPort) {
  let fds;
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const localPortByInode = new Map();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = await readFile(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const localPort = parseInt(fields[1].split(':')[1], 16);
      const listening = fields[3] === '0A';
      localPortByInode.set(fields[9], listening ? -1 : localPort);
    }
  }
  const counts = { clientSockets: 0, otherSockets: 0, other: 0 };
  for (const fd of fds) {
    let target;
    try {
      target = await readlink(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;  // closed meanwhile
    }
    const socket = /^socket:\[(\d+)\]$/.exec(target);
    if (!socket) counts.other += 1;
    else if (localPortByInode.get(socket[1]) === gatewayPort) counts.clientSockets += 1;
    else counts.otherSockets += 1;
  }
  return counts;
}

// Asserts that the gateway's client sockets (and non-socket descriptors) come back to `before`
// (a descriptorCounts() reading) within timeoutMs. The invoke client's keep-alive pool to the
// functions may grow, but only up to its cap of 64 connections.
export async function assertDescriptorsBackTo(pid, gatewayPort, before, timeoutMs = 5000) {
  if (before === null) return;  // no /proc
  const deadline = Date.now() + timeoutMs;
  let now = await descriptorCounts(pid, gatewayPort);
  while ((now.clientSockets > before.clientSockets || now.other > before.other) && Date.now() < deadline) {
    await delay(100);
    now = await descriptorCounts(pid, gatewayPort);
  }
  assert.ok(now.clientSockets <= before.clientSockets,
    `client sockets: ${before.clientSockets} before, ${now.clientSockets} after`);
  assert.ok(now.other <= before.other, `other descriptors: ${before.other} before, ${now.other} after`);
  assert.ok(now.otherSockets <= before.otherSockets + 64,
    `other sockets: ${before.otherSockets} before, ${now.otherSockets} after`);
}
