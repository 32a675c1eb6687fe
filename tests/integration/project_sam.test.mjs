// A SAM project run as it is (issue 16): fixtures/projects/sam-python/template.yaml, with its
// ApiGatewayV2 WebSocket API, a REQUEST authorizer on $connect (?token=), four Python functions
// (CodeUri src/) and a connections table,
// started with `--config template.yaml`; real `ws` clients, the table read over the DynamoDB
// endpoint on the same port. And a broken template: file:line and exit 2.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

import { connect, tryConnect } from './support/client.mjs';
import { clientConfig } from './support/dynamodb.mjs';
import { makeTempDir, startGateway, WSGW_BIN } from './support/gateway.mjs';
import { awsCredentials as credentials, FIXTURES, until } from './support/projects.mjs';

const SAM = path.join(FIXTURES, 'projects', 'sam-python');

async function connections(doc) {
  const { Items } = await doc.send(
    new ScanCommand({ TableName: 'chat-connections', ConsistentRead: true }),
  );
  return Items;
}

async function connectionIds(doc) {
  return (await connections(doc)).map((item) => item.connectionId).sort();
}

function startSam() {
  return startGateway({
    routes: [],
    args: ['--config', path.join(SAM, 'template.yaml'), '--dynamodb-in-memory'],
    env: credentials,
    readyTimeoutMs: 30000,
  });
}

describe('SAM template (fixtures/projects/sam-python)', () => {
  test('ProjectSam_MessageReachesTheOtherClientInTheRoomAndTheTableHoldsLiveConnections', async () => {
    const gateway = await startSam();
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient(clientConfig(`http://127.0.0.1:${gateway.port}`)),
    );
    try {
      assert.equal(gateway.ready.apis[0].stage, 'dev');
      assert.match(gateway.wsUrl, /\/dev$/);
      const alice = await connect(`${gateway.wsUrl}?room=blue&token=alice`);
      const bob = await connect(`${gateway.wsUrl}?room=blue&token=bob`);
      const carol = await connect(`${gateway.wsUrl}?room=red&token=carol`);
      await until(async () => (await connectionIds(doc)).length === 3, 'three connections');

      const received = bob.nextMessage(10000);
      alice.send(JSON.stringify({ action: 'sendmessage', text: 'hello blue' }));
      const message = JSON.parse(await received);
      assert.equal(message.room, 'blue');
      assert.equal(message.text, 'hello blue');
      // The authorizer's principalId, from the sendmessage event's requestContext.authorizer.
      assert.equal(message.user, 'alice');
      // The route response of sendmessage comes back to alice; carol (another room) gets nothing.
      const answer = JSON.parse(await alice.nextMessage(10000));
      assert.equal(answer.sent, 1);
      await assert.rejects(carol.nextMessage(300));

      carol.close();
      await until(async () => (await connectionIds(doc)).length === 2, 'carol deleted');
      alice.close();
      bob.close();
      await until(async () => (await connectionIds(doc)).length === 0, 'an empty table');
    } finally {
      doc.destroy();
      await gateway.stop();
    }
  });

  test('ProjectSam_TokenAuthorizerRefusesAndItsContextReachesConnect', async () => {
    const gateway = await startSam();
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient(clientConfig(`http://127.0.0.1:${gateway.port}`)),
    );
    try {
      const refusals = [
        // No ?token=: API Gateway answers without calling the authorizer.
        { query: '?room=blue', status: 401, message: 'Unauthorized' },
        { query: '?token=', status: 401, message: 'Unauthorized' },
        // The Python authorizer raises Exception("Unauthorized").
        { query: '?token=unauthorized', status: 401, message: 'Unauthorized' },
        { query: '?token=deny', status: 403, message: 'Forbidden' },
      ];
      for (const { query, status, message } of refusals) {
        const outcome = await tryConnect(`${gateway.wsUrl}${query}`);
        assert.equal(outcome.opened, false, query);
        assert.equal(outcome.status, status, `${query}: ${outcome.body}`);
        assert.deepEqual(JSON.parse(outcome.body), { message });
      }
      await gateway.waitForLine(
        /authorizer token-authorizer: identity source route\.request\.querystring\.token is missing or empty -> 401 \(authorizer not called\)/,
      );
      await gateway.waitForLine(/authorizer token-authorizer: Deny policy for .*\/dev\/\$connect -> 403/);
      assert.deepEqual(await connections(doc), [], 'no refused client reached $connect');

      // principalId and the context (a number, stringified) in the $connect event.
      const dave = await connect(`${gateway.wsUrl}?token=dave`);
      await until(async () => (await connections(doc)).length === 1, "dave's connection");
      const [item] = await connections(doc);
      assert.equal(item.user, 'dave');
      assert.equal(item.tokenLength, String('dave'.length));
      dave.close();
      await until(async () => (await connections(doc)).length === 0, 'an empty table');
    } finally {
      doc.destroy();
      await gateway.stop();
    }
  });

  test('ProjectSam_BrokenTemplateNamesFileAndLineAndExits2', async () => {
    const dir = await makeTempDir();
    const file = path.join(dir, 'template.yaml');
    await writeFile(
      file,
      [
        'Resources:',
        '  Api:',
        '    Type: AWS::ApiGatewayV2::Api',
        '    Properties: {ProtocolType: WEBSOCKET}',
        '  Fn:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        '      Runtime: java21',
        '      Handler: app.handler',
        '',
      ].join('\n'),
    );
    const { code, stderr } = await new Promise((resolve) => {
      execFile(WSGW_BIN, ['--check', file], (error, _stdout, stderrText) =>
        resolve({ code: error ? error.code : 0, stderr: stderrText }),
      );
    });
    assert.equal(code, 2);
    assert.match(stderr, /template\.yaml:2: Resources\.Api: expected at least one AWS::ApiGatewayV2::Route/);

    await writeFile(file, 'Resources:\n  Api: [\n');
    const bad = await new Promise((resolve) => {
      execFile(WSGW_BIN, ['--config', file, '--port', '0'], (error, _stdout, stderrText) =>
        resolve({ code: error ? error.code : 0, stderr: stderrText }),
      );
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /template\.yaml:\d+:\d+: \(template\): expected a YAML or JSON template/);
  });
});
