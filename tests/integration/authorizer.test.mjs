// Lambda REQUEST authorizers on $connect (AWS-NOTES §6), with the real binary and real `ws`
// clients: fixtures/projects/authorizer-node, whose Node authorizer records each call and whose
// app records each event. A missing identity source is 401 without calling the authorizer; Deny
// or a policy that does not cover the methodArn 403; "Unauthorized" 401; a crash or an answer
// that is not a policy 500; Allow runs $connect, and principalId and the context reach
// requestContext.authorizer of the $connect, message and $disconnect events.
import assert from 'node:assert/strict';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { connect, tryConnect } from './support/client.mjs';
import { makeTempDir, startGateway } from './support/gateway.mjs';

const T = { timeout: 60000 };
const FIXTURES =
  process.env.WSGW_FIXTURES || fileURLToPath(new URL('../../fixtures/', import.meta.url));
const PROJECT = path.join(FIXTURES, 'projects', 'authorizer-node');
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A copy of the fixture with the routes file changed by `edit`, served by a gateway; its
// functions write their records into a folder of their own (RECORDS_DIR).
async function startProject(edit = (routes) => routes) {
  const dir = await makeTempDir();
  const recordsDir = await makeTempDir();
  await cp(PROJECT, dir, { recursive: true });
  const file = path.join(dir, 'routes.json');
  const routes = edit(JSON.parse(await readFile(file, 'utf8')));
  for (const fn of Object.values(routes.functions)) fn.env = { RECORDS_DIR: recordsDir };
  await writeFile(file, JSON.stringify(routes));
  const gateway = await startGateway({ routes: [], args: ['--routes', file], readyTimeoutMs: 30000 });
  const records = async (name) => {
    try {
      const text = await readFile(path.join(recordsDir, name), 'utf8');
      return text.split('\n').filter(Boolean).map((line) => JSON.parse(line));
    } catch (error) {
      if (error.code === 'ENOENT') return [];
      throw error;
    }
  };
  return {
    gateway,
    authorizerCalls: () => records('authorizer-calls.jsonl'),
    events: () => records('events.jsonl'),
  };
}

async function until(check, what, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(25);
  }
}

const bearer = (token) => ({ headers: { Authorization: `Bearer ${token}` } });

// Asserts that the handshake was refused with `status` and AWS's body, after exactly `calls`
// more authorizer calls and no $connect event.
async function assertRefused(project, url, options, status, message, calls) {
  const callsBefore = (await project.authorizerCalls()).length;
  const connectsBefore = (await project.events()).length;
  const outcome = await tryConnect(url, options);
  assert.equal(outcome.opened, false, `expected ${status}, the socket opened`);
  assert.equal(outcome.status, status, outcome.error?.message ?? outcome.body);
  assert.deepEqual(JSON.parse(outcome.body), { message });
  // The authorizer's own file write comes before its answer, so the count is final here.
  assert.equal((await project.authorizerCalls()).length, callsBefore + calls, 'authorizer calls');
  assert.equal((await project.events()).length, connectsBefore, '$connect must not run');
}

