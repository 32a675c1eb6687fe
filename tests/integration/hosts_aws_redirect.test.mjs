// AWS's own host names inside the functions wsgw starts, and the hosts' trust check, before the
// gateway speaks TLS: each host runs alone (as the gateway starts it) against a small HTTPS server
// with a certificate for AWS's names from a test CA (support/tls_server.mjs) standing in for the
// gateway. Unchanged SDK code with a hard-coded execute-api endpoint, and DynamoDB with no
// endpoint at all, must reach that server under the AWS name (SNI, certificate, Host), while
// every other host is left alone.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { HOSTS_DIR, makeProject, startHost } from './support/hosts.mjs';
import { makeTestCa, startTlsServer } from './support/tls_server.mjs';

const T = { timeout: 60000 };
const EXECUTE_API = 'abc123.execute-api.us-east-1.amazonaws.com';
const DYNAMODB = 'dynamodb.us-east-1.amazonaws.com';
const REDIRECT_LINE = (name, port) =>
  new RegExp(
    `redirecting ${name.replace(/\./g, '\\.')}:443 to 127\\.0\\.0\\.1:${port} ` +
      '\\(wsgw; --no-aws-redirect turns it off\\)$',
  );
const SYSTEM_PYTHON = '/usr/bin/python3';
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A handler as deployed: endpoints hard-coded or absent, nothing about wsgw. `plainUrl` is a
// host that must not be redirected; `sleepMs` holds the invocation so that two run at once.
const NODE_HANDLER = `
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

const options = { maxAttempts: 1, requestHandler: { connectionTimeout: 3000, requestTimeout: 5000 } };
const management = new ApiGatewayManagementApiClient({
  ...options,
  endpoint: 'https://${EXECUTE_API}/prod',
});
const dynamodb = new DynamoDBClient(options);

const attempt = async (call) => {
  try {
    return await call();
  } catch (error) {
    return 'failed: ' + error.name + ': ' + error.message;
  }
};

export const handler = async (event) => {
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  const out = {};
  out.post = await attempt(async () => {
    await management.send(new PostToConnectionCommand({ ConnectionId: 'conn-1=', Data: 'hello' }));
    return 'ok';
  });
  out.tables = await attempt(async () => (await dynamodb.send(new ListTablesCommand({}))).TableNames);
  if (event.plainUrl) out.plain = await attempt(async () => (await fetch(event.plainUrl)).text());
  return out;
};
`;

const PYTHON_HANDLER = `
import time
import urllib.request

import boto3
from botocore.config import Config

CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=3, read_timeout=5)


def attempt(call):
    try:
        return call()
    except Exception as e:
        return "failed: %s: %s" % (type(e).__name__, e)


def post():
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://${EXECUTE_API}/prod",
        region_name="us-east-1",
        config=CONFIG,
    )
    client.post_to_connection(ConnectionId="conn-1=", Data=b"hello")
    return "ok"


def handler(event, context):
    time.sleep(event.get("sleepMs", 0) / 1000.0)
    out = {"post": attempt(post)}
    dynamodb = boto3.client("dynamodb", region_name="us-east-1", config=CONFIG)
    out["tables"] = attempt(lambda: dynamodb.list_tables()["TableNames"])
    if event.get("plainUrl"):
        out["plain"] = attempt(
            lambda: urllib.request.urlopen(event["plainUrl"], timeout=5).read().decode()
        )
    return out
`;

