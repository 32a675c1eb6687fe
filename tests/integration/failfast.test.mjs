// Fail fast, say why (issue 20, item 1): --check and start-up find every handler before anything
// starts (file, export, program), Lambda's runtime names are accepted, a handler that cannot
// load is logged at error level, and typos get a "did you mean".
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';

import { connect, request } from './support/client.mjs';
import { makeTempDir, runGateway, startGateway } from './support/gateway.mjs';

const T = { timeout: 30000 };

// A project folder with `files` ({relative path: content}) and routes.json of `functions`.
async function project(files, functions) {
  const dir = await makeTempDir();
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  const routes = {
    name: 'failfast',
    stage: 'dev',
    functions,
    routes: { $default: { function: Object.keys(functions)[0], routeResponse: true } },
  };
  const file = path.join(dir, 'routes.json');
  await writeFile(file, JSON.stringify(routes, null, 2));
  return { dir, file, routes };
}

const ECHO_JS = 'export const handler = async (event) => ({ statusCode: 200, body: event.body });\n';
const ECHO_PY = 'def lambda_handler(event, context):\n    return {"statusCode": 200, "body": event["body"]}\n';

// Runs --check and then a real start on `file`; both must refuse with exit 2 and `pattern`.
async function refusedBoth(file, pattern) {
  const check = await runGateway(['--check', file]);
  assert.equal(check.timedOut, false);
  assert.equal(check.code, 2, `--check stderr: ${check.stderr}`);
  assert.match(check.stderr, pattern);
  const start = await runGateway(['--routes', file, '--port', '0', '--no-tls', '--dynamodb-in-memory']);
  assert.equal(start.timedOut, false, 'start-up must refuse, not serve');
  assert.equal(start.code, 2, `start stderr: ${start.stderr}`);
  assert.match(start.stderr, pattern);
  assert.match(start.stderr, /nothing was started/);
  return check.stderr;
}

describe('handlers are found before anything starts', () => {
  test('a missing Node.js handler file fails --check and start-up, naming what was looked for', T, async () => {
    const { file } = await project({ 'src/other.js': ECHO_JS }, {
      node: { runtime: 'nodejs', handler: 'src/app.handler' },
    });
    const stderr = await refusedBoth(file, /\$\.functions\.node\.handler: expected a file src\/app\.js, \.mjs, \.cjs or \.ts under .*, found none of them/);
    assert.equal(stderr.match(/expected/g).length, 1, stderr);
  });

  test('a handler file of the other language is named', T, async () => {
    const { file } = await project({ 'app.py': ECHO_PY }, {
      node: { runtime: 'nodejs', handler: 'app.handler' },
    });
    await refusedBoth(file, /found only app\.py there/);
  });

  test('a missing folder is named', T, async () => {
    const { file } = await project({ 'app.js': ECHO_JS }, {
      node: { runtime: 'nodejs', handler: 'lib/app.handler' },
    });
    await refusedBoth(file, /found no folder lib/);
  });

  test('a wrong export name lists what the ES module exports', T, async () => {
    const { file } = await project(
      { 'src/app.mjs': 'export const main = async () => ({});\nexport function helper() {}\n' },
      { node: { runtime: 'nodejs', handler: 'src/app.handler' } },
    );
    await refusedBoth(file, /expected an export "handler" in src\/app\.mjs .*found none: its exports are helper, main/);
  });

  test('a wrong export name lists what a CommonJS module exports', T, async () => {
    const { file } = await project(
      { 'app.js': 'const impl = {};\nimpl.onMessage = async () => ({});\nmodule.exports = impl;\n' },
      { node: { runtime: 'nodejs', handler: 'app.handler' } },
    );
    await refusedBoth(file, /expected an export "handler" in app\.js .*its exports are .*onMessage/);
  });

  test('a wrong export name in TypeScript lists its declared exports', T, async () => {
    const { file } = await project(
      { 'app.ts': 'export const onConnect = async (event: unknown) => ({ statusCode: 200 });\n' },
      { node: { runtime: 'nodejs', handler: 'app.handler' } },
    );
    await refusedBoth(file, /expected an export "handler" in app\.ts .*its exports are onConnect/);
  });

  test('a Python handler missing from its module lists what the module defines', T, async () => {
    const { file } = await project({ 'app.py': ECHO_PY }, {
      py: { runtime: 'python', handler: 'app.handler' },
    });
    await refusedBoth(file, /\$\.functions\.py\.handler: expected a top-level "handler" .* in app\.py, found none: it defines lambda_handler/);
  });

  test('a missing Python module and a syntax error are each reported', T, async () => {
    const { file } = await project({ 'bad.py': 'def lambda_handler(event, context)\n    return 1\n' }, {
      py: { runtime: 'python', handler: 'bad.lambda_handler' },
      gone: { runtime: 'python', handler: 'pkg/gone.lambda_handler' },
    });
    const stderr = await refusedBoth(file, /\$\.functions\.py\.handler: expected Python that parses in bad\.py, found a syntax error at line 1/);
    assert.match(stderr, /\$\.functions\.gone\.handler: expected a file pkg\/gone\.py \(or pkg\/gone\/__init__\.py\)/);
    assert.match(stderr, /2 problems found/);
  });

  test('a command that does not exist or is not executable fails at once', T, async () => {
    const { file } = await project({ 'tool.sh': '#!/bin/sh\nexit 0\n' }, {
      missing: { command: ['./bin/nowhere'] },
      plain: { command: ['./tool.sh'] },
      unknown: { command: ['wsgw-no-such-program'] },
    });
    const stderr = await refusedBoth(file, /\$\.functions\.missing\.command\[0\]: expected an executable file, found no file .*bin\/nowhere/);
    assert.match(stderr, /\$\.functions\.plain\.command\[0\]: expected an executable file, found .*tool\.sh, which is not an executable file/);
    assert.match(stderr, /\$\.functions\.unknown\.command\[0\]: expected a program beside wsgw-emulate or on PATH, found no program "wsgw-no-such-program"/);
  });

  test('handlers that do resolve pass --check (JS, CommonJS, TypeScript, Python, a package)', T, async () => {
    const { file } = await project(
      {
        'a.js': 'exports.handler = async () => ({});\n',
        'b.cjs': 'module.exports = { handler: async () => ({}) };\n',
        'c.ts': 'export async function handler(event: unknown) { return {}; }\n',
        'd/app.py': ECHO_PY,
        'e.mjs': 'const handler = async () => ({});\nexport { handler };\n',
      },
      {
        a: { runtime: 'nodejs', handler: 'a.handler' },
        b: { runtime: 'nodejs', handler: 'b.handler' },
        c: { runtime: 'nodejs', handler: 'c.handler' },
        d: { runtime: 'python', handler: 'd.app.lambda_handler' },
        e: { runtime: 'nodejs', handler: 'e.handler' },
      },
    );
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ok \(failfast, stage dev, 1 routes, 5 functions\)/);
  });
});

