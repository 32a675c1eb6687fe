// TypeScript handlers in the Node.js host: a handler string whose file is .ts/.mts/.cts is bundled
// with esbuild (lambda-bridge/hosts/README.md, "TypeScript handlers"), and so is a .js/.mjs one
// that imports TypeScript or a tsconfig `paths` alias. The project is
// fixtures/handlers/node/typescript copied into tests/.tmp-XXXXXX: a tsconfig `paths` alias
// (@lib/*), `import type`, an enum, and @aws-sdk/* from tests/node_modules, which stays outside
// the bundle. Driven through the Lambda Invoke API as the gateway drives it, and through the
// gateway itself.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { connect, request } from './support/client.mjs';
import { startGateway } from './support/gateway.mjs';
import { editFile, HOSTS_DIR, makeProject, startHost } from './support/hosts.mjs';

const T = { timeout: 30000 };
const EVENT = { requestContext: { routeKey: '$default', connectionId: 'c1' }, body: 'ann' };

function assertOk(response) {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('x-amz-function-error'), null, response.text);
  return response.json;
}

function assertFunctionError(response) {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('x-amz-function-error'), 'Unhandled', response.text);
  return response.json;
}

async function startTypeScriptHost(handler, env = {}) {
  const root = await makeProject({ app: 'node/typescript' });
  const host = await startHost({
    runtime: 'nodejs',
    root,
    handler: `app/src/handlers/${handler}`,
    env: { WSGW_HOST_LOG_LEVEL: 'debug', ...env },
  });
  return { root, host, file: (relative) => path.join(root, 'app', relative) };
}

describe('TypeScript handlers in the Node.js host', () => {
  test(
    'a .ts handler answers, with a tsconfig paths alias, an enum and a package kept external; the esbuild used is named once',
    T,
    async () => {
      const { host } = await startTypeScriptHost('message.handler');
      const answer = assertOk(await host.invoke(EVENT));
      assert.equal(answer.statusCode, 200);
      assert.deepEqual(JSON.parse(answer.body), {
        greeting: 'HELLO, ANN',
        route: '$default',
        sdk: 'ApiGatewayManagementApiClient',
      });
      assertOk(await host.invoke(EVENT));
      const said = host
        .stderrLines()
        .filter((line) => /bundling TypeScript with esbuild/.test(line));
      assert.equal(said.length, 1, host.stderrLines().join('\n'));
      assert.match(said[0], /esbuild \d+\.\d+\.\d+ \((wsgw's|the project's), .*esbuild/);
    },
  );

  test('an .mts handler is an ES module (top-level await)', T, async () => {
    const { host } = await startTypeScriptHost('esm.handler');
    const answer = assertOk(await host.invoke(EVENT));
    assert.equal(answer.body, 'hello, ann from esm');
  });

  test(
    "a thrown error's stack names the .ts file and line, in the answer and in the log",
    T,
    async () => {
      const { host, file } = await startTypeScriptHost('throws.handler');
      const error = assertFunctionError(await host.invoke(EVENT));
      assert.equal(error.errorType, 'Error');
      assert.equal(error.errorMessage, 'cannot handle ann');
      const frame = `${file('src/handlers/throws.ts')}:10:`;
      assert.ok(error.trace[1].includes(frame), `${frame} in:\n${error.trace.join('\n')}`);
      await host.waitForLine(/Invoke Error/);
      const logged = host.stderrLines().find((line) => /Invoke Error/.test(line));
      assert.ok(logged.includes(frame), logged);
    },
  );

  test(
    'an edit to a .ts file the handler imports is picked up by the next invocation',
    T,
    async () => {
      const { host, file } = await startTypeScriptHost('message.handler');
      assertOk(await host.invoke(EVENT));
      await editFile(file('src/lib/greeting.ts'), (text) => text.replace('hello, ', 'welcome, '));
      const answer = assertOk(await host.invoke(EVENT));
      assert.equal(JSON.parse(answer.body).greeting, 'WELCOME, ANN');
      assert.ok(
        host
          .stderrLines()
          .some((line) =>
            /debug: bundled .*message\.ts in [\d.]+ ms, ready \d+ ms after the change/.test(line),
          ),
        host.stderrLines().join('\n'),
      );
    },
  );

  test('a type error is not an error: esbuild does not type-check', T, async () => {
    const { host, file } = await startTypeScriptHost('message.handler');
    await editFile(file('src/handlers/message.ts'), (text) =>
      text.replace(
        "const name: string = event.body ?? 'nobody';",
        "const name: number = event.body ?? 'nobody';",
      ),
    );
    assert.equal(JSON.parse(assertOk(await host.invoke(EVENT)).body).greeting, 'HELLO, ANN');
  });

  test(
    'a syntax error answers Runtime.UserCodeSyntaxError with the file:line:column, and the edit that fixes it recovers',
    T,
    async () => {
      const { host, file } = await startTypeScriptHost('message.handler');
      assertOk(await host.invoke(EVENT));
      const source = file('src/handlers/message.ts');
      await editFile(source, (text) => text.replace('statusCode: 200,', 'statusCode: 200,,'));
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = assertFunctionError(await host.invoke(EVENT));
        assert.equal(error.errorType, 'Runtime.UserCodeSyntaxError');
        assert.match(
          error.errorMessage,
          /^SyntaxError: app\/src\/handlers\/message\.ts:10:21: Expected identifier but found ","$/,
        );
      }
      const reports = host.stderrLines().filter((line) => /cannot load handler/.test(line));
      assert.equal(reports.length, 1, host.stderrLines().join('\n'));
      await editFile(source, (text) => text.replace('statusCode: 200,,', 'statusCode: 200,'));
      assert.equal(JSON.parse(assertOk(await host.invoke(EVENT)).body).greeting, 'HELLO, ANN');
      await host.waitForLine(/handler app\/src\/handlers\/message\.handler loaded/);
    },
  );

  test(
    'without an esbuild, the function answers a clear error naming the fix and the host keeps serving',
    T,
    async () => {
      const { host } = await startTypeScriptHost('message.handler', {
        WSGW_ESBUILD_PATH: '/nonexistent/esbuild',
      });
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = assertFunctionError(await host.invoke(EVENT));
        assert.equal(error.errorType, 'Runtime.ImportModuleError');
        assert.match(error.errorMessage, /no esbuild to bundle TypeScript handlers/);
        assert.match(error.errorMessage, /npm i -D esbuild/);
      }
      assert.equal(host.proc.exitCode, null, 'the host keeps serving');
    },
  );
});