describe('Lambda REQUEST authorizer on $connect', () => {
  test('Authorizer_RefusesWithAwsStatusesAndSaysWhyInTheLog', T, async () => {
    const project = await startProject();
    const { gateway } = project;
    try {
      const url = gateway.wsUrl;
      await assertRefused(project, url, {}, 401, 'Unauthorized', 0);
      await gateway.waitForLine(
        /authorizer token-auth: identity source route\.request\.header\.Authorization is missing or empty -> 401 \(authorizer not called\)/,
      );
      await assertRefused(project, url, { headers: { Authorization: '' } }, 401, 'Unauthorized', 0);

      await assertRefused(project, url, bearer('deny'), 403, 'Forbidden', 1);
      await gateway.waitForLine(
        /authorizer token-auth: Deny policy for arn:aws:execute-api:[a-z0-9-]+:123456789012:[a-z0-9]{10}\/dev\/\$connect -> 403/,
      );
      await assertRefused(project, url, bearer('rest-style'), 403, 'Forbidden', 1);
      await gateway.waitForLine(/authorizer token-auth: no Allow statement in the policy matches .* -> 403/);
      await assertRefused(project, url, bearer('unauthorized'), 401, 'Unauthorized', 1);
      await gateway.waitForLine(/authorizer token-auth: the authorizer raised "Unauthorized" -> 401/);
      await assertRefused(project, url, bearer('crash'), 500, 'Internal server error', 1);
      await gateway.waitForLine(/authorizer token-auth: function error: .*the authorizer crashed -> 500/);
      await assertRefused(project, url, bearer('garbage'), 500, 'Internal server error', 1);
      await gateway.waitForLine(/authorizer token-auth: malformed authorizer answer: no principalId -> 500/);

      // The gateway still serves: a wildcard Allow connects.
      const ws = await connect(url, bearer('wildcard'));
      ws.close();
    } finally {
      await gateway.stop();
    }
  });

  test('Authorizer_AllowRunsConnectAndEveryEventCarriesPrincipalAndContext', T, async () => {
    const project = await startProject();
    const { gateway } = project;
    try {
      const ws = await connect(`${gateway.wsUrl}?room=blue`, bearer('allow-alice'));
      const [call] = await project.authorizerCalls();
      const connectEvent = await until(
        async () => (await project.events()).find((e) => e.requestContext.eventType === 'CONNECT'),
        'the $connect event',
      );

      // What the authorizer was given (AWS-NOTES §6).
      const context = connectEvent.requestContext;
      assert.equal(call.type, 'REQUEST');
      assert.equal(
        call.methodArn,
        `arn:aws:execute-api:${call.methodArn.split(':')[3]}:123456789012:${context.apiId}/dev/$connect`,
      );
      assert.equal(call.headers.Authorization, 'Bearer allow-alice');
      assert.deepEqual(call.multiValueHeaders.Authorization, ['Bearer allow-alice']);
      assert.match(call.headers.Connection, /upgrade/i);
      assert.deepEqual(call.queryStringParameters, { room: 'blue' });
      assert.deepEqual(call.multiValueQueryStringParameters, { room: ['blue'] });
      assert.deepEqual(call.stageVariables, {});
      assert.equal(call.requestContext.eventType, 'CONNECT');
      assert.equal(call.requestContext.routeKey, '$connect');
      assert.equal(call.requestContext.connectionId, context.connectionId);
      assert.equal(call.requestContext.connectedAt, context.connectedAt);
      assert.equal(call.requestContext.authorizer, undefined);
      assert.equal(connectEvent.headers.Connection, undefined);

      // principalId and the context, stringified; integrationLatency only on $connect.
      const expected = { principalId: 'alice', tenant: 'acme', level: '3', admin: 'true' };
      const { integrationLatency, ...connectAuthorizer } = context.authorizer;
      assert.deepEqual(connectAuthorizer, expected);
      assert.equal(typeof integrationLatency, 'number');
      assert.ok(integrationLatency >= 0);

      ws.send('hello');
      assert.deepEqual(JSON.parse(await ws.nextMessage(5000)), expected);
      ws.close(1000, 'bye');
      const disconnect = await until(
        async () =>
          (await project.events()).find((e) => e.requestContext.eventType === 'DISCONNECT'),
        'the $disconnect event',
      );
      assert.equal(disconnect.requestContext.connectionId, context.connectionId);
      assert.deepEqual(disconnect.requestContext.authorizer, expected);
      const message = (await project.events()).find((e) => e.requestContext.eventType === 'MESSAGE');
      assert.deepEqual(message.requestContext.authorizer, expected);
      assert.equal((await project.authorizerCalls()).length, 1, 'one authorizer call per connect');
    } finally {
      await gateway.stop();
    }
  });

  test('Authorizer_QueryStringIdentitySource', T, async () => {
    const project = await startProject((routes) => {
      routes.routes.$connect.authorizer.identitySource = ['route.request.querystring.token'];
      return routes;
    });
    const { gateway } = project;
    try {
      const url = gateway.wsUrl;
      // A header is no substitute for the query parameter, and an empty value is missing.
      await assertRefused(project, url, bearer('allow-x'), 401, 'Unauthorized', 0);
      await assertRefused(project, `${url}?token=`, {}, 401, 'Unauthorized', 0);
      await assertRefused(project, `${url}?Token=allow-bob`, {}, 401, 'Unauthorized', 0);
      await gateway.waitForLine(/identity source route\.request\.querystring\.token is missing or empty -> 401/);
      await assertRefused(project, `${url}?token=deny`, {}, 403, 'Forbidden', 1);

      const ws = await connect(`${url}?token=allow-bob`);
      const connectEvent = await until(
        async () => (await project.events()).find((e) => e.requestContext.eventType === 'CONNECT'),
        'the $connect event',
      );
      assert.equal(connectEvent.requestContext.authorizer.principalId, 'bob');
      assert.equal(connectEvent.queryStringParameters.token, 'allow-bob');
      ws.close();
    } finally {
      await gateway.stop();
    }
  });
});
