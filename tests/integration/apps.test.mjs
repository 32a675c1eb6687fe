// The reference apps (share/chat, share/counter) end to end: the real gateway starts the real
// chat-handler / counter-handler executables as `command` functions, real clients talk to them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { connect, withTimeout } from './support/client.mjs';
import { makeTempDir, startGateway, WSGW_BIN } from './support/gateway.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The handlers are built beside wsgw-emulate (build/bin); the gateway finds a bare command name
// on PATH, so the folder holding them goes first on it.
function handlersDir() {
  const candidates = [
    process.env.WSGW_HANDLERS_DIR,
    path.dirname(WSGW_BIN),
    path.join(REPO, 'build', 'bin'),
  ].filter(Boolean);
  const found = candidates.find((dir) => existsSync(path.join(dir, 'chat-handler')));
  if (!found) {
    throw new Error(
      `chat-handler not found in ${candidates.join(', ')} (build it, or set WSGW_HANDLERS_DIR)`,
    );
  }
  return found;
}

// Starts the gateway on share/APP/routes.json (copied to a temp folder, where TABLE_DB's relative
// path then lands), or with TABLE_DB replaced by `tableDb`.
async function startApp(app, { tableDb } = {}) {
  const routes = JSON.parse(await readFile(path.join(REPO, 'share', app, 'routes.json'), 'utf8'));
  if (tableDb) {
    for (const fn of Object.values(routes.functions)) fn.env = { ...fn.env, TABLE_DB: tableDb };
  }
  return startGateway({
    routes,
    env: { PATH: `${handlersDir()}${path.delimiter}${process.env.PATH}` },
    readyTimeoutMs: 20000,
  });
}

// Pids of the gateway's children running `command` (from /proc: no pgrep needed).
async function childPids(parentPid, command) {
  const pids = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = await readFile(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === parentPid && comm === command.slice(0, 15)) pids.push(Number(entry));
  }
  return pids;
}

async function waitFor(what, probe, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await delay(50);
  }
}

const parse = (message) => JSON.parse(message);

// Sends `payload` and resolves with the next message, as parsed JSON.
async function ask(ws, payload, timeoutMs = 5000) {
  ws.send(JSON.stringify(payload));
  return parse(await ws.nextMessage(timeoutMs));
}

// Asks for the member list and requires it to be the very next message: proves that nothing
// else was delivered to this client before.
async function expectNothingElseThenMembers(ws, members, who) {
  assert.deepEqual(await ask(ws, { action: 'getMembers' }), { members }, `${who}'s next message`);
}

describe('chat', { timeout: 60000 }, () => {
  test('rooms, names, public and private messages, all surviving a handler restart', async () => {
    const gateway = await startApp('chat');
    const url = (query) => `${gateway.wsUrl}?${query}`;

    const alice = await connect(url('room=lobby&name=alice'));
    await expectNothingElseThenMembers(alice, ['alice'], 'alice');

    // Without ?name= a connection is in the room but not a member until it sets a name.
    const bob = await connect(url('room=lobby'));
    await expectNothingElseThenMembers(alice, ['alice'], 'alice');
    await expectNothingElseThenMembers(bob, ['alice'], 'bob');
    bob.send(JSON.stringify({ action: 'setName', name: 'bob' }));
    for (const [ws, who] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ]) {
      assert.deepEqual(parse(await ws.nextMessage()), { systemMessage: 'bob joined' }, who);
      assert.deepEqual(parse(await ws.nextMessage()), { members: ['alice', 'bob'] }, who);
    }

    // The kitchen is another room: nothing crosses over.
    const carol = await connect(url('room=kitchen&name=carol'));
    const dave = await connect(url('room=kitchen&name=dave'));
    assert.deepEqual(parse(await carol.nextMessage()), { systemMessage: 'dave joined' });
    assert.deepEqual(parse(await carol.nextMessage()), { members: ['carol', 'dave'] });
    await expectNothingElseThenMembers(dave, ['carol', 'dave'], 'dave');

    alice.send(JSON.stringify({ action: 'sendPublic', message: 'hello' }));
    assert.deepEqual(parse(await alice.nextMessage()), { publicMessage: 'alice: hello' });
    assert.deepEqual(parse(await bob.nextMessage()), { publicMessage: 'alice: hello' });

    alice.send(JSON.stringify({ action: 'sendPrivate', to: 'bob', message: 'psst' }));
    assert.deepEqual(parse(await bob.nextMessage()), { privateMessage: 'alice: psst' });

    // A private message cannot leave its room.
    const refused = await ask(carol, { action: 'sendPrivate', to: 'bob', message: 'hi bob' });
    assert.match(refused.error, /bob/);

    await expectNothingElseThenMembers(alice, ['alice', 'bob'], 'alice');
    await expectNothingElseThenMembers(bob, ['alice', 'bob'], 'bob');
    await expectNothingElseThenMembers(carol, ['carol', 'dave'], 'carol');
    await expectNothingElseThenMembers(dave, ['carol', 'dave'], 'dave');

    // Kill the handler; the gateway restarts it, and the new process knows everything.
    const [oldPid] = await waitFor('the chat-handler process is found', async () => {
      const pids = await childPids(gateway.proc.pid, 'chat-handler');
      return pids.length === 1 ? pids : null;
    });
    process.kill(oldPid, 'SIGKILL');
    await waitFor('the gateway restarts chat-handler', async () => {
      const pids = await childPids(gateway.proc.pid, 'chat-handler');
      return pids.length === 1 && pids[0] !== oldPid;
    });
    // Until the new process listens, messages fail with the "Internal server error" frame.
    await waitFor(
      'chat-handler answers again',
      async () => {
        const reply = await ask(bob, { action: 'getMembers' });
        return reply.members !== undefined && reply;
      },
      15000,
    ).then((reply) => assert.deepEqual(reply, { members: ['alice', 'bob'] }));

    bob.send(JSON.stringify({ action: 'sendPublic', message: 'still here' }));
    assert.deepEqual(parse(await alice.nextMessage()), { publicMessage: 'bob: still here' });
    assert.deepEqual(parse(await bob.nextMessage()), { publicMessage: 'bob: still here' });
    dave.send(JSON.stringify({ action: 'sendPrivate', to: 'carol', message: 'psst' }));
    assert.deepEqual(parse(await carol.nextMessage()), { privateMessage: 'dave: psst' });

    // Renaming and leaving tell the room.
    bob.send(JSON.stringify({ action: 'setName', name: 'robert' }));
    assert.deepEqual(parse(await alice.nextMessage()), { systemMessage: 'bob is now robert' });
    assert.deepEqual(parse(await alice.nextMessage()), { members: ['alice', 'robert'] });
    bob.close(1000);
    assert.deepEqual(parse(await alice.nextMessage()), { systemMessage: 'robert left' });
    assert.deepEqual(parse(await alice.nextMessage()), { members: ['alice'] });
    await expectNothingElseThenMembers(carol, ['carol', 'dave'], 'carol');

    for (const ws of [alice, carol, dave]) ws.close(1000);
    await gateway.stop();
  });

  test('a message from a connection without a name is refused with an error', async () => {
    const gateway = await startApp('chat');
    const anonymous = await connect(gateway.wsUrl);
    const reply = await ask(anonymous, { action: 'sendPublic', message: 'hi' });
    assert.match(reply.error, /setName/);
    assert.match((await ask(anonymous, { action: 'setName', name: '' })).error, /name/);
    anonymous.close(1000);
    await gateway.stop();
  });
});

