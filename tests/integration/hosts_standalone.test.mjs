// lambda-bridge's Node.js and Python hosts on their own, without a gateway: each is started with
// the environment the gateway gives a `runtime` function (lambda-bridge/README.md) and driven
// through the Lambda Invoke API, as the gateway drives it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { before, describe, test } from 'node:test';

import { editFile, makeProject, startHost } from './support/hosts.mjs';

const T = { timeout: 30000 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_TIME = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z';
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function assertOk(response) {
  assert.equal(response.status, 200, response.text);
  assert.equal(
    response.headers.get('x-amz-function-error'),
    null,
    `a function error: ${response.text}`,
  );
  assert.equal(response.headers.get('x-amz-executed-version'), '$LATEST');
  return response.json;
}

function assertFunctionError(response) {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('x-amz-function-error'), 'Unhandled', response.text);
  return response.json;
}

// Whether a process id is still running (an exited process nobody has reaped yet is not).
function isRunning(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}

async function waitUntilGone(pids, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(isRunning) && Date.now() < deadline) await delay(50);
  return pids.filter(isRunning);
}

// The same checks for both hosts, in each runtime's own words.
const RUNTIMES = [
  {
    runtime: 'nodejs',
    title: 'Node.js host',
    fixtures: { app: 'node/basic', broken: 'node/broken' },
    contextHandler: 'app/src/handlers/context.handler',
    slowEvent: (ms) => ({ sleepMs: ms }),
    syntaxErrorHandler: 'broken/syntax_error.handler',
    syntaxErrorMessage: /^SyntaxError: /,
    syntaxErrorLocation: /syntax_error\.mjs:\d+/,
    missingModule: ['broken/nope.handler', /Cannot find module 'nope'/],
    missingExport: [
      'broken/missing_export.handler',
      'broken/missing_export.handler is undefined or not exported',
    ],
    versioned: ['node/versioned', 'app/index.js', 'app/index.handler'],
    brokenEdit: (text) => text.replace('export const handler', 'export const handler = ;'),
  },
  {
    runtime: 'python',
    title: 'Python host',
    fixtures: { app: 'python/basic', broken: 'python/broken' },
    contextHandler: 'app/app.lambda_handler',
    slowEvent: (ms) => ({ sleepMs: ms }),
    syntaxErrorHandler: 'broken/syntax_error.lambda_handler',
    syntaxErrorMessage: /^Syntax error in module 'broken\/syntax_error': /,
    syntaxErrorLocation: /File ".*syntax_error\.py", line \d+/,
    missingModule: [
      'broken/nope.lambda_handler',
      /^Unable to import module 'broken\/nope': No module named 'broken/,
    ],
    missingExport: ['app/app.missing', "Handler 'missing' missing on module 'app/app'"],
    versioned: ['python/versioned', 'app/app.py', 'app/app.lambda_handler'],
    brokenEdit: (text) =>
      text.replace('def lambda_handler(event, context):', 'def lambda_handler(event, context)'),
  },
];

