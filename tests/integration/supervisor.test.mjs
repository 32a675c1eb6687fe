// The gateway's process supervisor (lambda-bridge/README.md): started functions get their
// environment, their output is relayed with their name, a function that cannot start stops the
// gateway with a clear reason, and no process outlives the gateway, even one killed by SIGKILL.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { connect, request } from './support/client.mjs';
import { runGateway, startGateway, writeRoutesFile } from './support/gateway.mjs';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const T = { timeout: 30000 };

function routesFor(functions) {
  return {
    name: 'supervised',
    stage: 'dev',
    functions,
    routes: { $default: { function: Object.keys(functions)[0], routeResponse: true } },
  };
}

// Every process below `pid`, found through /proc (ppid is field 4 of /proc/PID/stat).
function descendantsOf(pid) {
  const parentOf = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next = [];
    for (const [child, parent] of parentOf) if (frontier.includes(parent)) next.push(child);
    found.push(...next);
    frontier = next;
  }
  return found;
}

function alive(pid) {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(state);  // a zombie has exited already
  } catch {
    return false;
  }
}

async function allGone(pids, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (pids.every((pid) => !alive(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return pids.filter(alive);
}

describe('started functions', () => {
  test('get the Lambda environment, the management endpoint and their own env', T, async () => {
    const gateway = await startGateway({
      routes: routesFor({
        probe: {
          command: ['node', path.join(FIXTURES, 'functions/env_function.mjs')],
          timeoutMs: 4000,
          env: { USER_SETTING: 'from routes.json', AWS_REGION: 'eu-west-3' },
        },
      }),
      env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    });
    const ws = await connect(gateway.wsUrl);
    const env = JSON.parse(await request(ws, 'hello'));
    ws.close();
    assert.equal(env.AWS_LAMBDA_FUNCTION_NAME, 'probe');
    assert.equal(env.WSGW_FUNCTION_NAME, 'probe');
    assert.equal(env.AWS_LAMBDA_FUNCTION_TIMEOUT, '4');
    assert.equal(env.WSGW_MANAGEMENT_ENDPOINT, `http://127.0.0.1:${gateway.port}/dev`);
    assert.equal(env.WSGW_FUNCTION_HOST, '127.0.0.1');
    assert.match(env.WSGW_FUNCTION_PORT, /^\d+$/);
    assert.equal(env.USER_SETTING, 'from routes.json');
    assert.equal(env.AWS_REGION, 'eu-west-3', 'the function env overrides the defaults');
    assert.ok(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY, 'placeholder credentials');
    assert.equal(path.resolve(env.cwd), path.resolve(gateway.dir), 'runs in the routes file\'s folder');
    await gateway.waitForLine(/\[probe\] invoked for \$default/, 5000);
    await gateway.stop();
  });

  test('are all gone after SIGTERM, and the gateway exits 0', T, async () => {
    const gateway = await startGateway({
      routes: routesFor({
        echo: { command: ['node', path.join(FIXTURES, 'functions/echo_function.mjs')] },
      }),
    });
    const ws = await connect(gateway.wsUrl);
    assert.equal(await request(ws, 'ping'), 'ping');
    const children = descendantsOf(gateway.proc.pid);
    assert.ok(children.length >= 1, 'no function process found under the gateway');
    const result = await gateway.stop('SIGTERM');
    assert.deepEqual(result, { code: 0, signal: null });
    assert.equal(await allGone(children, 3000), true, 'function processes outlived the gateway');
  });

  test('die with the gateway when it is killed with SIGKILL, host workers included', T, async () => {
    const file = await writeRoutesFile({
      ...routesFor({ echo: { command: ['node', path.join(FIXTURES, 'functions/echo_function.mjs')] } }),
      functions: {
        echo: { command: ['node', path.join(FIXTURES, 'functions/echo_function.mjs')] },
        lambda: { runtime: 'nodejs', handler: 'app.handler' },
      },
      routes: {
        $default: { function: 'echo', routeResponse: true },
        lambda: { function: 'lambda', routeResponse: true },
      },
    });
    await writeFile(path.join(path.dirname(file), 'app.mjs'),
      'export const handler = async (event) => ({ statusCode: 200, body: "lambda:" + event.body });\n');
    const gateway = await startGateway({
      routes: [],
      args: ['--routes', file],
    });
    const ws = await connect(gateway.wsUrl);
    assert.equal(await request(ws, 'ping'), 'ping');
    const body = '{"action":"lambda"}';
    assert.equal(await request(ws, body), `lambda:${body}`);
    const children = descendantsOf(gateway.proc.pid);
    // The echo process, the Node.js host and at least one of its workers.
    assert.ok(children.length >= 3, `expected 3+ processes under the gateway, found ${children.length}`);
    const result = await gateway.stop('SIGKILL');
    assert.equal(result.signal, 'SIGKILL');
    assert.equal(await allGone(children, 3000), true, 'function processes outlived a SIGKILLed gateway');
  });

  test('a command that does not exist stops the start before anything runs (exit 2), naming the function', T, async () => {
    const file = await writeRoutesFile(routesFor({ ghost: { command: ['./no-such-handler'] } }));
    const { code, stderr } = await runGateway(['--routes', file, '--port', '0'], { timeoutMs: 20000 });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /\$\.functions\.ghost\.command\[0\]: expected an executable file, found no file .*no-such-handler/);
    assert.match(stderr, /nothing was started/);
  });

  test('a function that exits at once stops the start with its exit status and last words', T, async () => {
    const file = await writeRoutesFile(routesFor({
      quitter: { command: ['node', '-e', 'console.error("missing TABLE_DB"); process.exit(3)'] },
    }));
    const { code, stderr } = await runGateway(['--routes', file, '--port', '0'], { timeoutMs: 20000 });
    assert.equal(code, 1);
    assert.match(stderr, /function 'quitter' never became ready: its process exited with status 3/);
    assert.match(stderr, /missing TABLE_DB/);
  });

  test('a function that never listens stops the start after the wait, naming its port', T, async () => {
    const file = await writeRoutesFile(routesFor({
      deaf: { command: ['node', '-e', 'setInterval(() => {}, 1000)'] },
    }));
    const { code, stderr } = await runGateway(
      ['--routes', file, '--port', '0', '--function-start-timeout', '1500'],
      { timeoutMs: 20000 },
    );
    assert.equal(code, 1);
    assert.match(stderr, /function 'deaf' did not accept connections on port \d+ within 1500 ms/);
  });
});
