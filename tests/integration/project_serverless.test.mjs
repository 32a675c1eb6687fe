// A Serverless Framework TypeScript service run as it is (issue 16):
// fixtures/projects/serverless-ts, started with a bare `wsgw-emulate` in its folder. Its
// serverless.yml builds names from ${self:}, ${sls:stage}, ${opt:stage, 'dev'}, ${file()}, ${env:}
// (from .env with useDotenv) and ${aws:region}; declares both tables under resources.Resources
// (the rooms table with a GSI); puts a REQUEST authorizer reading ?token= on $connect; and its
// handlers are .ts files importing the AWS SDK. Real `ws` clients; the tables are read over the
// DynamoDB endpoint on the gateway's port.
//
// The project is copied into tests/.tmp-XXXXXX so its imports resolve from tests/node_modules,
// as a deployed function's resolve from its own node_modules.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

import { connect, tryConnect } from './support/client.mjs';
import { clientConfig } from './support/dynamodb.mjs';
import { startGateway, WSGW_BIN } from './support/gateway.mjs';
import {
  awsCredentials as credentials,
  copyProject,
  removeProjectCopies,
  until,
} from './support/projects.mjs';

const T = { timeout: 90000 };

after(removeProjectCopies);

// A bare `wsgw-emulate` in the project folder `root` (discovery), DynamoDB in memory.
function startIn(root, ...args) {
  return startGateway({
    routes: [],
    args: ['--dynamodb-in-memory', ...args],
    env: credentials,
    cwd: root,
    readyTimeoutMs: 30000,
  });
}

const documentClient = (gateway) =>
  DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(`http://127.0.0.1:${gateway.port}`)));

async function scan(doc, TableName) {
  const { Items } = await doc.send(new ScanCommand({ TableName, ConsistentRead: true }));
  return Items;
}