describe('counter', { timeout: 120000 }, () => {
  test('20 clients sending 50 increments each all see every value up to exactly 1000', async () => {
    const gateway = await startApp('counter');
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(gateway.wsUrl)));

    // Every increment is broadcast to every client, so each must see each value 1..1000 once.
    const seen = clients.map(() => []);
    const done = clients.map(
      (ws, index) =>
        new Promise((resolve) => {
          ws.on('message', (data) => {
            const update = parse(data.toString('utf8'));
            assert.equal(update.type, 'counter-update');
            seen[index].push(update.value);
            if (seen[index].length === 1000) resolve();
          });
        }),
    );
    for (const ws of clients) {
      for (let i = 0; i < 50; i++) ws.send(JSON.stringify({ action: 'increment' }));
    }
    await withTimeout(Promise.all(done), 90000, 'not every client saw 1000 updates');
    const expected = Array.from({ length: 1000 }, (_, i) => i + 1);
    for (const values of seen) {
      assert.deepEqual([...values].sort((a, b) => a - b), expected);
      assert.equal(values.at(-1), 1000, 'the last update a client receives is the final count');
    }

    // get-current answers everyone with the final value.
    const finals = clients.map(
      (ws) => new Promise((resolve) => ws.once('message', (data) => resolve(parse(data)))),
    );
    clients[0].send(JSON.stringify({ action: 'get-current' }));
    for (const update of await withTimeout(Promise.all(finals), 10000, 'no get-current answer')) {
      assert.deepEqual(update, { type: 'counter-update', value: 1000 });
    }

    for (const ws of clients) ws.close(1000);
    await gateway.stop();
  });

  test('the count survives restarting the gateway (it lives in TABLE_DB)', async () => {
    const tableDb = path.join(await makeTempDir(), 'counter.sqlite');
    const first = await startApp('counter', { tableDb });
    const ws = await connect(first.wsUrl);
    ws.send(JSON.stringify({ action: 'increment' }));
    assert.deepEqual(parse(await ws.nextMessage()), { type: 'counter-update', value: 1 });
    ws.send(JSON.stringify({ action: 'increment' }));
    assert.deepEqual(parse(await ws.nextMessage()), { type: 'counter-update', value: 2 });
    ws.close(1000);
    await first.stop();

    const second = await startApp('counter', { tableDb });
    const again = await connect(second.wsUrl);
    again.send(JSON.stringify({ action: 'get-current' }));
    assert.deepEqual(parse(await again.nextMessage()), { type: 'counter-update', value: 2 });
    again.close(1000);
    await second.stop();
  });
});