describe('which esbuild', () => {
  test(
    "the project's own esbuild, in a node_modules above the handler file, is preferred over wsgw's and named with its path and version",
    T,
    async () => {
      const root = await makeProject({ app: 'node/typescript' });
      // Below the handler root, above the handler file: found only by resolving from the file.
      const own = path.join(root, 'app', 'node_modules', 'esbuild');
      await mkdir(own, { recursive: true });
      await writeFile(
        path.join(own, 'package.json'),
        JSON.stringify({ name: 'esbuild', version: '0.0.0-project', main: 'index.js' }),
      );
      const wsgwEsbuild = path.join(HOSTS_DIR, 'node_modules', 'esbuild');
      await writeFile(
        path.join(own, 'index.js'),
        `module.exports = { ...require(${JSON.stringify(wsgwEsbuild)}), version: '0.0.0-project' };\n`,
      );
      const host = await startHost({
        runtime: 'nodejs',
        root,
        handler: 'app/src/handlers/message.handler',
      });
      const answer = assertOk(await host.invoke(EVENT));
      assert.equal(JSON.parse(answer.body).greeting, 'HELLO, ANN');
      const said = host.stderrLines().filter((line) => /bundling TypeScript with esbuild/.test(line));
      assert.equal(said.length, 1, host.stderrLines().join('\n'));
      assert.ok(
        said[0].includes(`esbuild 0.0.0-project (the project's, ${path.join(own, 'index.js')})`),
        said[0],
      );
    },
  );
});

