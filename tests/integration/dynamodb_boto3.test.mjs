// The DynamoDB endpoint driven by Python's boto3 (client and resource `Table` with
// boto3.dynamodb.conditions, support/ddb_boto3.py) and by the AWS CLI, Debian's packages both.
// Same target choice as dynamodb_sdk.test.mjs (support/dynamodb.mjs).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { awsEnv, dynamoTarget, startDynamo } from './support/dynamodb.mjs';

const T = { timeout: 90000 };
const HERE = path.dirname(fileURLToPath(import.meta.url));
const BOTO3_SCRIPT = path.join(HERE, 'support', 'ddb_boto3.py');
// Debian's python3 with python3-boto3 and Debian's awscli, not whatever is first on PATH.
const SYSTEM_PYTHON = '/usr/bin/python3';
const SYSTEM_AWS = '/usr/bin/aws';

const target = await dynamoTarget();
let dynamo;

before(async () => {
  dynamo = await startDynamo({ target });
});
after(() => dynamo?.stop());

// Runs a program; resolves with {code, stdout, stderr}, never rejecting for a non-zero exit.
function run(file, args, { env = {}, timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') {
          reject(new Error(`${file} ${args.join(' ')}: ${error.message}\n${stderr}`));
          return;
        }
        resolve({ code: error ? error.code : 0, stdout, stderr });
      },
    );
  });
}

describe(`DynamoDB through boto3 and the AWS CLI (${target})`, () => {
  test('boto3 client and resource Table: Key/Attr conditions, errors, waiters', T, async () => {
    const { code, stdout, stderr } = await run(SYSTEM_PYTHON, [BOTO3_SCRIPT, dynamo.endpoint], {
      env: awsEnv(dynamo.endpoint),
    });
    assert.equal(code, 0, `ddb_boto3.py failed:\n${stderr}`);
    const out = JSON.parse(stdout);

    assert.equal(out.created, 'ACTIVE');
    assert.deepEqual(out.query_between, ['5', '6', '7', '8', '9']);
    assert.deepEqual(out.query_desc_page, { ts: ['20', '19', '18'], more: true });
    const expected = [];
    for (const room of ['a', 'b']) for (let ts = 11; ts <= 20; ts += 2) expected.push([room, String(ts)]);
    assert.deepEqual(out.scan_filtered, expected);
    // 40 items read 7 at a time: 6 pages, a 7th only if the 6th (5 items) carried a key.
    assert.ok(out.scan_pages >= 6 && out.scan_pages <= 7, `${out.scan_pages} scan pages`);
    assert.equal(out.put_new, 'ok');
    assert.deepEqual(out.put_existing, { code: 'ConditionalCheckFailedException', status: 400, caught: true });
    assert.deepEqual(out.update, { id: 'c1', room: 'a', visits: '1', tags: ['x'] });
    assert.equal(out.get_missing, false);
    assert.deepEqual(out.low_level, {
      id: { S: 'c1' },
      room: { S: 'a' },
      visits: { N: '1' },
      tags: { L: [{ S: 'x' }] },
    });
    assert.deepEqual(out.missing_table, { code: 'ResourceNotFoundException', status: 400 });
    assert.equal(out.deleted, 0);
  });

  test('aws dynamodb create-table, put-item, get-item, query', T, async () => {
    const env = awsEnv(dynamo.endpoint);
    const aws = async (...args) => {
      const result = await run(SYSTEM_AWS, ['dynamodb', ...args, '--endpoint-url', dynamo.endpoint, '--output', 'json'], { env });
      return { ...result, json: result.stdout.trim() ? JSON.parse(result.stdout) : undefined };
    };

    const created = await aws(
      'create-table',
      '--table-name', 'cli_notes',
      '--attribute-definitions', 'AttributeName=owner,AttributeType=S', 'AttributeName=n,AttributeType=N',
      '--key-schema', 'AttributeName=owner,KeyType=HASH', 'AttributeName=n,KeyType=RANGE',
      '--billing-mode', 'PAY_PER_REQUEST',
    );
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.json.TableDescription.TableName, 'cli_notes');
    const waited = await aws('wait', 'table-exists', '--table-name', 'cli_notes');
    assert.equal(waited.code, 0, waited.stderr);

    for (const n of [3, 1, 2]) {
      const put = await aws(
        'put-item', '--table-name', 'cli_notes',
        '--item', JSON.stringify({ owner: { S: 'ann' }, n: { N: String(n) }, body: { S: `note ${n}` } }),
      );
      assert.equal(put.code, 0, put.stderr);
    }
    const refused = await aws(
      'put-item', '--table-name', 'cli_notes',
      '--item', JSON.stringify({ owner: { S: 'ann' }, n: { N: '1' } }),
      '--condition-expression', 'attribute_not_exists(n)',
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /ConditionalCheckFailedException/);

    const got = await aws(
      'get-item', '--table-name', 'cli_notes',
      '--key', JSON.stringify({ owner: { S: 'ann' }, n: { N: '2' } }),
    );
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(got.json.Item, { owner: { S: 'ann' }, n: { N: '2' }, body: { S: 'note 2' } });

    const queried = await aws(
      'query', '--table-name', 'cli_notes',
      '--key-condition-expression', '#o = :o AND n >= :min',
      '--expression-attribute-names', JSON.stringify({ '#o': 'owner' }),
      '--expression-attribute-values', JSON.stringify({ ':o': { S: 'ann' }, ':min': { N: '2' } }),
    );
    assert.equal(queried.code, 0, queried.stderr);
    assert.deepEqual(queried.json.Items.map((item) => item.n.N), ['2', '3']);
    assert.equal(queried.json.Count, 2);

    const missing = await aws('describe-table', '--table-name', 'cli_nowhere');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /ResourceNotFoundException/);
  });
});
