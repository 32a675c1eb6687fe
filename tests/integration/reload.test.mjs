// Live reload of the API definition (issue 20, item 2; docs/SPEC.md "Live reload"): editing
// routes.json or serverless.yml while clients are connected applies the new routes, functions
// and limits, open connections keep their connectionId and go on working, functions whose
// configuration changed are restarted, and an invalid edit keeps the old definition and logs
// every problem at error level.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';

import { connect, request } from './support/client.mjs';
import { makeTempDir, startGateway } from './support/gateway.mjs';

const T = { timeout: 60000 };

// Answers with who answered, its TAG variable, the connection and the route.
const handler = (name) => `export const handler = async (event) => ({
  statusCode: 200,
  body: JSON.stringify({ fn: '${name}', tag: process.env.TAG ?? null,
                         id: event.requestContext.connectionId, route: event.requestContext.routeKey }),
});
`;

async function projectDir(files) {
  const dir = await makeTempDir();
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

// Resolves once `regex` has matched `count` lines of the gateway's output in all.
async function waitForCount(gateway, regex, count, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const matching = gateway.lines().filter((line) => regex.test(line));
    if (matching.length >= count) return matching;
    if (Date.now() > deadline) {
      throw new Error(`${count} lines matching ${regex} expected; output:\n${gateway.lines().join('\n')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));  // polls the condition
  }
}

const RELOADED = /API definition reloaded/;

describe('routes.json', () => {
  test('an edit adds a route and a function without dropping open connections', T, async () => {
    const dir = await projectDir({ 'echo.mjs': handler('echo'), 'pong.mjs': handler('pong') });
    const file = path.join(dir, 'routes.json');
    const routes = {
      name: 'live', stage: 'dev',
      functions: { echo: { runtime: 'nodejs', handler: 'echo.handler', env: { TAG: 'one' } } },
      routes: { $default: { function: 'echo', routeResponse: true } },
    };
    await writeFile(file, JSON.stringify(routes, null, 2));
    const gateway = await startGateway({ routes: [], args: ['--routes', file, '--no-tls', '--dynamodb-in-memory'], readyTimeoutMs: 20000 });
    const ws = await connect(gateway.wsUrl);
    let closed = false;
    ws.on('close', () => { closed = true; });
    const first = JSON.parse(await request(ws, '{"action":"ping"}'));
    assert.deepEqual({ fn: first.fn, tag: first.tag, route: first.route }, { fn: 'echo', tag: 'one', route: '$default' });

    // A new route to a new function, and the old function's environment changed.
    routes.functions.pong = { runtime: 'nodejs', handler: 'pong.handler' };
    routes.functions.echo.env.TAG = 'two';
    routes.routes.ping = { function: 'pong', routeResponse: true };
    await writeFile(file, JSON.stringify(routes, null, 2));
    const [line] = await waitForCount(gateway, RELOADED, 1);
    assert.match(line, /functionsStarted=2 functionsStopped=1/);

    const pong = JSON.parse(await request(ws, '{"action":"ping"}'));
    assert.deepEqual({ fn: pong.fn, route: pong.route, id: pong.id }, { fn: 'pong', route: 'ping', id: first.id });
    const echo = JSON.parse(await request(ws, '{"action":"other"}'));
    assert.deepEqual({ fn: echo.fn, tag: echo.tag, id: echo.id }, { fn: 'echo', tag: 'two', id: first.id },
      'the changed function was restarted with its new environment');
    assert.equal(closed, false, 'the connection stayed open');

    // A route taken away: with no $default left, the message is Forbidden, as on AWS.
    routes.routes = { ping: { function: 'pong', routeResponse: true } };
    delete routes.functions.echo;
    await writeFile(file, JSON.stringify(routes, null, 2));
    const lines = await waitForCount(gateway, RELOADED, 2);
    assert.match(lines[1], /functionsStarted=0 functionsStopped=1 functionsKept=1/);
    const forbidden = JSON.parse(await request(ws, '{"action":"other"}'));
    assert.equal(forbidden.message, 'Forbidden');
    assert.equal(JSON.parse(await request(ws, '{"action":"ping"}')).fn, 'pong');
    ws.close();
    await gateway.stop();
  });

  test('an invalid edit logs every problem at error level and keeps the old definition', T, async () => {
    const dir = await projectDir({ 'echo.mjs': handler('echo') });
    const file = path.join(dir, 'routes.json');
    const routes = {
      name: 'live', stage: 'dev',
      functions: { echo: { runtime: 'nodejs', handler: 'echo.handler' } },
      routes: { $default: { function: 'echo', routeResponse: true } },
    };
    await writeFile(file, JSON.stringify(routes, null, 2));
    const gateway = await startGateway({ routes: [], args: ['--routes', file, '--no-tls', '--dynamodb-in-memory'], readyTimeoutMs: 20000 });
    const ws = await connect(gateway.wsUrl);
    const before = JSON.parse(await request(ws, '{"action":"x"}'));

    const broken = structuredClone(routes);
    broken.routes.ping = { function: 'nowhere' };
    broken.functions.echo.hander = 'x';
    await writeFile(file, JSON.stringify(broken, null, 2));
    const [summary] = await waitForCount(gateway, /problems; still serving the definition loaded before/, 1);
    assert.match(summary, / error +.*routes\.json: 2 problems; still serving/);
    const problems = gateway.lines().filter((line) => / error +.*routes\.json: \$\./.test(line));
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.ok(problems.some((line) => /\$\.routes\.ping\.function: expected the name of a function/.test(line)));
    assert.ok(problems.some((line) => /\$\.functions\.echo\.hander: .*did you mean "handler"/.test(line)));
    const after = JSON.parse(await request(ws, '{"action":"ping"}'));
    assert.deepEqual({ fn: after.fn, route: after.route, id: after.id }, { fn: 'echo', route: '$default', id: before.id });

    // Not JSON at all (a half-saved file is the same to wsgw): kept too.
    await writeFile(file, '{"name": "live", ');
    await waitForCount(gateway, /problem; still serving the definition loaded before/, 1);
    // A handler file that does not exist: kept, and the problem says what was looked for.
    broken.functions = { echo: { runtime: 'nodejs', handler: 'missing.handler' } };
    broken.routes = { $default: { function: 'echo', routeResponse: true } };
    await writeFile(file, JSON.stringify(broken, null, 2));
    await waitForCount(gateway, / error +.*\$\.functions\.echo\.handler: expected a file missing\.js/, 1);
    assert.equal(JSON.parse(await request(ws, '{"action":"x"}')).fn, 'echo');

    // Fixed again: served, and the connection is the same one.
    routes.routes.ping = { function: 'echo', routeResponse: true };
    await writeFile(file, JSON.stringify(routes, null, 2));
    await waitForCount(gateway, RELOADED, 1);
    const fixed = JSON.parse(await request(ws, '{"action":"ping"}'));
    assert.deepEqual({ route: fixed.route, id: fixed.id }, { route: 'ping', id: before.id });
    ws.close();
    await gateway.stop();
  });

  test('new limits apply to connections opened after the edit', T, async () => {
    const dir = await projectDir({ 'echo.mjs': handler('echo') });
    const file = path.join(dir, 'routes.json');
    const routes = {
      name: 'live', stage: 'dev',
      functions: { echo: { runtime: 'nodejs', handler: 'echo.handler' } },
      routes: { $default: { function: 'echo', routeResponse: true } },
    };
    await writeFile(file, JSON.stringify(routes, null, 2));
    const gateway = await startGateway({ routes: [], args: ['--routes', file, '--no-tls', '--dynamodb-in-memory'], readyTimeoutMs: 20000 });
    const big = JSON.stringify({ action: 'x', pad: 'p'.repeat(3000) });
    const early = await connect(gateway.wsUrl);
    assert.equal(JSON.parse(await request(early, big)).fn, 'echo');
    routes.limits = { maxMessageBytes: 1024, maxFrameBytes: 1024 };
    await writeFile(file, JSON.stringify(routes, null, 2));
    await waitForCount(gateway, RELOADED, 1);
    const late = await connect(gateway.wsUrl);
    const code = await new Promise((resolve) => {
      late.on('close', (closeCode) => resolve(closeCode));
      late.send(big);
    });
    assert.equal(code, 1009);
    early.close();
    await gateway.stop();
  });
});

describe('serverless.yml', () => {
  test('an edit of the imported project file applies its new route', T, async () => {
    const dir = await projectDir({ 'src/echo.mjs': handler('echo'), 'src/pong.mjs': handler('pong') });
    const file = path.join(dir, 'serverless.yml');
    const yaml = (extra) => `service: live
provider:
  name: aws
  runtime: nodejs20.x
functions:
  echo:
    handler: src/echo.handler
    events:
      - websocket:
          route: $default
          routeResponseSelectionExpression: $default
${extra}`;
    await writeFile(file, yaml(''));
    const gateway = await startGateway({ routes: [], args: ['--config', file, '--no-tls', '--dynamodb-in-memory'], readyTimeoutMs: 20000 });
    const ws = await connect(gateway.ready.websocketUrl);
    const first = JSON.parse(await request(ws, '{"action":"ping"}'));
    assert.deepEqual({ fn: first.fn, route: first.route }, { fn: 'echo', route: '$default' });
    await writeFile(file, yaml(`  pong:
    handler: src/pong.handler
    events:
      - websocket:
          route: ping
          routeResponseSelectionExpression: $default
`));
    await waitForCount(gateway, RELOADED, 1);
    const pong = JSON.parse(await request(ws, '{"action":"ping"}'));
    assert.equal(pong.fn, 'pong');
    assert.equal(pong.route, 'ping');
    assert.equal(pong.id, first.id);
    ws.close();
    await gateway.stop();
  });
});
