// The command line and routes.json: validation, error messages, exit codes, the ready file.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { connect, request } from './support/client.mjs';
import { startFunctionServer } from './support/function_server.mjs';
import { runGateway, startGateway, writeRoutesFile } from './support/gateway.mjs';

const T = { timeout: 20000 };
const ECHO_URL = 'http://127.0.0.1:9/2015-03-31/functions/echo/invocations';

// FILE: JSONPATH: expected X, found Y
const PROBLEM_LINE = /^(.+): (\$[^:]*): expected (.+), found (.+)$/;

function problemLines(stderr, file) {
  return stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${file}: `) && PROBLEM_LINE.test(line));
}

const validRoutes = () => ({
  name: 'chat',
  stage: 'dev',
  functions: { echo: { url: ECHO_URL } },
  routes: {
    $connect: { function: 'echo' },
    $default: { function: 'echo', routeResponse: true },
    sendPublic: { function: 'echo' },
  },
});

describe('--check', () => {
  test('accepts a valid routes file with exit code 0', T, async () => {
    const file = await writeRoutesFile(validRoutes());
    const result = await runGateway(['--check', file]);
    assert.equal(result.timedOut, false);
    assert.equal(result.code, 0, `stderr: ${result.stderr}`);
  });

  test('accepts a file using every optional key (limits, timeoutMs, selection expression)', T, async () => {
    const file = await writeRoutesFile({
      ...validRoutes(),
      routeSelectionExpression: '${request.body.service}/${request.body.action}',
      functions: { echo: { url: ECHO_URL, timeoutMs: 1000 } },
      limits: {
        maxMessageBytes: 131072,
        maxFrameBytes: 32768,
        idleTimeoutSeconds: 600,
        maxConnectionSeconds: 7200,
        integrationTimeoutMs: 29000,
      },
    });
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 0, `stderr: ${result.stderr}`);
  });

  test('reports a bad authorizer (off $connect, unknown function, unsupported source), exits 2', T, async () => {
    const routes = validRoutes();
    routes.routes.$connect.authorizer = {
      function: 'auth',
      identitySource: ['route.request.header.Authorization', 'stageVariables.key'],
    };
    routes.routes.sendPublic.authorizer = { function: 'echo' };
    const file = await writeRoutesFile(routes);
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2, `stderr: ${result.stderr}`);
    const lines = problemLines(result.stderr, file);
    assert.deepEqual(
      lines.map((line) => line.match(PROBLEM_LINE)[2]),
      [
        '$.routes.$connect.authorizer.function',
        '$.routes.$connect.authorizer.identitySource[1]',
        '$.routes.sendPublic.authorizer',
      ],
      result.stderr,
    );
    assert.match(result.stderr, /not supported by wsgw/);
    assert.match(result.stderr, /authorizer only on \$connect/);

    routes.routes.$connect.authorizer.function = 'echo';
    routes.routes.$connect.authorizer.identitySource = ['route.request.querystring.token'];
    delete routes.routes.sendPublic.authorizer;
    const valid = await runGateway(['--check', await writeRoutesFile(routes)]);
    assert.equal(valid.code, 0, `stderr: ${valid.stderr}`);
  });

  test('reports every problem with file, JSON path, expected and found, then exits 2', T, async () => {
    const routes = validRoutes();
    routes.colour = 'blue';
    routes.routes.sendPublic.function = 'nope';
    routes.routeSelectionExpression = '$request.body.';
    const file = await writeRoutesFile(routes);

    const result = await runGateway(['--check', file]);

    assert.equal(result.code, 2, `stderr: ${result.stderr}`);
    const lines = problemLines(result.stderr, file);
    assert.equal(lines.length, 3, `expected 3 problem lines, stderr was:\n${result.stderr}`);
    const paths = lines.map((line) => PROBLEM_LINE.exec(line)[2]);
    assert.deepEqual(
      new Set(paths),
      new Set(['$.colour', '$.routes.sendPublic.function', '$.routeSelectionExpression']),
    );
    const missingFunction = lines.find((line) => line.includes('$.routes.sendPublic.function'));
    assert.match(missingFunction, /: expected the name of a function in \$\.functions.*echo.*, found "nope"$/);
  });

  test('rejects a route that names a function missing from $.functions', T, async () => {
    const routes = validRoutes();
    routes.routes.$default.function = 'missing';
    const file = await writeRoutesFile(routes);
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2);
    const lines = problemLines(result.stderr, file);
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], /\$\.routes\.\$default\.function: expected .*, found "missing"$/);
  });

  test('rejects a custom route key that starts with $', T, async () => {
    const routes = validRoutes();
    routes.routes.$custom = { function: 'echo' };
    const file = await writeRoutesFile(routes);
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2);
    const lines = problemLines(result.stderr, file);
    assert.equal(lines.length, 1, result.stderr);
    assert.ok(lines[0].includes('$custom'), lines[0]);
    assert.match(PROBLEM_LINE.exec(lines[0])[2], /^\$\.routes/);
  });

  test('rejects unknown keys inside a function and inside a route', T, async () => {
    const routes = validRoutes();
    routes.functions.echo.timeout = 5;
    routes.routes.sendPublic.reply = true;
    const file = await writeRoutesFile(routes);
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2);
    const paths = problemLines(result.stderr, file).map((line) => PROBLEM_LINE.exec(line)[2]);
    assert.deepEqual(new Set(paths), new Set(['$.functions.echo.timeout', '$.routes.sendPublic.reply']));
  });

  for (const expression of ['${request.body.action', '$request.body.', '$request.header.action']) {
    test(`rejects the route selection expression ${JSON.stringify(expression)}`, T, async () => {
      const routes = validRoutes();
      routes.routeSelectionExpression = expression;
      const file = await writeRoutesFile(routes);
      const result = await runGateway(['--check', file]);
      assert.equal(result.code, 2, `exit ${result.code}, stderr: ${result.stderr}`);
      const lines = problemLines(result.stderr, file);
      assert.equal(lines.length, 1, result.stderr);
      assert.equal(PROBLEM_LINE.exec(lines[0])[2], '$.routeSelectionExpression');
      assert.ok(lines[0].includes(JSON.stringify(expression)), `the line should quote the expression: ${lines[0]}`);
    });
  }

  test('rejects wrongly typed values (routeResponse not a boolean, timeoutMs a string)', T, async () => {
    const routes = validRoutes();
    routes.routes.$default.routeResponse = 'yes';
    routes.functions.echo.timeoutMs = '1000';
    const file = await writeRoutesFile(routes);
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2);
    const paths = problemLines(result.stderr, file).map((line) => PROBLEM_LINE.exec(line)[2]);
    assert.deepEqual(
      new Set(paths),
      new Set(['$.routes.$default.routeResponse', '$.functions.echo.timeoutMs']),
    );
  });

  test('names the file when it is not JSON', T, async () => {
    const file = await writeRoutesFile('{"functions": {', 'broken.json');
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2);
    assert.ok(result.stderr.includes(file), `stderr should name ${file}: ${result.stderr}`);
  });

  test('names the file when it does not exist', T, async () => {
    const file = '/nonexistent/wsgw/routes.json';
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2);
    assert.ok(result.stderr.includes(file), `stderr should name ${file}: ${result.stderr}`);
  });
});

describe('serving with a bad routes file', () => {
  test('exits 2 with every problem instead of starting', T, async () => {
    const routes = validRoutes();
    routes.colour = 'blue';
    routes.routes.sendPublic.function = 'nope';
    const file = await writeRoutesFile(routes);
    const result = await runGateway(['--routes', file, '--port', '0'], { timeoutMs: 5000 });
    assert.equal(result.timedOut, false, 'the gateway started serving a bad routes file');
    assert.equal(result.code, 2);
    const paths = problemLines(result.stderr, file).map((line) => PROBLEM_LINE.exec(line)[2]);
    assert.deepEqual(new Set(paths), new Set(['$.colour', '$.routes.sendPublic.function']));
  });

  test('refuses two routes files with the same stage', T, async () => {
    const first = await writeRoutesFile(validRoutes());
    const second = await writeRoutesFile({ ...validRoutes(), name: 'other' });
    const result = await runGateway(['--routes', first, '--routes', second, '--port', '0'], { timeoutMs: 5000 });
    assert.equal(result.timedOut, false, 'the gateway started with two APIs on one stage');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /dev/, `the message should name the clashing stage: ${result.stderr}`);
  });
});

describe('command-line arguments', () => {
  const badArgs = [
    ['an unknown option', ['--bogus'], '--bogus'],
    ['a non-numeric port', ['--port', 'http'], 'http'],
    ['an unknown log format', ['--log-format', 'xml'], 'xml'],
    ['an unknown log level', ['--log-level', 'loud'], 'loud'],
    ['an option without its value', ['--port'], '--port'],
  ];
  for (const [what, extra, mention] of badArgs) {
    test(`exits 2 with a message naming ${what}`, T, async () => {
      const file = await writeRoutesFile(validRoutes());
      const result = await runGateway(['--routes', file, ...extra], { timeoutMs: 5000 });
      assert.equal(result.timedOut, false, 'the gateway started despite bad arguments');
      assert.equal(result.code, 2, `stderr: ${result.stderr}`);
      assert.ok(result.stderr.includes(mention), `stderr should mention ${mention}: ${result.stderr}`);
    });
  }

  test('exits 2 when neither --routes nor --demo nor --check is given', T, async () => {
    const result = await runGateway([], { timeoutMs: 5000 });
    assert.equal(result.timedOut, false);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--routes/);
  });

  test('--help prints the usage and exits 0', T, async () => {
    const result = await runGateway(['--help']);
    assert.equal(result.code, 0);
    for (const option of ['--routes', '--port', '--stage', '--ready-file', '--check', '--log-format']) {
      assert.ok(result.stdout.includes(option), `--help should mention ${option}`);
    }
  });

  test('--version prints a version number and exits 0', T, async () => {
    const result = await runGateway(['--version']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /\d+\.\d+\.\d+/);
  });

  test('exits 1 naming the port when the port is already in use', T, async () => {
    const blocker = net.createServer();
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address();
    try {
      const file = await writeRoutesFile(validRoutes());
      const result = await runGateway(['--routes', file, '--port', String(port)], { timeoutMs: 5000 });
      assert.equal(result.timedOut, false, 'the gateway kept running on a port already in use');
      assert.equal(result.code, 1, `stderr: ${result.stderr}`);
      assert.ok(result.stderr.includes(String(port)), `stderr should name port ${port}: ${result.stderr}`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('startup', () => {
  let functions;
  before(async () => {
    functions = await startFunctionServer();
  });
  after(() => functions?.close());

  const api = (stage) => ({
    name: `api-${stage ?? 'default'}`,
    ...(stage ? { stage } : {}),
    functions: { echo: { url: functions.url('echo') } },
    routes: { $default: { function: 'echo', routeResponse: true } },
  });

  test('writes the ready file with the port and the URLs of the API', T, async (t) => {
    const gateway = await startGateway({ routes: api('dev') });
    t.after(() => gateway.stop());
    const { ready } = gateway;
    assert.ok(Number.isInteger(ready.port) && ready.port > 0, `port: ${ready.port}`);
    assert.equal(ready.websocketUrl, `ws://127.0.0.1:${ready.port}/dev`);
    assert.equal(ready.managementEndpoint, `http://127.0.0.1:${ready.port}/dev`);
    assert.deepEqual(ready.apis, [
      {
        name: 'api-dev',
        stage: 'dev',
        websocketUrl: `ws://127.0.0.1:${ready.port}/dev`,
        managementEndpoint: `http://127.0.0.1:${ready.port}/dev`,
        secureWebsocketUrl: `wss://127.0.0.1:${ready.port}/dev`,
        secureManagementEndpoint: `https://127.0.0.1:${ready.port}/dev`,
      },
    ]);
  });

  test('prints the WebSocket URL and the management endpoint on stdout', T, async (t) => {
    const gateway = await startGateway({ routes: api('dev') });
    t.after(() => gateway.stop());
    const has = (text) => gateway.stdoutLines().some((line) => line.includes(text));
    await gateway.waitForLine(new RegExp(gateway.wsUrl.replace(/[.]/g, '\\.')));
    assert.ok(has(gateway.wsUrl), `stdout: ${gateway.stdoutLines().join('\n')}`);
    assert.ok(has(gateway.mgmtUrl), `stdout: ${gateway.stdoutLines().join('\n')}`);
  });

  test('uses the stage "local" when routes.json names none', T, async (t) => {
    const gateway = await startGateway({ routes: api(undefined) });
    t.after(() => gateway.stop());
    assert.equal(gateway.wsUrl, `ws://127.0.0.1:${gateway.port}/local`);
    const ws = await connect(gateway.wsUrl);
    assert.equal(await request(ws, 'ping'), 'ping');
    ws.close();
  });

  test('--stage overrides the stage of routes.json', T, async (t) => {
    const gateway = await startGateway({ routes: api('dev'), args: ['--stage', 'qa'] });
    t.after(() => gateway.stop());
    assert.equal(gateway.wsUrl, `ws://127.0.0.1:${gateway.port}/qa`);
    const ws = await connect(gateway.wsUrl);
    assert.equal(await request(ws, 'hello qa'), 'hello qa');
    ws.close();
  });

  test('serves two routes files on one port, each under its own stage', T, async (t) => {
    const first = api('one');
    const second = api('two');
    functions.behaviours.set('upper', async (event) => ({
      body: { statusCode: 200, body: String(event.body).toUpperCase() },
    }));
    second.functions = { upper: { url: functions.url('upper') } };
    second.routes = { $default: { function: 'upper', routeResponse: true } };
    const gateway = await startGateway({ routes: [first, second] });
    t.after(() => gateway.stop());

    const { port, apis } = gateway.ready;
    assert.deepEqual(
      apis.map((a) => [a.name, a.stage, a.websocketUrl]),
      [
        ['api-one', 'one', `ws://127.0.0.1:${port}/one`],
        ['api-two', 'two', `ws://127.0.0.1:${port}/two`],
      ],
    );
    assert.equal(gateway.wsUrl, `ws://127.0.0.1:${port}/one`);
    const one = await connect(apis[0].websocketUrl);
    const two = await connect(apis[1].websocketUrl);
    assert.equal(await request(one, 'hi'), 'hi');
    assert.equal(await request(two, 'hi'), 'HI');
    one.close();
    two.close();
  });
});