// What the stand-in answers: DynamoDB's ListTables to a DynamoDB call, an empty 200 to
// PostToConnection.
function answerAsAws(request) {
  if (request.headers['x-amz-target']) {
    return {
      status: 200,
      headers: { 'Content-Type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ TableNames: ['from-the-stand-in'] }),
    };
  }
  return { status: 200, body: '' };
}

let awsCa; // covers AWS's names and 127.0.0.1, like the gateway's certificate
let otherCa; // a CA nobody's certificate comes from
let localOnlyCa; // a certificate for 127.0.0.1 only, like a user's own --tls-cert
let aws;
let localOnly;
let plain; // a plain HTTP server reached as localhost: must not be redirected
let project;

before(async () => {
  awsCa = await makeTestCa([
    '*.execute-api.us-east-1.amazonaws.com',
    DYNAMODB,
    '127.0.0.1',
    'localhost',
  ]);
  otherCa = await makeTestCa(['127.0.0.1'], { commonName: 'some other CA' });
  localOnlyCa = await makeTestCa(['127.0.0.1']);
  aws = await startTlsServer(awsCa, answerAsAws);
  localOnly = await startTlsServer(localOnlyCa);
  plain = http.createServer((request, response) => response.end('plain answer'));
  await new Promise((resolve) => plain.listen(0, '127.0.0.1', resolve));
  project = await makeProject({});
  await writeFile(path.join(project, 'aws.mjs'), NODE_HANDLER);
  await writeFile(path.join(project, 'app.py'), PYTHON_HANDLER);
});
after(async () => {
  await aws?.close();
  await localOnly?.close();
  plain?.closeAllConnections();
  await new Promise((resolve) => (plain ? plain.close(resolve) : resolve()));
});

// The environment the gateway gives a function when it serves TLS on `port`, with DynamoDB's
// endpoint removed (code with no endpoint at all uses dynamodb.REGION.amazonaws.com).
function tlsEnvironment(port, ca = awsCa, overrides = {}) {
  return {
    WSGW_MANAGEMENT_ENDPOINT: `http://127.0.0.1:${port}/prod`,
    WSGW_CA_FILE: ca.caFile,
    NODE_EXTRA_CA_CERTS: ca.caFile,
    AWS_CA_BUNDLE: ca.caFile,
    REQUESTS_CA_BUNDLE: ca.caFile,
    SSL_CERT_FILE: ca.caFile,
    WSGW_AWS_REDIRECT: `127.0.0.1:${port}`,
    AWS_ENDPOINT_URL_DYNAMODB: undefined,
    AWS_ENDPOINT_URL: undefined,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'secret',
    NODE_NO_WARNINGS: '1',
    ...overrides,
  };
}

function assertOk(response) {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.headers.get('x-amz-function-error'), null, response.text);
  return response.json;
}

// No traceback, unhandled error or crash report from the host, whatever the test did.
function assertNoTraceback(host) {
  const bad = host
    .lines()
    .filter((line) => /Traceback|Uncaught|Unhandled|UnhandledPromiseRejection|    at /.test(line));
  assert.deepEqual(bad, [], host.lines().join('\n'));
}

const RUNTIMES = [
  { runtime: 'nodejs', title: 'Node.js host, @aws-sdk v3', handler: 'aws.handler' },
  { runtime: 'python', title: 'Python host, boto3 (python3 on PATH)', handler: 'app.handler' },
];
if (existsSync(SYSTEM_PYTHON)) {
  RUNTIMES.push({
    runtime: 'python',
    title: "Python host, Debian's botocore 1.29 (/usr/bin/python3)",
    handler: 'app.handler',
    python: SYSTEM_PYTHON,
  });
}

