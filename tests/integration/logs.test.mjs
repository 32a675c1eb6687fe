// Logs a person reads (issue 20, item 3): one line per message with route, function, outcome,
// latency and sizes; --log-payloads shows bodies, cut; @connections calls at info; libwebsockets
// only at trace; no colors into a pipe; concurrent Python environments never interleave a line.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';

import { connect, request } from './support/client.mjs';
import { makeTempDir, startGateway } from './support/gateway.mjs';

const T = { timeout: 60000 };

const ECHO = `export const handler = async (event) => ({
  statusCode: 200, body: JSON.stringify({ id: event.requestContext.connectionId, got: event.body }),
});
`;

async function gatewayWith(files, functions, routes, args) {
  const dir = await makeTempDir();
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(dir, name), content);
  const file = path.join(dir, 'routes.json');
  await writeFile(file, JSON.stringify({ name: 'logs', stage: 'dev', functions, routes }));
  return startGateway({ routes: [], args: ['--routes', file, '--no-tls', '--dynamodb-in-memory', ...args], readyTimeoutMs: 20000 });
}

describe('event lines', () => {
  test('a message line has route, function, outcome, latency and sizes; --log-payloads shows bodies cut', T, async () => {
    const gateway = await gatewayWith({ 'echo.mjs': ECHO },
      { echo: { runtime: 'nodejs', handler: 'echo.handler' } },
      { $default: { function: 'echo', routeResponse: true } },
      ['--log-payloads=40']);
    const ws = await connect(gateway.wsUrl);
    const text = JSON.stringify({ action: 'say', text: 'x'.repeat(100) });
    const answer = await request(ws, text);
    const line = await gateway.waitForLine(/ info +message .*routeKey=\$default/);
    assert.match(line, /function=echo outcome=replied latencyMs=[\d.]+ bytesIn=126 bytesOut=\d+/);
    // Quoted as a text value is: its own quotes escaped.
    assert.match(line, / payload="\{\\"action\\":\\"say\\",\\"text\\":\\"x{16}… \(\+86 bytes\)"/);
    assert.match(line, / answer=/);
    assert.doesNotMatch(line, /\x1b\[/, 'no colors into a pipe');

    const { id } = JSON.parse(answer);
    const posted = await fetch(`${gateway.mgmtUrl}/@connections/${encodeURIComponent(id)}`, { method: 'POST', body: 'hello there' });
    assert.equal(posted.status, 200);
    assert.equal(await ws.nextMessage(), 'hello there');
    const management = await gateway.waitForLine(/ info +management .*method=POST/);
    assert.match(management, /outcome=200 bytes=11 payload="hello there"/);
    const got = await fetch(`${gateway.mgmtUrl}/@connections/${encodeURIComponent(id)}`);
    assert.equal(got.status, 200);
    await gateway.waitForLine(/ info +management .*method=GET .*outcome=200/);
    ws.close();
    await gateway.stop();
  });

  test('without --log-payloads no body is logged, and libwebsockets stays out of debug', T, async () => {
    const gateway = await gatewayWith({ 'echo.mjs': ECHO },
      { echo: { runtime: 'nodejs', handler: 'echo.handler' } },
      { $default: { function: 'echo', routeResponse: true } },
      ['--log-level', 'debug']);
    const ws = await connect(gateway.wsUrl);
    await request(ws, '{"secret":"s3cr3t"}');
    const line = await gateway.waitForLine(/ info +message /);
    assert.doesNotMatch(line, /payload=|answer=/);
    ws.close();
    await gateway.stop();
    assert.ok(!gateway.lines().some((l) => /s3cr3t/.test(l)), 'the body is in no line');
    assert.ok(!gateway.lines().some((l) => /libwebsockets/.test(l)), 'no libwebsockets line at debug');
  });

  test('--log-level trace adds libwebsockets lines at trace', T, async () => {
    const gateway = await gatewayWith({ 'echo.mjs': ECHO },
      { echo: { runtime: 'nodejs', handler: 'echo.handler' } },
      { $default: { function: 'echo', routeResponse: true } },
      ['--log-level', 'trace']);
    const ws = await connect(gateway.wsUrl);
    await request(ws, '{}');
    ws.close();
    await gateway.waitForLine(/ trace +libwebsockets /, 10000);
    await gateway.stop();
  });
});

describe('function output', () => {
  test("concurrent Python environments' long lines are never interleaved", T, async () => {
    const py = 'def lambda_handler(event, context):\n' +
      '    tag = event["body"]\n' +
      '    for _ in range(3):\n' +
      '        print(*([tag] * 300))\n' +
      '    return {"statusCode": 200, "body": tag}\n';
    const gateway = await gatewayWith({ 'app.py': py },
      { py: { runtime: 'python', handler: 'app.lambda_handler', concurrency: 4 } },
      { $default: { function: 'py', routeResponse: true } }, []);
    const clients = await Promise.all([0, 1, 2, 3].map(() => connect(gateway.wsUrl)));
    const tags = [];
    await Promise.all(clients.map(async (ws, c) => {
      for (let i = 0; i < 6; i += 1) {
        const tag = `tag${c}x${String(i).padStart(2, '0')}`;
        tags.push(tag);
        assert.equal(await request(ws, tag, 15000), tag);
      }
    }));
    const printed = () => gateway.lines().filter((line) => line.includes('[py] tag'));
    const deadline = Date.now() + 15000;
    while (printed().length < tags.length * 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));  // polls the condition
    }
    const lines = printed();
    assert.equal(lines.length, tags.length * 3, lines.map((l) => l.slice(0, 120)).join('\n'));
    for (const line of lines) {
      const words = line.slice(line.indexOf('[py] ') + 5).split(' ');
      assert.equal(words.length, 300, `a whole line: ${line.slice(0, 200)}`);
      assert.equal(new Set(words).size, 1, `one environment's line: ${line.slice(0, 200)}`);
    }
    for (const ws of clients) ws.close();
    await gateway.stop();
  });
});