describe('JavaScript handlers that need bundling', () => {
  test(
    'a CommonJS .js handler requiring .ts modules is bundled, the host says why, and a throw names the .ts line',
    T,
    async () => {
      const { host, file } = await startTypeScriptHost('mixed.handler');
      const answer = assertOk(await host.invoke(EVENT));
      assert.deepEqual(answer, { statusCode: 200, body: 'hello, ann' });
      await host.waitForLine(/bundling app\/src\/handlers\/mixed\.js: mixed\.js imports the TypeScript file \.\.\/lib\/greeting/);

      const error = assertFunctionError(
        await host.invoke({ requestContext: { routeKey: '$default', connectionId: 'c1' } }),
      );
      assert.equal(error.errorMessage, 'a message needs a body');
      const frame = `${file('src/lib/checks.ts')}:4:`;
      assert.ok(error.trace[1].includes(frame), `${frame} in:\n${error.trace.join('\n')}`);
    },
  );

  test('an .mjs handler importing a tsconfig paths alias is bundled as an ES module', T, async () => {
    const { host } = await startTypeScriptHost('aliased.handler');
    const answer = assertOk(await host.invoke(EVENT));
    assert.equal(answer, 'HELLO, ANN from an alias');
    await host.waitForLine(/bundling app\/src\/handlers\/aliased\.mjs: aliased\.mjs imports @lib\/greeting, mapped by tsconfig\.json paths/);
  });

  test('a .js handler that imports only packages and built-ins runs unbundled', T, async () => {
    const { host } = await startTypeScriptHost('plain.handler');
    const answer = assertOk(await host.invoke(EVENT));
    assert.equal(JSON.parse(answer.body).sdk, 'ApiGatewayManagementApiClient');
    assert.ok(
      !host.lines().some((line) => /bundl/.test(line)),
      `no bundling:\n${host.lines().join('\n')}`,
    );
  });

  test(
    'an edit to a .ts file a .js handler imports rebuilds before the next invocation',
    T,
    async () => {
      const { host, file } = await startTypeScriptHost('mixed.handler');
      assertOk(await host.invoke(EVENT));
      await editFile(file('src/lib/greeting.ts'), (text) => text.replace('hello, ', 'welcome, '));
      assert.equal(assertOk(await host.invoke(EVENT)).body, 'welcome, ann');
      const rebuilt = host
        .stderrLines()
        .find((line) => /debug: bundled .*mixed\.js in [\d.]+ ms, ready \d+ ms after the change/.test(line));
      assert.ok(rebuilt, host.stderrLines().join('\n'));
      console.log(`# ${rebuilt.replace(/^.*debug: /, '')}`);
    },
  );
});

describe('a TypeScript handler through the gateway', () => {
  let gateway;
  after(() => gateway?.stop());

  test(
    '$connect and messages reach .ts handlers; a throw gives the Internal server error frame',
    T,
    async () => {
      const project = await makeProject({ app: 'node/typescript' });
      const routesFile = path.join(project, 'routes.json');
      const api = {
        name: 'typescript',
        stage: 'dev',
        functions: {
          message: { runtime: 'nodejs', handler: 'app/src/handlers/message.handler' },
          throws: { runtime: 'nodejs', handler: 'app/src/handlers/throws.handler' },
          store: {
            runtime: 'nodejs',
            handler: 'app/src/handlers/store.handler',
            env: { TABLE_NAME: 'items' },
          },
        },
        routes: {
          $connect: { function: 'message' },
          $default: { function: 'message', routeResponse: true },
          explode: { function: 'throws', routeResponse: true },
          store: { function: 'store', routeResponse: true },
        },
        tables: { items: { hashKey: 'id' } },
      };
      await writeFile(routesFile, JSON.stringify(api, null, 2));
      gateway = await startGateway({
        routes: [],
        args: ['--routes', routesFile],
        readyTimeoutMs: 20000,
      });
      const ws = await connect(gateway.wsUrl);
      const answer = JSON.parse(await request(ws, 'bob'));
      assert.deepEqual(answer, {
        greeting: 'HELLO, BOB',
        route: '$default',
        sdk: 'ApiGatewayManagementApiClient',
      });
      const failed = JSON.parse(await request(ws, JSON.stringify({ action: 'explode' })));
      assert.equal(failed.message, 'Internal server error');
      // @lib/dynamo (tsconfig paths) on the AWS SDK, against wsgw's DynamoDB.
      const stored = JSON.parse(await request(ws, JSON.stringify({ action: 'store', text: 'kept' })));
      assert.equal(stored.table, 'items');
      assert.equal(stored.stored.text, 'kept');
      assert.equal(typeof stored.stored.id, 'string');
      ws.close();
    },
  );
});