for (const spec of RUNTIMES) {
  describe(spec.title, () => {
    let project;
    before(async () => {
      project = await makeProject(spec.fixtures);
    });
    const start = (options) => startHost({ runtime: spec.runtime, root: project, ...options });

    test(
      'runs an unchanged handler from a nested path with the context and environment Lambda gives',
      T,
      async () => {
        const host = await start({
          handler: spec.contextHandler,
          name: 'reporter',
          timeoutSeconds: 7,
          env: {
            USER_SETTING: 'kept',
            AWS_REGION: 'eu-west-3',
            AWS_ACCESS_KEY_ID: '',
            AWS_SECRET_ACCESS_KEY: '',
          },
        });
        const response = await host.invoke({ hello: 'world' });
        const result = assertOk(response);
        const requestId = response.headers.get('x-amzn-requestid');
        assert.match(requestId, UUID);

        if (spec.runtime === 'nodejs') {
          const { context } = result;
          assert.equal(context.awsRequestId, requestId);
          assert.equal(context.functionName, 'reporter');
          assert.equal(context.functionVersion, '$LATEST');
          assert.match(
            context.invokedFunctionArn,
            /^arn:aws:lambda:eu-west-3:\d{12}:function:reporter$/,
          );
          assert.equal(context.memoryLimitInMB, '128');
          assert.equal(context.logGroupName, '/aws/lambda/reporter');
          assert.match(context.logStreamName, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
          assert.ok(
            context.remainingTimeInMillis > 5000 && context.remainingTimeInMillis <= 7000,
            `${context.remainingTimeInMillis}`,
          );
          assert.equal(context.callbackWaitsForEmptyEventLoop, true);
          assert.match(result.env.AWS_EXECUTION_ENV, /^AWS_Lambda_nodejs\d+\.x$/);
        } else {
          const { context } = result;
          assert.equal(context.aws_request_id, requestId);
          assert.equal(context.function_name, 'reporter');
          assert.equal(context.function_version, '$LATEST');
          assert.match(
            context.invoked_function_arn,
            /^arn:aws:lambda:eu-west-3:\d{12}:function:reporter$/,
          );
          assert.equal(context.memory_limit_in_mb, '128');
          assert.equal(context.log_group_name, '/aws/lambda/reporter');
          assert.match(context.log_stream_name, /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
          assert.ok(
            context.remaining_time_in_millis > 5000 && context.remaining_time_in_millis <= 7000,
          );
          assert.match(result.env.AWS_EXECUTION_ENV, /^AWS_Lambda_python\d+\.\d+$/);
        }
        // The gateway's environment is kept; what Lambda adds is added.
        assert.equal(result.env.AWS_REGION, 'eu-west-3');
        assert.equal(result.env.AWS_LAMBDA_FUNCTION_NAME, 'reporter');
        assert.equal(result.env.USER_SETTING, 'kept');
        assert.ok(result.env.AWS_ACCESS_KEY_ID, 'placeholder credentials when none are set');
        assert.equal(result.env.LAMBDA_TASK_ROOT, project);
        assert.equal(result.env._HANDLER, spec.contextHandler);
        assert.equal(result.cwd, project);
        assert.equal(result.invocations, 1);

        // A warm environment keeps its module state, as in Lambda.
        const second = assertOk(await host.invoke({}));
        assert.equal(second.invocations, 2);
        assert.equal(second.pid, result.pid);

        // Log lines, one per log call, in the runtime's format.
        const id = escapeRegExp(requestId);
        if (spec.runtime === 'nodejs') {
          await host.waitForLine(
            new RegExp(`^${ISO_TIME}\\t${id}\\tINFO\\tevent \\{"hello":"world"\\}$`),
          );
          await host.waitForLine(new RegExp(`^${ISO_TIME}\\t${id}\\tINFO\\ttwo\\rlines$`));
          await host.waitForLine(new RegExp(`^${ISO_TIME}\\t${id}\\tWARN\\ta warning$`));
          await host.waitForLine(new RegExp(`^${ISO_TIME}\\t${id}\\tERROR\\tan error line$`));
          await host.waitForLine(new RegExp(`^${ISO_TIME}\\tundefined\\tINFO\\tmodule loaded$`));
          assert.ok(
            host.stderrLines().some((line) => /\tWARN\ta warning$/.test(line)),
            'console.warn goes to stderr',
          );
        } else {
          await host.waitForLine(/^event \{'hello': 'world'\}$/);
          await host.waitForLine(new RegExp(`^\\[INFO\\]\\t${ISO_TIME}\\t${id}\\ttwo\\rlines$`));
          await host.waitForLine(new RegExp(`^\\[WARNING\\]\\t${ISO_TIME}\\t${id}\\ta warning$`));
          await host.waitForLine(/^module loaded$/);
        }
        assert.equal(host.lines().filter((line) => /module loaded/.test(line)).length, 1);
      },
    );

    test(
      "reports a handler error in the runtime's error shape with X-Amz-Function-Error: Unhandled",
      T,
      async () => {
        const host = await start({ handler: spec.contextHandler });
        if (spec.runtime === 'nodejs') {
          const thrown = assertFunctionError(await host.invoke({ throw: 'bad input' }));
          assert.deepEqual(Object.keys(thrown).sort(), ['errorMessage', 'errorType', 'trace']);
          assert.equal(thrown.errorType, 'TypeError');
          assert.equal(thrown.errorMessage, 'bad input');
          assert.equal(thrown.trace[0], 'TypeError: bad input');
          assert.ok(
            thrown.trace.some((line) => /context\.js:\d+/.test(line)),
            thrown.trace.join('\n'),
          );
          await host.waitForLine(
            /\tERROR\tInvoke Error \t\{"errorType":"TypeError","errorMessage":"bad input"/,
          );

          const rejected = assertFunctionError(await host.invoke({ rejectWith: 'plain text' }));
          assert.deepEqual(rejected, {
            errorType: 'string',
            errorMessage: 'plain text',
            trace: [],
          });
          assert.equal((await host.invoke({ returnUndefined: true })).text, 'null');
        } else {
          const response = await host.invoke({ raise: 'bad input' });
          const raised = assertFunctionError(response);
          assert.deepEqual(Object.keys(raised).sort(), [
            'errorMessage',
            'errorType',
            'requestId',
            'stackTrace',
          ]);
          assert.equal(raised.errorType, 'ValueError');
          assert.equal(raised.errorMessage, 'bad input');
          assert.equal(raised.requestId, response.headers.get('x-amzn-requestid'));
          assert.ok(
            raised.stackTrace.some((line) => /app\.py", line \d+, in lambda_handler/.test(line)),
            raised.stackTrace.join(''),
          );
          await host.waitForLine(
            /^\[ERROR\] ValueError: bad input\rTraceback \(most recent call last\):\r/,
          );
          assert.equal((await host.invoke({ returnNone: true })).text, 'null');
        }
        // The environment survives its handler's error.
        assertOk(await host.invoke({}));
      },
    );

    test(
      "answers the Invoke API's own errors: a body that is not JSON, a path it does not serve",
      T,
      async () => {
        const host = await start({ handler: spec.contextHandler });
        const notJson = await host.invoke('{"unterminated": ');
        assert.equal(notJson.status, 400);
        assert.equal(notJson.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
        assert.match(notJson.json.Message, /^Could not parse request body into json/);
        const elsewhere = await host.invoke({}, { path: '/2015-03-31/functions/reporter' });
        assert.equal(elsewhere.status, 404);
        assert.equal(elsewhere.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
        // Any function name in the path reaches the handler (the RIE serves "function").
        assertOk(await host.invoke({}, { path: '/2015-03-31/functions/function/invocations' }));
      },
    );

    test(
      "a handler with a syntax error: the loader's error is printed once and every invocation answers Runtime.UserCodeSyntaxError",
      T,
      async () => {
        const host = await start({ handler: spec.syntaxErrorHandler });
        for (let attempt = 0; attempt < 3; attempt++) {
          const error = assertFunctionError(await host.invoke({ attempt }));
          assert.equal(error.errorType, 'Runtime.UserCodeSyntaxError');
          assert.match(error.errorMessage, spec.syntaxErrorMessage);
        }
        const reports = host.stderrLines().filter((line) => /cannot load handler/.test(line));
        assert.equal(reports.length, 1, host.stderrLines().join('\n'));
        assert.ok(
          host.stderrLines().some((line) => spec.syntaxErrorLocation.test(line)),
          `the report names the file and line:\n${host.stderrLines().join('\n')}`,
        );
        assert.equal(host.proc.exitCode, null, 'the host keeps serving');
      },
    );

    test(
      'a missing module answers Runtime.ImportModuleError and a missing export Runtime.HandlerNotFound',
      T,
      async () => {
        const [missingModule, moduleMessage] = spec.missingModule;
        const noModule = await start({ handler: missingModule });
        const importError = assertFunctionError(await noModule.invoke({}));
        assert.equal(importError.errorType, 'Runtime.ImportModuleError');
        assert.match(importError.errorMessage, moduleMessage);

        const [missingExport, exportMessage] = spec.missingExport;
        const noExport = await start({ handler: missingExport });
        const notFound = assertFunctionError(await noExport.invoke({}));
        assert.equal(notFound.errorType, 'Runtime.HandlerNotFound');
        assert.equal(notFound.errorMessage, exportMessage);
      },
    );

    test(
      'reloads on change: the next invocation runs the edited code, a broken edit recovers once fixed',
      T,
      async () => {
        const [fixture, file, handler] = spec.versioned;
        const root = await makeProject({ app: fixture });
        const host = await start({ root, handler });
        const version = async () => JSON.parse(assertOk(await host.invoke({})));
        assert.deepEqual(await version(), { version: 'v1', invocations: 1 });
        assert.deepEqual(await version(), { version: 'v1', invocations: 2 });

        // Data files and dependencies beside the code are not code.
        await writeFile(path.join(root, 'app', 'chat.sqlite'), 'data');
        await mkdir(path.join(root, 'node_modules', 'dep'), { recursive: true });
        await writeFile(path.join(root, 'node_modules', 'dep', 'index.js'), 'module.exports = 1;');
        assert.deepEqual(await version(), { version: 'v1', invocations: 3 });

        await editFile(path.join(root, file), (text) =>
          text.replace("'v1'", "'v2'").replace('"v1"', '"v2"'),
        );
        assert.deepEqual(await version(), { version: 'v2', invocations: 1 });

        const working = await readFile(path.join(root, file), 'utf8');
        await editFile(path.join(root, file), spec.brokenEdit);
        const broken = assertFunctionError(await host.invoke({}));
        assert.equal(broken.errorType, 'Runtime.UserCodeSyntaxError');

        await writeFile(
          path.join(root, file),
          working.replace("'v2'", "'v3'").replace('"v2"', '"v3"'),
        );
        assert.deepEqual(await version(), { version: 'v3', invocations: 1 });
        assert.equal(host.proc.exitCode, null, 'the host kept serving');
      },
    );

    test('two slow invocations run at the same time, in two environments', T, async () => {
      const host = await start({ handler: spec.contextHandler });
      assertOk(await host.invoke({})); // the first environment is warm
      const startedAt = Date.now();
      const [first, second] = await Promise.all([
        host.invoke(spec.slowEvent(1000)),
        host.invoke(spec.slowEvent(1000)),
      ]);
      const elapsed = Date.now() - startedAt;
      const results = [assertOk(first), assertOk(second)];
      assert.ok(
        elapsed < 1800,
        `two 1 s invocations took ${elapsed} ms: they ran one after the other`,
      );
      assert.notEqual(results[0].pid, results[1].pid);
    });

    test(
      'an invocation past AWS_LAMBDA_FUNCTION_TIMEOUT answers Sandbox.Timedout and the next one runs',
      T,
      async () => {
        const host = await start({ handler: spec.contextHandler, timeoutSeconds: 1 });
        const startedAt = Date.now();
        const timedOut = assertFunctionError(await host.invoke(spec.slowEvent(4000)));
        const elapsed = Date.now() - startedAt;
        assert.equal(timedOut.errorType, 'Sandbox.Timedout');
        assert.match(
          timedOut.errorMessage,
          /^RequestId: \S+ Error: Task timed out after 1\.00 seconds$/,
        );
        assert.ok(elapsed >= 900 && elapsed < 3000, `answered after ${elapsed} ms`);
        assert.equal(assertOk(await host.invoke({})).invocations, 1, 'a fresh environment');
      },
    );

    test('stopping the host stops its workers', T, async () => {
      const host = await start({ handler: spec.contextHandler });
      const [first, second] = await Promise.all([
        host.invoke(spec.slowEvent(300)),
        host.invoke(spec.slowEvent(300)),
      ]);
      const pids = [assertOk(first).pid, assertOk(second).pid];
      assert.deepEqual(pids.filter(isRunning), pids);
      await host.stop();
      assert.deepEqual(await waitUntilGone(pids), [], 'workers left running');
    });
  });
}

describe("Node.js host: the module kinds and handler styles of Lambda's Node.js runtime", () => {
  let project;
  before(async () => {
    project = await makeProject({ app: 'node/basic', callback: 'node/callback' });
  });
  const invokeOnce = async (handler, event = {}) => {
    const host = await startHost({ runtime: 'nodejs', root: project, handler });
    return host.invoke(event);
  };

  test('loads .cjs and .mjs files, and nested exports ("file.a.b.handler")', T, async () => {
    assert.deepEqual(assertOk(await invokeOnce('app/legacy.handler', { n: 1 })), {
      kind: 'cjs',
      got: { n: 1 },
    });
    assert.deepEqual(assertOk(await invokeOnce('app/esm.handler', { n: 2 })), {
      kind: 'mjs',
      got: { n: 2 },
    });
    assert.equal(assertOk(await invokeOnce('app/esm.nested.deeper.handler')), 'nested export');
  });

  test(
    'runs CommonJS callback handlers: callback(null, result) and callback(error)',
    T,
    async () => {
      const event = { requestContext: { eventType: 'MESSAGE' }, body: 'hi' };
      const result = assertOk(await invokeOnce('callback/index.handler', event));
      assert.equal(result.statusCode, 200);
      const body = JSON.parse(result.body);
      assert.equal(body.echo, 'hi');
      assert.equal(body.functionName, 'fn');
      assert.match(body.awsRequestId, UUID);

      const error = assertFunctionError(await invokeOnce('callback/index.fails'));
      assert.equal(error.errorType, 'RangeError');
      assert.equal(error.errorMessage, 'callback failure');
      assert.ok(Array.isArray(error.trace));
    },
  );

  test(
    'context.succeed and context.done answer; a handler that never answers gets null',
    T,
    async () => {
      assert.deepEqual(assertOk(await invokeOnce('callback/index.succeeds')), {
        via: 'context.succeed',
      });
      assert.deepEqual(assertOk(await invokeOnce('callback/index.done')), { via: 'context.done' });
      const startedAt = Date.now();
      const silent = await invokeOnce('callback/index.silent');
      assert.equal(silent.text, 'null');
      assert.ok(Date.now() - startedAt < 3000, 'answered once the event loop was empty');
    },
  );
});