for (const spec of RUNTIMES) {
  const start = (env, extra = {}) =>
    startHost({
      runtime: spec.runtime,
      root: project,
      handler: spec.handler,
      python: spec.python,
      env,
      ...extra,
    });

  describe(`AWS host names in the ${spec.title}`, () => {
    test(
      'a hard-coded execute-api endpoint and DynamoDB by region reach WSGW_AWS_REDIRECT under ' +
        'their own names; localhost does not; each name is logged once per function',
      T,
      async () => {
        const before = aws.requests.length;
        const host = await start(tlsEnvironment(aws.port), { name: 'redirected' });
        const plainUrl = `http://localhost:${plain.address().port}/`;
        // Two at once: two execution environments, each redirecting both names.
        const answers = await Promise.all([
          host.invoke({ plainUrl, sleepMs: 300 }),
          host.invoke({ plainUrl, sleepMs: 300 }),
        ]);
        answers.push(await host.invoke({ plainUrl }));
        for (const answer of answers) {
          assert.deepEqual(assertOk(answer), {
            post: 'ok',
            tables: ['from-the-stand-in'],
            plain: 'plain answer',
          });
        }
        const seen = aws.requests.slice(before);
        const posts = seen.filter((request) => request.url === '/prod/@connections/conn-1%3D');
        assert.equal(posts.length, 3, JSON.stringify(seen, null, 1));
        for (const request of posts) {
          assert.equal(request.method, 'POST');
          assert.equal(request.servername, EXECUTE_API);
          assert.equal(request.host, EXECUTE_API);
          assert.equal(request.body, 'hello');
        }
        const tables = seen.filter((request) => request.headers['x-amz-target']);
        assert.equal(tables.length, 3);
        for (const request of tables) {
          assert.equal(request.headers['x-amz-target'], 'DynamoDB_20120810.ListTables');
          assert.equal(request.servername, DYNAMODB);
          assert.equal(request.host, DYNAMODB);
        }
        assert.equal(seen.length, 6, 'only the AWS names reached the stand-in');

        await host.stop();
        for (const name of [EXECUTE_API, DYNAMODB]) {
          const lines = host.stderrLines().filter((line) => /redirecting /.test(line) && line.includes(name));
          assert.equal(lines.length, 1, host.lines().join('\n'));
          assert.match(lines[0], REDIRECT_LINE(name, aws.port));
        }
        assert.ok(!host.lines().some((line) => /redirecting localhost/.test(line)));
        assertNoTraceback(host);
      },
    );

    test('without WSGW_AWS_REDIRECT nothing is redirected and nothing says so', T, async () => {
      const before = aws.requests.length;
      const host = await start(
        tlsEnvironment(aws.port, awsCa, { WSGW_AWS_REDIRECT: undefined, WSGW_CA_FILE: undefined }),
        { name: 'not-redirected' },
      );
      const out = assertOk(await host.invoke({ plainUrl: `http://localhost:${plain.address().port}/` }));
      // The real AWS names: unreachable from here, or AWS refusing placeholder credentials.
      assert.match(out.post, /^failed: /);
      assert.match(String(out.tables), /^failed: /);
      assert.equal(out.plain, 'plain answer');
      assert.equal(aws.requests.length, before);
      await host.stop();
      assert.ok(!host.lines().some((line) => /redirecting /.test(line)), host.lines().join('\n'));
      assertNoTraceback(host);
    });

    test('a malformed WSGW_AWS_REDIRECT is said once and redirects nothing', T, async () => {
      const before = aws.requests.length;
      const host = await start(
        tlsEnvironment(aws.port, awsCa, { WSGW_AWS_REDIRECT: 'no-port-here', WSGW_CA_FILE: undefined }),
        { name: 'malformed' },
      );
      const out = assertOk(await host.invoke({}));
      assert.match(out.post, /^failed: /);
      assert.equal(aws.requests.length, before);
      await host.stop();
      const said = host.lines().filter((line) => /WSGW_AWS_REDIRECT must be HOST:PORT/.test(line));
      assert.equal(said.length, 1, host.lines().join('\n'));
      assert.match(said[0], /found "no-port-here"/);
      assertNoTraceback(host);
    });
  });

  describe(`the trust check of the ${spec.title}`, () => {
    const failure = /https:\/\/ to wsgw( from [a-z0-9 ]+)? will fail|does not cover|could not check/;

    test('says nothing when the function trusts wsgw\'s CA (debug says it verified)', T, async () => {
      const host = await start(tlsEnvironment(aws.port, awsCa, { WSGW_HOST_LOG_LEVEL: 'debug' }));
      await host.waitForLine(
        new RegExp(`https:// to 127\\.0\\.0\\.1 and ${DYNAMODB.replace(/\./g, '\\.')} at 127\\.0\\.0\\.1:${aws.port} verifies`),
        10000,
      );
      assert.ok(!host.lines().some((line) => failure.test(line)), host.lines().join('\n'));
      await host.stop();
      assertNoTraceback(host);
    });

    test('names the variable to check when the CA the function trusts is not wsgw\'s', T, async () => {
      const wrong = {
        NODE_EXTRA_CA_CERTS: otherCa.caFile,
        AWS_CA_BUNDLE: otherCa.caFile,
        REQUESTS_CA_BUNDLE: otherCa.caFile,
        SSL_CERT_FILE: otherCa.caFile,
      };
      const startedAt = Date.now();
      const host = await start(tlsEnvironment(aws.port, awsCa, wrong));
      // It never holds up serving: the host is ready before the check can say anything.
      assert.ok(Date.now() - startedAt < 10000);
      const line = await host.waitForLine(/https:\/\/ to wsgw( from [a-z0-9 ]+)? will fail/, 10000);
      assert.match(line, new RegExp(`127\\.0\\.0\\.1:${aws.port}`));
      if (spec.runtime === 'nodejs') {
        assert.match(line, /check NODE_EXTRA_CA_CERTS/);
        assert.match(line, new RegExp(`NODE_EXTRA_CA_CERTS=${otherCa.caFile.replace(/[.]/g, '\\.')}`));
      } else {
        assert.match(line, /check AWS_CA_BUNDLE and REQUESTS_CA_BUNDLE and SSL_CERT_FILE/);
        assert.match(line, /^wsgw python host: https:\/\/ to wsgw from boto3 and requests and urllib will fail/);
      }
      assert.match(line, new RegExp(awsCa.caFile.replace(/[.]/g, '\\.')), 'names wsgw\'s CA');
      // Still serving, and said once.
      assertOk(await host.invoke({}));
      await delay(200);
      assert.equal(host.lines().filter((l) => failure.test(l)).length, 1, host.lines().join('\n'));
      await host.stop();
      assertNoTraceback(host);
    });

    test('names the variable when the CA file it names does not exist', T, async () => {
      const missing = path.join(awsCa.dir, 'no-such-ca.pem');
      const host = await start(
        tlsEnvironment(aws.port, awsCa, {
          NODE_EXTRA_CA_CERTS: missing,
          AWS_CA_BUNDLE: missing,
          REQUESTS_CA_BUNDLE: missing,
          SSL_CERT_FILE: missing,
        }),
      );
      const line = await host.waitForLine(/https:\/\/ to wsgw( from [a-z0-9 ]+)? will fail/, 10000);
      assert.ok(line.includes(missing), line);
      assert.match(line, spec.runtime === 'nodejs' ? /check NODE_EXTRA_CA_CERTS/ : /check AWS_CA_BUNDLE/);
      assertOk(await host.invoke({}));
      await host.stop();
      assertNoTraceback(host);
    });

    test('says so when the certificate does not cover AWS\'s names (a --tls-cert of one\'s own)', T, async () => {
      const host = await start(tlsEnvironment(localOnly.port, localOnlyCa));
      const line = await host.waitForLine(/does not cover/, 10000);
      assert.match(line, new RegExp(`does not cover ${DYNAMODB.replace(/\./g, '\\.')}`));
      assert.match(line, /--no-aws-redirect/);
      await host.stop();
      assertNoTraceback(host);
    });

    test('says it could not check when the address does not speak TLS, and keeps serving', T, async () => {
      const host = await start(tlsEnvironment(plain.address().port));
      const line = await host.waitForLine(/could not check that https:\/\/ to wsgw/, 10000);
      assert.match(line, /WSGW_CA_FILE=/);
      assertOk(await host.invoke({}));
      await host.stop();
      assertNoTraceback(host);
    });
  });
}