function run(args, cwd) {
  return new Promise((resolve) => {
    execFile(WSGW_BIN, args, { cwd, env: { ...process.env, ...credentials } }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
}

describe('serverless.yml (fixtures/projects/serverless-ts)', () => {
  test('ProjectServerless_BareCommandFindsTheServiceAndRoomsGetTheirMessages', T, async () => {
    const root = await copyProject('serverless-ts');
    const gateway = await startIn(root);
    const doc = documentClient(gateway);
    try {
      assert.ok(gateway.stdoutLines().includes('Using serverless.yml'), gateway.lines().join('\n'));
      // Warned, with file:line: the plugin wsgw does not run and the HTTP-only function.
      assert.ok(
        gateway.lines().some((l) => /serverless\.yml:\d+: plugins\[2\]: plugin serverless-plugin-warmup/.test(l)),
      );
      assert.ok(gateway.lines().some((l) => /functions: health has no websocket event/.test(l)));
      // provider.stage: ${opt:stage, 'dev'}; websocketsApiName: ${self:service}-ws-${sls:stage}.
      assert.equal(gateway.ready.apis[0].stage, 'dev');
      assert.equal(gateway.ready.apis[0].name, 'rooms-chat-ws-dev');

      // Both tables exist under the names the variables give, the GSI with them.
      const { Table } = await doc.send(
        new DescribeTableCommand({ TableName: 'rooms-chat-rooms-dev' }),
      );
      assert.deepEqual(
        Table.GlobalSecondaryIndexes.map((index) => index.IndexName),
        ['byConnection'],
      );

      const alice = await connect(`${gateway.wsUrl}?roomId=blue&token=alice`);
      const bob = await connect(`${gateway.wsUrl}?roomId=blue&token=bob`);
      const carol = await connect(`${gateway.wsUrl}?roomId=red&token=carol`);
      await until(
        async () => (await scan(doc, 'rooms-chat-connections-dev')).length === 3,
        'three connections',
      );
      const rooms = await scan(doc, 'rooms-chat-rooms-dev');
      assert.deepEqual(rooms.map((r) => r.roomId).sort(), ['blue', 'blue', 'red']);

      const received = bob.nextMessage(10000);
      alice.send(JSON.stringify({ action: 'sendmessage', text: 'hello blue' }));
      const message = JSON.parse(await received);
      assert.equal(message.roomId, 'blue');
      assert.equal(message.text, 'hello blue');
      // The authorizer's principalId and context reach the later events of the connection.
      assert.equal(message.from, 'alice');
      assert.equal(message.principalId, 'user-alice');
      assert.deepEqual(JSON.parse(await alice.nextMessage(10000)), { sent: 1 });
      await assert.rejects(carol.nextMessage(300));

      // $default: the greeting from config/dev.yml, the secret from .env, aws:region.
      carol.send(JSON.stringify({ action: 'nothing-known' }));
      const fallback = JSON.parse(await carol.nextMessage(10000));
      assert.equal(fallback.error, 'unknown action');
      assert.equal(fallback.greeting, 'hello from the dev config');
      assert.equal(fallback.stage, 'dev');
      assert.equal(fallback.region, 'eu-west-1');
      assert.equal(fallback.authorizer.principalId, 'user-carol');
      assert.equal(fallback.authorizer.secret, 's3cret-from-dotenv');

      carol.close();
      await until(
        async () => (await scan(doc, 'rooms-chat-connections-dev')).length === 2,
        'carol deleted',
      );
      assert.deepEqual(
        (await scan(doc, 'rooms-chat-rooms-dev')).map((r) => r.roomId),
        ['blue', 'blue'],
      );
      alice.close();
      bob.close();
      await until(
        async () => (await scan(doc, 'rooms-chat-rooms-dev')).length === 0,
        'rooms empty',
      );
    } finally {
      doc.destroy();
      gateway.proc.kill('SIGTERM');
      await gateway.exited;
    }
  });

  test('ProjectServerless_AuthorizerRefusesWithTheStatusApiGatewayGives', T, async () => {
    const root = await copyProject('serverless-ts');
    const gateway = await startIn(root);
    try {
      // identitySource route.request.querystring.token missing: 401 before the authorizer runs.
      const missing = await tryConnect(`${gateway.wsUrl}?roomId=blue`);
      assert.equal(missing.status, 401);
      const denied = await tryConnect(`${gateway.wsUrl}?roomId=blue&token=deny`);
      assert.equal(denied.status, 403);
      const unauthorized = await tryConnect(`${gateway.wsUrl}?roomId=blue&token=unauthorized`);
      assert.equal(unauthorized.status, 401);
      // Allowed by the authorizer, refused by $connect itself (no roomId): its own status.
      const noRoom = await tryConnect(`${gateway.wsUrl}?token=dave`);
      assert.equal(noRoom.opened, false);
      assert.equal(noRoom.status, 400);
    } finally {
      gateway.proc.kill('SIGTERM');
      await gateway.exited;
    }
  });

  test('ProjectServerless_StageOptionRenamesTablesAndPicksItsConfigFile', T, async () => {
    const root = await copyProject('serverless-ts');
    const checked = await run(['--check', 'serverless.yml', '--stage', 'prod'], root);
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /serverless\.yml: ok \(rooms-chat-ws-prod, stage prod, 4 routes/);

    const gateway = await startIn(root, '--stage', 'prod');
    const doc = documentClient(gateway);
    try {
      assert.match(gateway.wsUrl, /\/prod$/);
      const ws = await connect(`${gateway.wsUrl}?roomId=green&token=erin`);
      await until(
        async () => (await scan(doc, 'rooms-chat-connections-prod')).length === 1,
        'the prod table holds the connection',
      );
      ws.send(JSON.stringify({ action: 'what' }));
      assert.equal(JSON.parse(await ws.nextMessage(10000)).greeting, 'hello from the prod config');
      ws.close();
    } finally {
      doc.destroy();
      gateway.proc.kill('SIGTERM');
      await gateway.exited;
    }
  });

  test('ProjectServerless_BrokenServiceNamesFileLineKeyAndFixAndStartsNothing', T, async () => {
    const root = await copyProject('serverless-ts');
    await writeFile(
      path.join(root, 'serverless.yml'),
      [
        'service: broken',
        'provider:',
        '  name: aws',
        '  runtime: ruby3.2',
        '  environment:',
        '    TOKEN: ${env:WSGW_SURELY_UNSET_VARIABLE}',
        '    SECRET: ${ssm:/prod/secret}',
        'functions:',
        '  connect:',
        '    handler: src/handlers/connect.handler',
        '    events:',
        '      - websocket:',
        '          route: $connect',
        '          authorizer: arn:aws:lambda:us-east-1:123456789012:function:auth',
        '',
      ].join('\n'),
    );
    const result = await run([], root);
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(
      result.stderr,
      /serverless\.yml:6: provider\.environment\.TOKEN: expected a value from \$\{env:WSGW_SURELY_UNSET_VARIABLE\} \(set WSGW_SURELY_UNSET_VARIABLE in the environment/,
    );
    assert.match(
      result.stderr,
      /warning: .*serverless\.yml:7: provider\.environment\.SECRET: \$\{ssm:\/prod\/secret\}: the ssm source reads deployed AWS resources/,
    );
    assert.match(
      result.stderr,
      /serverless\.yml:14: functions\.connect\.events\[0\]\.websocket\.authorizer: expected the name of a function in this service/,
    );
    assert.match(result.stderr, /problems found; nothing was started/);

    // With the variables fixed, the runtime is named where it is written.
    await writeFile(
      path.join(root, 'serverless.yml'),
      [
        'service: broken',
        'provider:',
        '  name: aws',
        '  runtime: ruby3.2',
        'functions:',
        '  connect:',
        '    handler: src/handlers/connect.handler',
        '    events:',
        '      - websocket: $connect',
        '',
      ].join('\n'),
    );
    const runtime = await run(['--check', 'serverless.yml'], root);
    assert.equal(runtime.code, 2);
    assert.match(
      runtime.stderr,
      /serverless\.yml:4: provider\.runtime: expected a runtime wsgw runs: nodejs\* .* found "ruby3\.2"/,
    );
  });
});
