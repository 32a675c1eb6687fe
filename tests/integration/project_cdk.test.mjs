// A CDK app run as it is (issue 16): fixtures/projects/cdk-node, whose cdk.out/ holds what
// `cdk synth` writes (ChatStack.template.json with CDK's logical ids, Fn::Join-built integration
// URIs, NodejsFunction assets bundled to CommonJS, IAM, CDKMetadata with its Condition, the
// BootstrapVersion parameter and Rules). wsgw-emulate runs in the project folder with no
// --routes or --config, so discovery must find cdk.out/ChatStack.template.json and say so. The
// project is copied into tests/.tmp-XXXXXX so that the assets' external @aws-sdk/* resolve from
// tests/node_modules, as Lambda's runtime provides them. Real `ws` clients; the connections table
// read over the DynamoDB endpoint of the ready file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import { DynamoDBClient, DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

import { connect } from './support/client.mjs';
import { clientConfig } from './support/dynamodb.mjs';
import { startGateway, WSGW_BIN } from './support/gateway.mjs';
import {
  awsCredentials as credentials,
  copyProject as copy,
  FIXTURES,
  removeProjectCopies,
  until,
} from './support/projects.mjs';

const CDK = path.join(FIXTURES, 'projects', 'cdk-node');
// What CloudFormation would name the table: the stack and the logical id (no random suffix here).
const TABLE = 'ChatStack-ConnectionsTable8000B8A1';
const T = { timeout: 90000 };

after(removeProjectCopies);
const copyProject = () => copy('cdk-node', CDK);

// {connectionId: item} of every row of the connections table.
async function rows(doc) {
  const { Items } = await doc.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
  return Object.fromEntries(Items.map((item) => [item.connectionId, item]));
}

function run(args, cwd) {
  return new Promise((resolve) => {
    execFile(WSGW_BIN, args, { cwd }, (error, stdout, stderr) =>
      resolve({ code: error ? error.code : 0, stdout, stderr }),
    );
  });
}

describe('CDK app (fixtures/projects/cdk-node, cdk.out committed)', () => {
  test(
    'ProjectCdk_DiscoveredInTheProjectFolder_MessagesReachTheRoomAndTheTableHoldsLiveConnections',
    T,
    async () => {
      const project = await copyProject();
      const gateway = await startGateway({
        routes: [],
        args: ['--dynamodb-in-memory'],
        env: credentials,
        cwd: project,
        readyTimeoutMs: 30000,
      });
      const doc = DynamoDBDocumentClient.from(
        new DynamoDBClient(clientConfig(gateway.ready.dynamodbEndpoint)),
      );
      try {
        assert.ok(
          gateway.stdoutLines().includes(`Using ${path.join('cdk.out', 'ChatStack.template.json')}`),
          gateway.lines().join('\n'),
        );
        assert.equal(gateway.ready.apis.length, 1);
        assert.equal(gateway.ready.apis[0].name, 'cdk-chat');
        assert.equal(gateway.ready.apis[0].stage, 'prod');
        assert.match(gateway.wsUrl, /\/prod$/);

        // The table as the template declares it: its GSI and TTL.
        const { Table } = await doc.send(new DescribeTableCommand({ TableName: TABLE }));
        assert.deepEqual(Table.KeySchema, [{ AttributeName: 'connectionId', KeyType: 'HASH' }]);
        assert.deepEqual(
          Table.GlobalSecondaryIndexes.map((index) => [index.IndexName, index.Projection.ProjectionType]),
          [['byRoom', 'KEYS_ONLY']],
        );
        const ttl = await doc.send(new DescribeTimeToLiveCommand({ TableName: TABLE }));
        assert.equal(ttl.TimeToLiveDescription.AttributeName, 'expiresAt');
        assert.equal(ttl.TimeToLiveDescription.TimeToLiveStatus, 'ENABLED');

        const alice = await connect(`${gateway.wsUrl}?room=blue`);
        const bob = await connect(`${gateway.wsUrl}?room=blue`);
        const carol = await connect(`${gateway.wsUrl}?room=red`);
        const live = await until(async () => {
          const now = await rows(doc);
          return Object.keys(now).length === 3 && now;
        }, 'three connections in the table');
        const rooms = Object.values(live).map((item) => item.roomId).sort();
        assert.deepEqual(rooms, ['blue', 'blue', 'red']);
        for (const item of Object.values(live)) {
          assert.ok(item.expiresAt > Date.now() / 1000, `expiresAt in the future: ${item.expiresAt}`);
        }

        const received = bob.nextMessage(10000);
        alice.send(JSON.stringify({ action: 'sendmessage', text: 'hello blue' }));
        const message = JSON.parse(await received);
        assert.equal(message.room, 'blue');
        assert.equal(message.text, 'hello blue');
        assert.ok(message.from in live, `${message.from} is a connection of the table`);
        assert.equal(live[message.from].roomId, 'blue');
        // sendmessage has a route response: alice hears how many got it; carol hears nothing.
        assert.deepEqual(JSON.parse(await alice.nextMessage(10000)), { sent: 1 });
        await assert.rejects(carol.nextMessage(300));

        // Alone in red: carol's message reaches nobody, and says so.
        carol.send(JSON.stringify({ action: 'sendmessage', text: 'anyone?' }));
        assert.deepEqual(JSON.parse(await carol.nextMessage(10000)), { sent: 0 });
        await assert.rejects(bob.nextMessage(300));

        carol.close();
        await until(async () => Object.keys(await rows(doc)).length === 2, 'carol deleted');
        assert.deepEqual(
          Object.values(await rows(doc)).map((item) => item.roomId),
          ['blue', 'blue'],
        );
        alice.close();
        bob.close();
        await until(async () => Object.keys(await rows(doc)).length === 0, 'an empty table');
        console.log(`# start-to-ready ${Math.round(gateway.readyMs)} ms`);
      } finally {
        doc.destroy();
        await gateway.stop();
      }
    },
  );

  test('ProjectCdk_AssetFolderMissingIsAProblemNamingTheTemplateLineAndExits2', T, async () => {
    const project = await copyProject();
    await rm(path.join(project, 'cdk.out', 'asset.8283ac49ff97016d1d7ee7a582c3373bb9f629975a1596bded7f2386053de06e'), {
      recursive: true,
    });
    const { code, stdout, stderr } = await run(['--port', '0'], project);
    assert.equal(code, 2, stderr);
    assert.match(stdout, /Using cdk\.out\/ChatStack\.template\.json/);
    assert.match(
      stderr,
      /cdk\.out\/ChatStack\.template\.json:\d+: Resources\.ConnectHandler2FFD52D8\.Metadata\.aws:asset:path: expected a folder with the function's code/,
    );
    assert.match(stderr, /run `cdk synth`/);
  });

  test('ProjectCdk_ContainerImageFunctionIsRefusedWithWordsAUserCanActOn', T, async () => {
    const project = await copyProject();
    const file = path.join(project, 'cdk.out', 'ChatStack.template.json');
    const template = JSON.parse(await readFile(file, 'utf8'));
    const fn = template.Resources.SendMessageHandlerDCEABF13;
    fn.Properties = {
      Code: { ImageUri: { 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${AWS::Region}.${AWS::URLSuffix}/cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}:abc' } },
      PackageType: 'Image',
      Role: fn.Properties.Role,
    };
    await writeFile(file, JSON.stringify(template, null, 1));
    const { code, stderr } = await run(['--check', file], project);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /Resources\.SendMessageHandlerDCEABF13\.Properties\.PackageType: expected "Zip"/);
  });
});