// `command` functions: the gateway preloads the same redirect (NODE_OPTIONS=--require for
// Node.js, sitecustomize.py on PYTHONPATH for Python). Here the preload runs in a plain script.
describe('the preloads for command functions', () => {
  const run = (file, args, env) =>
    new Promise((resolve) => {
      execFile(file, args, { env: { ...process.env, ...env }, cwd: project, timeout: 30000 }, (error, stdout, stderr) =>
        resolve({ code: error ? error.code : 0, stdout, stderr }),
      );
    });

  test('Node.js: NODE_OPTIONS=--require preload/aws_redirect.cjs', T, async () => {
    const before = aws.requests.length;
    const script = path.join(project, 'command.mjs');
    await writeFile(
      script,
      `import { handler } from './aws.mjs';\nconsole.log(JSON.stringify(await handler({})));\n`,
    );
    const preload = path.join(HOSTS_DIR, 'preload', 'aws_redirect.cjs');
    const { code, stdout, stderr } = await run(process.execPath, [script], {
      ...tlsEnvironment(aws.port),
      AWS_ENDPOINT_URL_DYNAMODB: '',
      NODE_OPTIONS: `--require "${preload}"`,
    });
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { post: 'ok', tables: ['from-the-stand-in'] });
    assert.equal(aws.requests.length, before + 2);
    assert.deepEqual(
      aws.requests.slice(before).map((request) => request.servername).sort(),
      [EXECUTE_API, DYNAMODB].sort(),
    );
    assert.match(stderr, new RegExp(`^wsgw: redirecting ${EXECUTE_API.replace(/\./g, '\\.')}:443 to`, 'm'));
  });

  test('Python: sitecustomize.py on PYTHONPATH, and the sitecustomize it shadows still runs', T, async () => {
    const before = aws.requests.length;
    const theirs = await makeProject({});
    await writeFile(path.join(theirs, 'sitecustomize.py'), 'import os\nos.environ["THEIRS_RAN"] = "yes"\n');
    const script = path.join(project, 'command.py');
    await writeFile(
      script,
      'import json, os, app\nout = app.handler({}, None)\nout["theirs"] = os.environ.get("THEIRS_RAN")\nprint(json.dumps(out))\n',
    );
    const { code, stdout, stderr } = await run('python3', [script], {
      ...tlsEnvironment(aws.port),
      AWS_ENDPOINT_URL_DYNAMODB: '',
      PYTHONPATH: `${path.join(HOSTS_DIR, 'preload')}:${theirs}`,
    });
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { post: 'ok', tables: ['from-the-stand-in'], theirs: 'yes' });
    assert.equal(aws.requests.length, before + 2);
    assert.match(stderr, new RegExp(`^wsgw: redirecting ${DYNAMODB.replace(/\./g, '\\.')}:443 to`, 'm'));
    assert.doesNotMatch(stderr, /Traceback/);
  });
});