describe("Lambda's runtime names", () => {
  test('nodejs20.x and python3.12 are accepted and run', T, async () => {
    const { file, routes } = await project({ 'app.mjs': ECHO_JS, 'app.py': ECHO_PY }, {
      node: { runtime: 'nodejs20.x', handler: 'app.handler' },
      py: { runtime: 'python3.12', handler: 'app.lambda_handler' },
    });
    routes.routeSelectionExpression = '$request.body.to';
    routes.routes = {
      $default: { function: 'node', routeResponse: true },
      py: { function: 'py', routeResponse: true },
    };
    await writeFile(file, JSON.stringify(routes));
    const gateway = await startGateway({ routes: [], args: ['--routes', file, '--no-tls', '--dynamodb-in-memory'], readyTimeoutMs: 20000 });
    const ws = await connect(gateway.wsUrl);
    assert.equal(await request(ws, '{"to":"node"}'), '{"to":"node"}');
    assert.equal(await request(ws, '{"to":"py"}'), '{"to":"py"}');
    ws.close();
    await gateway.stop();
  });

  test('an unknown runtime names the accepted ones and the closest', T, async () => {
    const { file } = await project({ 'app.js': ECHO_JS }, {
      node: { runtime: 'nodejs20', handler: 'app.handler' },
      old: { runtime: 'nodejs12.x', handler: 'app.handler' },
    });
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /\$\.functions\.node\.runtime: expected "nodejs" or "python", or a Lambda runtime name such as "nodejs20\.x" \(nodejs18\.x to nodejs24\.x\) or "python3\.12", found "nodejs20" \(did you mean "nodejs(20\.x)?"\?\)/);
    assert.match(result.stderr, /\$\.functions\.old\.runtime: .*found "nodejs12\.x"/);
  });
});

describe('did you mean', () => {
  test('an unknown key in routes.json names the key meant', T, async () => {
    const { file, routes } = await project({ 'app.js': ECHO_JS }, {
      node: { runtime: 'nodejs', hander: 'app.handler' },
    });
    routes.limts = {};
    await writeFile(file, JSON.stringify(routes));
    const result = await runGateway(['--check', file]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /\$\.functions\.node\.hander: .*found an unknown key "hander" \(did you mean "handler"\?\)/);
    assert.match(result.stderr, /\$\.limts: .*found an unknown key "limts" \(did you mean "limits"\?\)/);
  });

  test('an unknown option names the option meant, and a far-off one gets no guess', T, async () => {
    const near = await runGateway(['--rotues', 'routes.json']);
    assert.equal(near.code, 2);
    assert.match(near.stderr, /unknown option '--rotues' \(did you mean '--routes'\?\)/);
    const far = await runGateway(['--frobnicate']);
    assert.equal(far.code, 2);
    assert.match(far.stderr, /unknown option '--frobnicate'\n/);
  });
});

describe('load errors', () => {
  test('a handler that throws while loading is logged at error level, past --log-level warn', T, async () => {
    const { file } = await project(
      { 'app.mjs': "export const handler = async () => ({});\nthrow new Error('config missing: TABLE_NAME');\n" },
      { node: { runtime: 'nodejs', handler: 'app.handler' } },
    );
    const gateway = await startGateway({ routes: [], args: ['--routes', file, '--no-tls', '--dynamodb-in-memory', '--log-level', 'warn'], readyTimeoutMs: 20000 });
    const line = await gateway.waitForLine(/cannot load handler/, 15000);
    assert.match(line, / error +\[node\] wsgw node host: cannot load handler/);
    await gateway.waitForLine(/ error +\[node\] .*config missing: TABLE_NAME/, 5000);
    await gateway.stop();
  });
});
