// The DynamoDB endpoint driven by the AWS SDK for JavaScript v3, as a function would drive it:
// DynamoDBClient for the wire-level types, DynamoDBDocumentClient for plain JavaScript values.
//
// Runs against wsgw-emulate's DynamoDB stand-in, or against dynalite until wsgw serves DynamoDB
// (support/dynamodb.mjs picks; WSGW_DYNAMODB_TARGET=wsgw|dynalite overrides). A test of an
// operation dynalite does not implement is skipped on dynalite only, with the reason; on wsgw
// every test runs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  paginateListTables,
  PutItemCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  waitUntilTableNotExists,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  NumberValue,
  paginateQuery,
  paginateScan,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

import { clientConfig, dynamoTarget, errorName, rawRequest, startDynamo } from './support/dynamodb.mjs';

const T = { timeout: 60000 };
const target = await dynamoTarget();
// dynalite 4.0.0 implements 17 operations (its index.js `validOperations`); these are not among
// them and it answers UnknownOperationException.
const dynaliteLacks = (what) =>
  target === 'dynalite' ? `dynalite 4.0.0 does not implement ${what}` : false;

let dynamo;
let client;
let doc;
let docExact;

const MESSAGES = 'messages';
const ITEMS = 'items';

// Resolves with the error `promise` rejects with; fails when it resolves.
async function rejection(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('the call succeeded');
}

async function createTable(input) {
  await client.send(new CreateTableCommand({ BillingMode: 'PAY_PER_REQUEST', ...input }));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, {
    TableName: input.TableName,
  });
}

// BatchWrite in chunks of 25, resending UnprocessedItems as the SDK docs tell callers to.
async function batchPut(table, items) {
  for (let start = 0; start < items.length; start += 25) {
    let requests = { [table]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) };
    for (let attempt = 0; Object.keys(requests).length; attempt += 1) {
      assert.ok(attempt < 10, 'BatchWrite left items unprocessed ten times');
      const { UnprocessedItems } = await doc.send(new BatchWriteCommand({ RequestItems: requests }));
      requests = UnprocessedItems ?? {};
    }
  }
}

async function collectPages(paginator) {
  const pages = [];
  for await (const page of paginator) pages.push(page);
  return pages;
}

before(async () => {
  dynamo = await startDynamo({ target });
  client = new DynamoDBClient(clientConfig(dynamo.endpoint));
  doc = DynamoDBDocumentClient.from(client);
  // Its own DynamoDBClient: DocumentClient.from() keeps its options in the client's config.
  docExact = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig(dynamo.endpoint)), {
    unmarshallOptions: { wrapNumbers: true },
  });
  await createTable({
    TableName: MESSAGES,
    AttributeDefinitions: [
      { AttributeName: 'room', AttributeType: 'S' },
      { AttributeName: 'ts', AttributeType: 'N' },
      { AttributeName: 'author', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'room', KeyType: 'HASH' },
      { AttributeName: 'ts', KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byAuthor',
        KeySchema: [
          { AttributeName: 'author', KeyType: 'HASH' },
          { AttributeName: 'ts', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  });
  await createTable({
    TableName: ITEMS,
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  });
});
after(async () => {
  client?.destroy();
  docExact?.destroy();
  await dynamo?.stop();
});

describe(`DynamoDB through the JS SDK v3 (${target})`, () => {
  test('CreateTable makes a hash+range table with a GSI, on demand, that waitUntilTableExists sees ACTIVE', T, async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: MESSAGES }));
    assert.equal(Table.TableName, MESSAGES);
    assert.equal(Table.TableStatus, 'ACTIVE');
    assert.deepEqual(Table.KeySchema, [
      { AttributeName: 'room', KeyType: 'HASH' },
      { AttributeName: 'ts', KeyType: 'RANGE' },
    ]);
    assert.equal(Table.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
    assert.match(Table.TableArn, /^arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table\/messages$/);
    assert.equal(Table.GlobalSecondaryIndexes.length, 1);
    const [index] = Table.GlobalSecondaryIndexes;
    assert.equal(index.IndexName, 'byAuthor');
    assert.equal(index.IndexStatus, 'ACTIVE');
    assert.deepEqual(index.Projection, { ProjectionType: 'ALL' });
    assert.match(index.IndexArn, /:table\/messages\/index\/byAuthor$/);

    const again = await rejection(
      client.send(
        new CreateTableCommand({
          TableName: ITEMS,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      ),
    );
    assert.equal(again.name, 'ResourceInUseException');
    assert.equal(again.$metadata.httpStatusCode, 400);
  });

  test('PutItem, GetItem and DeleteItem round-trip an item (client and DocumentClient)', T, async () => {
    await client.send(
      new PutItemCommand({ TableName: ITEMS, Item: { id: { S: 'pgd' }, color: { S: 'red' }, n: { N: '7' } } }),
    );
    const low = await client.send(new GetItemCommand({ TableName: ITEMS, Key: { id: { S: 'pgd' } } }));
    assert.deepEqual(low.Item, { id: { S: 'pgd' }, color: { S: 'red' }, n: { N: '7' } });

    const put = await doc.send(
      new PutCommand({ TableName: ITEMS, Item: { id: 'pgd', color: 'blue' }, ReturnValues: 'ALL_OLD' }),
    );
    assert.deepEqual(put.Attributes, { id: 'pgd', color: 'red', n: 7 }, 'a put replaces the whole item');
    assert.deepEqual((await doc.send(new GetCommand({ TableName: ITEMS, Key: { id: 'pgd' } }))).Item, {
      id: 'pgd',
      color: 'blue',
    });

    const projected = await doc.send(
      new GetCommand({ TableName: ITEMS, Key: { id: 'pgd' }, ProjectionExpression: 'color', ConsistentRead: true }),
    );
    assert.deepEqual(projected.Item, { color: 'blue' });

    const deleted = await doc.send(
      new DeleteCommand({ TableName: ITEMS, Key: { id: 'pgd' }, ReturnValues: 'ALL_OLD' }),
    );
    assert.deepEqual(deleted.Attributes, { id: 'pgd', color: 'blue' });
    const gone = await doc.send(new GetCommand({ TableName: ITEMS, Key: { id: 'pgd' } }));
    assert.equal(gone.Item, undefined);
    const deleteMissing = await doc.send(
      new DeleteCommand({ TableName: ITEMS, Key: { id: 'pgd' }, ReturnValues: 'ALL_OLD' }),
    );
    assert.equal(deleteMissing.Attributes, undefined, 'deleting a missing item is no error');
  });

  test('UpdateItem: SET with +, if_not_exists and list_append; REMOVE; ADD; DELETE; ReturnValues', T, async () => {
    const key = { id: 'upd' };
    const created = await doc.send(
      new UpdateCommand({
        TableName: ITEMS,
        Key: key,
        UpdateExpression:
          'SET score = if_not_exists(score, :zero) + :five, tags = list_append(if_not_exists(tags, :empty), :first), note = :note',
        ExpressionAttributeValues: { ':zero': 0, ':five': 5, ':empty': [], ':first': ['a'], ':note': 'hi' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    assert.deepEqual(created.Attributes, { id: 'upd', score: 5, tags: ['a'], note: 'hi' });

    const updatedOld = await doc.send(
      new UpdateCommand({
        TableName: ITEMS,
        Key: key,
        UpdateExpression: 'SET score = score + :two, tags = list_append(:front, tags) REMOVE note',
        ExpressionAttributeValues: { ':two': 2, ':front': ['z'] },
        ReturnValues: 'UPDATED_OLD',
      }),
    );
    assert.deepEqual(updatedOld.Attributes, { score: 5, tags: ['a'], note: 'hi' });

    const added = await client.send(
      new UpdateItemCommand({
        TableName: ITEMS,
        Key: { id: { S: 'upd' } },
        UpdateExpression: 'ADD visits :one, colors :rg, score :minus',
        ExpressionAttributeValues: {
          ':one': { N: '1' },
          ':rg': { SS: ['red', 'green'] },
          ':minus': { N: '-10' },
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    assert.deepEqual(Object.keys(added.Attributes).sort(), ['colors', 'score', 'visits']);
    assert.deepEqual(added.Attributes.visits, { N: '1' });
    assert.deepEqual(added.Attributes.score, { N: '-3' });
    assert.deepEqual(new Set(added.Attributes.colors.SS), new Set(['red', 'green']));

    const deleted = await client.send(
      new UpdateItemCommand({
        TableName: ITEMS,
        Key: { id: { S: 'upd' } },
        UpdateExpression: 'DELETE colors :red ADD colors :blue, visits :one',
        ExpressionAttributeValues: { ':red': { SS: ['red'] }, ':blue': { SS: ['blue'] }, ':one': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      }),
    ).catch((error) => error);
    // One attribute may appear in one action only: DELETE colors and ADD colors together is refused.
    assert.equal(deleted.name, 'ValidationException');

    const afterDelete = await client.send(
      new UpdateItemCommand({
        TableName: ITEMS,
        Key: { id: { S: 'upd' } },
        UpdateExpression: 'DELETE colors :red ADD visits :one',
        ExpressionAttributeValues: { ':red': { SS: ['red', 'absent'] }, ':one': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    const item = afterDelete.Attributes;
    assert.deepEqual(item.colors.SS, ['green']);
    assert.deepEqual(item.visits, { N: '2' });
    assert.deepEqual(item.tags, { L: [{ S: 'z' }, { S: 'a' }] });
    assert.equal(item.note, undefined);

    // Deleting a set's last element removes the attribute: DynamoDB has no empty sets.
    const emptied = await client.send(
      new UpdateItemCommand({
        TableName: ITEMS,
        Key: { id: { S: 'upd' } },
        UpdateExpression: 'DELETE colors :green',
        ExpressionAttributeValues: { ':green': { SS: ['green'] } },
        ReturnValues: 'ALL_NEW',
      }),
    );
    assert.equal(emptied.Attributes.colors, undefined);

    const mismatch = await rejection(
      doc.send(
        new UpdateCommand({
          TableName: ITEMS,
          Key: key,
          UpdateExpression: 'SET note = tags + :one',
          ExpressionAttributeValues: { ':one': 1 },
        }),
      ),
    );
    assert.equal(mismatch.name, 'ValidationException', 'a list plus a number is refused');
  });

  test('a failed ConditionExpression is ConditionalCheckFailedException and changes nothing', T, async () => {
    await doc.send(new PutCommand({ TableName: ITEMS, Item: { id: 'cond', version: 1, owner: 'ann' } }));

    const putFailed = await rejection(
      doc.send(
        new PutCommand({
          TableName: ITEMS,
          Item: { id: 'cond', version: 99 },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      ),
    );
    assert.equal(putFailed.name, 'ConditionalCheckFailedException');
    assert.equal(putFailed.$metadata.httpStatusCode, 400);

    const updateFailed = await rejection(
      doc.send(
        new UpdateCommand({
          TableName: ITEMS,
          Key: { id: 'cond' },
          UpdateExpression: 'SET version = :next',
          ConditionExpression: 'version = :expected AND #o = :owner',
          ExpressionAttributeNames: { '#o': 'owner' },
          ExpressionAttributeValues: { ':next': 3, ':expected': 2, ':owner': 'ann' },
        }),
      ),
    );
    assert.equal(updateFailed.name, 'ConditionalCheckFailedException');

    const deleteFailed = await rejection(
      doc.send(
        new DeleteCommand({
          TableName: ITEMS,
          Key: { id: 'cond' },
          ConditionExpression: 'attribute_exists(locked)',
        }),
      ),
    );
    assert.equal(deleteFailed.name, 'ConditionalCheckFailedException');

    const item = (await doc.send(new GetCommand({ TableName: ITEMS, Key: { id: 'cond' } }))).Item;
    assert.deepEqual(item, { id: 'cond', version: 1, owner: 'ann' });

    const passed = await doc.send(
      new UpdateCommand({
        TableName: ITEMS,
        Key: { id: 'cond' },
        UpdateExpression: 'SET version = version + :one',
        ConditionExpression: 'version = :expected AND begins_with(#o, :a) AND size(#o) < :four',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':one': 1, ':expected': 1, ':a': 'a', ':four': 4 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    assert.deepEqual(passed.Attributes, { id: 'cond', version: 2, owner: 'ann' });
  });

  test(
    'ReturnValuesOnConditionCheckFailure ALL_OLD puts the item in the exception',
    { ...T, skip: target === 'dynalite' && 'dynalite 4.0.0 ignores ReturnValuesOnConditionCheckFailure' },
    async () => {
      await doc.send(new PutCommand({ TableName: ITEMS, Item: { id: 'rvcf', version: 4 } }));
      const failed = await rejection(
        client.send(
          new PutItemCommand({
            TableName: ITEMS,
            Item: { id: { S: 'rvcf' }, version: { N: '5' } },
            ConditionExpression: 'version = :three',
            ExpressionAttributeValues: { ':three': { N: '3' } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      assert.equal(failed.name, 'ConditionalCheckFailedException');
      assert.deepEqual(failed.Item, { id: { S: 'rvcf' }, version: { N: '4' } });
    },
  );

  describe('Query and Scan over 250 messages', () => {
    const ROOM = 'lobby';
    const COUNT = 250;
    const authorOf = (ts) => ['alice', 'bob', 'carol'][ts % 3];
    before(async () => {
      const items = [];
      for (let ts = 1; ts <= COUNT; ts += 1) {
        items.push({
          room: ROOM,
          ts,
          author: authorOf(ts),
          text: `message ${ts}`,
          meta: { lang: ts % 2 ? 'en' : 'fr', tags: ['t0', `t${ts}`], sender: { name: authorOf(ts), id: ts } },
        });
      }
      // Another room, that no lobby query may return.
      for (let ts = 1; ts <= 20; ts += 1) items.push({ room: 'kitchen', ts, author: 'alice', text: 'k' });
      await batchPut(MESSAGES, items);
    });

    test('paginateQuery with Limit 10 sees every item once, in range-key order, both directions', T, async () => {
      for (const forward of [true, false]) {
        const pages = await collectPages(
          paginateQuery(
            { client: doc, pageSize: 10 },
            {
              TableName: MESSAGES,
              KeyConditionExpression: 'room = :r',
              ExpressionAttributeValues: { ':r': ROOM },
              ScanIndexForward: forward,
            },
          ),
        );
        const seen = pages.flatMap((page) => page.Items.map((item) => item.ts));
        const expected = Array.from({ length: COUNT }, (_, i) => i + 1);
        assert.deepEqual(seen, forward ? expected : expected.reverse());
        assert.ok(pages.every((page) => page.Items.length <= 10), 'no page is over the Limit');
        // 25 full pages; a 26th (empty) one only if the 25th still carried a LastEvaluatedKey.
        assert.ok(pages.length === 25 || pages.length === 26, `${pages.length} pages`);
        const last = pages.at(-1);
        assert.equal(last.LastEvaluatedKey, undefined);
        assert.deepEqual(pages[0].LastEvaluatedKey, { room: ROOM, ts: forward ? 10 : COUNT - 9 });
      }
    });

    test('KeyConditionExpression between, Select COUNT and FilterExpression', T, async () => {
      const between = await doc.send(
        new QueryCommand({
          TableName: MESSAGES,
          KeyConditionExpression: 'room = :r AND ts BETWEEN :lo AND :hi',
          ExpressionAttributeValues: { ':r': ROOM, ':lo': 100, ':hi': 109 },
        }),
      );
      assert.deepEqual(between.Items.map((item) => item.ts), [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
      assert.equal(between.Count, 10);

      const counted = await doc.send(
        new QueryCommand({
          TableName: MESSAGES,
          KeyConditionExpression: 'room = :r',
          ExpressionAttributeValues: { ':r': ROOM },
          Select: 'COUNT',
        }),
      );
      assert.equal(counted.Count, COUNT);
      assert.equal(counted.ScannedCount, COUNT);
      assert.equal(counted.Items, undefined, 'Select COUNT returns no items');

      const filtered = await doc.send(
        new QueryCommand({
          TableName: MESSAGES,
          KeyConditionExpression: 'room = :r AND ts <= :hi',
          FilterExpression: 'meta.lang = :fr AND author IN (:a, :b)',
          ExpressionAttributeValues: { ':r': ROOM, ':hi': 30, ':fr': 'fr', ':a': 'alice', ':b': 'bob' },
        }),
      );
      const expected = [];
      for (let ts = 1; ts <= 30; ts += 1) {
        if (ts % 2 === 0 && ['alice', 'bob'].includes(authorOf(ts))) expected.push(ts);
      }
      assert.deepEqual(filtered.Items.map((item) => item.ts), expected);
      assert.equal(filtered.Count, expected.length);
      assert.equal(filtered.ScannedCount, 30, 'the filter runs after the key condition read 30 items');

      // Limit bounds the items read, before the filter: a page may hold fewer matches than Limit.
      const limited = await doc.send(
        new QueryCommand({
          TableName: MESSAGES,
          KeyConditionExpression: 'room = :r',
          FilterExpression: 'author = :c',
          ExpressionAttributeValues: { ':r': ROOM, ':c': 'carol' },
          Limit: 6,
        }),
      );
      assert.equal(limited.ScannedCount, 6);
      assert.deepEqual(limited.Items.map((item) => item.ts), [2, 5]);
      assert.deepEqual(limited.LastEvaluatedKey, { room: ROOM, ts: 6 });
    });

    test('ProjectionExpression with nested paths and list indexes', T, async () => {
      const { Items } = await doc.send(
        new QueryCommand({
          TableName: MESSAGES,
          KeyConditionExpression: 'room = :r AND ts = :ts',
          ProjectionExpression: 'ts, meta.sender.#n, meta.tags[1], #missing.deep',
          ExpressionAttributeNames: { '#n': 'name', '#missing': 'nothere' },
          ExpressionAttributeValues: { ':r': ROOM, ':ts': 42 },
        }),
      );
      assert.deepEqual(Items, [{ ts: 42, meta: { sender: { name: 'alice' }, tags: ['t42'] } }]);
    });

    test('Query on the GSI returns one author, ordered by the index range key, paginated', T, async () => {
      const pages = await collectPages(
        paginateQuery(
          { client: doc, pageSize: 10 },
          {
            TableName: MESSAGES,
            IndexName: 'byAuthor',
            KeyConditionExpression: 'author = :a AND ts > :after',
            ExpressionAttributeValues: { ':a': 'bob', ':after': 200 },
            ScanIndexForward: false,
          },
        ),
      );
      const items = pages.flatMap((page) => page.Items);
      const expected = [];
      for (let ts = COUNT; ts > 200; ts -= 1) if (authorOf(ts) === 'bob') expected.push(ts);
      assert.deepEqual(items.map((item) => item.ts), expected);
      assert.ok(items.every((item) => item.room === ROOM && item.text === `message ${item.ts}`));
      // A GSI's LastEvaluatedKey holds the index key and the table key.
      assert.deepEqual(Object.keys(pages[0].LastEvaluatedKey).sort(), ['author', 'room', 'ts']);

      const kitchen = await doc.send(
        new QueryCommand({
          TableName: MESSAGES,
          IndexName: 'byAuthor',
          KeyConditionExpression: 'author = :a',
          FilterExpression: 'room = :k',
          ExpressionAttributeValues: { ':a': 'alice', ':k': 'kitchen' },
          Select: 'COUNT',
        }),
      );
      assert.equal(kitchen.Count, 20);
    });

    test('Scan with Segment/TotalSegments covers every item exactly once', T, async () => {
      const TOTAL = 4;
      const seen = new Map();
      for (let segment = 0; segment < TOTAL; segment += 1) {
        const pages = await collectPages(
          paginateScan(
            { client: doc, pageSize: 25 },
            { TableName: MESSAGES, Segment: segment, TotalSegments: TOTAL, ProjectionExpression: 'room, ts' },
          ),
        );
        for (const item of pages.flatMap((page) => page.Items)) {
          const key = `${item.room}#${item.ts}`;
          assert.equal(seen.has(key), false, `${key} is in segment ${seen.get(key)} and ${segment}`);
          seen.set(key, segment);
        }
      }
      assert.equal(seen.size, COUNT + 20);

      const filtered = await collectPages(
        paginateScan(
          { client: doc, pageSize: 100 },
          {
            TableName: MESSAGES,
            FilterExpression: 'contains(meta.tags, :t) OR begins_with(#text, :k)',
            ExpressionAttributeNames: { '#text': 'text' },
            ExpressionAttributeValues: { ':t': 't7', ':k': 'k' },
          },
        ),
      );
      const matches = filtered.flatMap((page) => page.Items);
      assert.equal(matches.length, 21, 'message 7 and the 20 kitchen messages');
      assert.equal(
        filtered.reduce((sum, page) => sum + page.ScannedCount, 0),
        COUNT + 20,
        'a filtered scan still reads every item',
      );
    });

    test('a key condition without the partition key is a ValidationException', T, async () => {
      const error = await rejection(
        doc.send(new QueryCommand({ TableName: MESSAGES, KeyConditionExpression: 'ts = :t', ExpressionAttributeValues: { ':t': 1 } })),
      );
      assert.equal(error.name, 'ValidationException', 'a key condition without the partition key');
    });
  });

  test('BatchWrite puts and deletes; BatchGet returns exactly the items that exist', T, async () => {
    await batchPut(
      ITEMS,
      Array.from({ length: 30 }, (_, i) => ({ id: `batch-${i}`, n: i })),
    );
    await doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [ITEMS]: [
            { DeleteRequest: { Key: { id: 'batch-0' } } },
            { DeleteRequest: { Key: { id: 'batch-1' } } },
            { PutRequest: { Item: { id: 'batch-2', n: 200 } } },
          ],
        },
      }),
    );
    const keys = Array.from({ length: 32 }, (_, i) => ({ id: `batch-${i}` }));
    const { Responses, UnprocessedKeys } = await doc.send(
      new BatchGetCommand({
        RequestItems: {
          [ITEMS]: { Keys: keys, ProjectionExpression: 'id, n' },
          [MESSAGES]: { Keys: [{ room: 'lobby', ts: 5 }, { room: 'nowhere', ts: 1 }] },
        },
      }),
    );
    assert.deepEqual(UnprocessedKeys ?? {}, {});
    const got = new Map(Responses[ITEMS].map((item) => [item.id, item.n]));
    const expected = new Map(Array.from({ length: 28 }, (_, i) => [`batch-${i + 2}`, i + 2]));
    expected.set('batch-2', 200);
    assert.deepEqual(got, expected);
    assert.deepEqual(Responses[MESSAGES].map((item) => item.ts), [5]);

    const tooMany = await rejection(
      doc.send(
        new BatchWriteCommand({
          RequestItems: {
            [ITEMS]: Array.from({ length: 26 }, (_, i) => ({ PutRequest: { Item: { id: `x${i}` } } })),
          },
        }),
      ),
    );
    assert.equal(tooMany.name, 'ValidationException', 'BatchWrite takes at most 25 requests');
  });

  test('TransactWrite applies every action, or none with TransactionCanceledException', { ...T, skip: dynaliteLacks('TransactWriteItems') }, async () => {
    await doc.send(new PutCommand({ TableName: ITEMS, Item: { id: 'acct-a', balance: 100 } }));
    await doc.send(new PutCommand({ TableName: ITEMS, Item: { id: 'acct-b', balance: 0 } }));
    await doc.send(new PutCommand({ TableName: ITEMS, Item: { id: 'acct-open' } }));
    const transfer = (amount) =>
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: ITEMS,
              Key: { id: 'acct-a' },
              UpdateExpression: 'SET balance = balance - :x',
              ConditionExpression: 'balance >= :x',
              ExpressionAttributeValues: { ':x': amount },
            },
          },
          {
            Update: {
              TableName: ITEMS,
              Key: { id: 'acct-b' },
              UpdateExpression: 'SET balance = balance + :x',
              ExpressionAttributeValues: { ':x': amount },
            },
          },
          { Put: { TableName: MESSAGES, Item: { room: 'ledger', ts: amount, author: 'bank' } } },
          // DynamoDB refuses two actions on one item in a transaction: the check is on another.
          { ConditionCheck: { TableName: ITEMS, Key: { id: 'acct-open' }, ConditionExpression: 'attribute_exists(id)' } },
        ],
      });
    await doc.send(transfer(60));
    const balances = async () =>
      Promise.all(
        ['acct-a', 'acct-b'].map(
          async (id) => (await doc.send(new GetCommand({ TableName: ITEMS, Key: { id } }))).Item.balance,
        ),
      );
    assert.deepEqual(await balances(), [40, 60]);

    const cancelled = await rejection(doc.send(transfer(50)));
    assert.equal(cancelled.name, 'TransactionCanceledException');
    assert.equal(cancelled.$metadata.httpStatusCode, 400);
    assert.deepEqual(
      cancelled.CancellationReasons.map((reason) => reason.Code),
      ['ConditionalCheckFailed', 'None', 'None', 'None'],
    );
    assert.deepEqual(await balances(), [40, 60], 'a cancelled transaction changes nothing');
    const ledger = await doc.send(
      new GetCommand({ TableName: MESSAGES, Key: { room: 'ledger', ts: 50 } }),
    );
    assert.equal(ledger.Item, undefined);

    const twice = await rejection(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: ITEMS, Item: { id: 'same' } } },
            { Delete: { TableName: ITEMS, Key: { id: 'same' } } },
          ],
        }),
      ),
    );
    assert.equal(twice.name, 'ValidationException', 'two actions on one item in one transaction');
  });

  test('20 parallel ADD count :one end at 20', T, async () => {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        doc.send(
          new UpdateCommand({
            TableName: ITEMS,
            Key: { id: 'counter' },
            UpdateExpression: 'ADD #c :one',
            ExpressionAttributeNames: { '#c': 'count' },
            ExpressionAttributeValues: { ':one': 1 },
          }),
        ),
      ),
    );
    const { Item } = await doc.send(new GetCommand({ TableName: ITEMS, Key: { id: 'counter' }, ConsistentRead: true }));
    assert.equal(Item.count, 20);
  });

  test('every attribute type round-trips: S N B BOOL NULL M L SS NS BS', T, async () => {
    const item = {
      id: { S: 'types' },
      s: { S: 'héllo ✓ \u0000 "quoted"' },
      n: { N: '-12.5' },
      b: { B: Uint8Array.from([0, 1, 2, 253, 254, 255]) },
      yes: { BOOL: true },
      no: { BOOL: false },
      nothing: { NULL: true },
      m: { M: { inner: { S: 'x' }, deeper: { M: { n: { N: '1' } } }, emptyMap: { M: {} } } },
      l: { L: [{ S: 'a' }, { N: '2' }, { L: [] }, { NULL: true }] },
      ss: { SS: ['b', 'a', 'c'] },
      ns: { NS: ['3', '1.5', '-2'] },
      bs: { BS: [Uint8Array.from([1]), Uint8Array.from([2, 3])] },
      emptyString: { S: '' },
    };
    await client.send(new PutItemCommand({ TableName: ITEMS, Item: item }));
    const { Item } = await client.send(
      new GetItemCommand({ TableName: ITEMS, Key: { id: { S: 'types' } } }),
    );
    const sets = ['ss', 'ns', 'bs'];
    for (const [name, value] of Object.entries(item)) {
      if (sets.includes(name)) continue;
      assert.deepEqual(Item[name], value, name);
    }
    assert.deepEqual(new Set(Item.ss.SS), new Set(['a', 'b', 'c']));
    assert.deepEqual(new Set(Item.ns.NS.map(Number)), new Set([3, 1.5, -2]));
    assert.deepEqual(
      new Set(Item.bs.BS.map((bytes) => Buffer.from(bytes).toString('hex'))),
      new Set(['01', '0203']),
    );
    assert.deepEqual(Object.keys(Item).sort(), Object.keys(item).sort());

    const { Item: plain } = await doc.send(new GetCommand({ TableName: ITEMS, Key: { id: 'types' } }));
    assert.deepEqual(plain.ss, new Set(['a', 'b', 'c']));
    assert.equal(plain.nothing, null);
    assert.deepEqual(plain.l, ['a', 2, [], null]);

    const duplicate = await rejection(
      client.send(new PutItemCommand({ TableName: ITEMS, Item: { id: { S: 'dup' }, ss: { SS: ['a', 'a'] } } })),
    );
    assert.equal(duplicate.name, 'ValidationException', 'a set with duplicates');
  });

  test('38-digit numbers stay exact (DocumentClient wrapNumbers / NumberValue)', T, async () => {
    const big = '12345678901234567890123456789012345678';
    const small = '0.12345678901234567890123456789012345678';
    await docExact.send(
      new PutCommand({
        TableName: ITEMS,
        Item: { id: 'big', big: NumberValue.from(big), small: NumberValue.from(small), list: [NumberValue.from(`-${big}`)] },
      }),
    );
    const { Item } = await docExact.send(new GetCommand({ TableName: ITEMS, Key: { id: 'big' } }));
    assert.ok(Item.big instanceof NumberValue);
    assert.equal(Item.big.toString(), big);
    assert.equal(Item.small.toString(), small);
    assert.equal(Item.list[0].toString(), `-${big}`);

    const incremented = await docExact.send(
      new UpdateCommand({
        TableName: ITEMS,
        Key: { id: 'big' },
        UpdateExpression: 'SET big = big + :one',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    assert.equal(incremented.Attributes.big.toString(), '12345678901234567890123456789012345679');

    const tooPrecise = await rejection(
      client.send(
        new PutItemCommand({ TableName: ITEMS, Item: { id: { S: 'p39' }, n: { N: `${big}9`.replace(/^/, '1.') } } }),
      ),
    );
    assert.equal(tooPrecise.name, 'ValidationException', 'more than 38 significant digits');
  });

  test('an item over 400 KB is refused with ValidationException; one just under is stored', T, async () => {
    const tooBig = await rejection(
      doc.send(new PutCommand({ TableName: ITEMS, Item: { id: 'huge', blob: 'x'.repeat(400 * 1024) } })),
    );
    assert.equal(tooBig.name, 'ValidationException');
    assert.equal(tooBig.$metadata.httpStatusCode, 400);
    assert.match(tooBig.message, /Item size has exceeded the maximum allowed size/);
    assert.equal((await doc.send(new GetCommand({ TableName: ITEMS, Key: { id: 'huge' } }))).Item, undefined);

    // Item size is the names' and values' UTF-8 bytes: "id" + "large" + "blob" + "blob" = 2+5+4 bytes.
    const fits = 'y'.repeat(400 * 1024 - 2 - 5 - 4 - 1000);
    await doc.send(new PutCommand({ TableName: ITEMS, Item: { id: 'large', blob: fits } }));
    const { Item } = await doc.send(new GetCommand({ TableName: ITEMS, Key: { id: 'large' } }));
    assert.equal(Item.blob.length, fits.length);
  });

  test('ListTables pages with Limit and ExclusiveStartTableName, in name order', T, async () => {
    const names = ['list-c', 'list-a', 'list-e', 'list-b', 'list-d'];
    for (const TableName of names) {
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
        }),
      );
    }
    const all = [...names, ITEMS, MESSAGES].sort();
    const pages = await collectPages(paginateListTables({ client, pageSize: 2 }, {}));
    assert.ok(pages.every((page) => page.TableNames.length <= 2));
    const listed = pages.flatMap((page) => page.TableNames);
    assert.deepEqual(listed.filter((name) => all.includes(name)), all);

    const first = await client.send(new ListTablesCommand({ Limit: 2 }));
    assert.equal(first.TableNames.length, 2);
    assert.equal(first.LastEvaluatedTableName, first.TableNames[1]);
    const next = await client.send(
      new ListTablesCommand({ Limit: 2, ExclusiveStartTableName: first.LastEvaluatedTableName }),
    );
    assert.ok(next.TableNames[0] > first.TableNames[1]);
  });

  test('DescribeTimeToLive of a new table is DISABLED', T, async () => {
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: ITEMS }));
    assert.equal(TimeToLiveDescription.TimeToLiveStatus, 'DISABLED');
  });

  test('UpdateTimeToLive enables TTL on an attribute; DescribeTimeToLive reports it', { ...T, skip: dynaliteLacks('UpdateTimeToLive') }, async () => {
    const { TimeToLiveSpecification } = await client.send(
      new UpdateTimeToLiveCommand({
        TableName: MESSAGES,
        TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
      }),
    );
    assert.deepEqual(TimeToLiveSpecification, { Enabled: true, AttributeName: 'expiresAt' });
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: MESSAGES }));
    assert.equal(TimeToLiveDescription.AttributeName, 'expiresAt');
    assert.ok(['ENABLING', 'ENABLED'].includes(TimeToLiveDescription.TimeToLiveStatus));

    const twice = await rejection(
      client.send(
        new UpdateTimeToLiveCommand({
          TableName: MESSAGES,
          TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' },
        }),
      ),
    );
    assert.equal(twice.name, 'ValidationException', 'TimeToLive is already enabled');
  });

  test('DeleteTable, then the table is ResourceNotFoundException', T, async () => {
    const TableName = 'doomed';
    await createTable({
      TableName,
      AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
    });
    await doc.send(new PutCommand({ TableName, Item: { k: 'x' } }));
    const { TableDescription } = await client.send(new DeleteTableCommand({ TableName }));
    assert.equal(TableDescription.TableName, TableName);
    await waitUntilTableNotExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName });

    for (const call of [
      () => client.send(new DescribeTableCommand({ TableName })),
      () => doc.send(new GetCommand({ TableName, Key: { k: 'x' } })),
      () => doc.send(new PutCommand({ TableName, Item: { k: 'y' } })),
      () => client.send(new DeleteTableCommand({ TableName })),
    ]) {
      const error = await rejection(call());
      assert.equal(error.name, 'ResourceNotFoundException');
      assert.equal(error.$metadata.httpStatusCode, 400);
    }
  });

  describe('malformed requests, sent raw', () => {
    test('a body that is not JSON is SerializationException', T, async () => {
      const response = await rawRequest(dynamo.endpoint, 'ListTables', '{"Limit": ');
      assert.equal(response.status, 400);
      assert.equal(response.json.__type, 'com.amazon.coral.service#SerializationException');
    });

    test('an unknown X-Amz-Target is UnknownOperationException', T, async () => {
      for (const amzTarget of ['DynamoDB_20120810.FlyToTheMoon', 'NotDynamo.ListTables', 'ListTables']) {
        const response = await rawRequest(dynamo.endpoint, null, {}, { target: amzTarget });
        assert.equal(response.status, 400, amzTarget);
        assert.equal(response.json.__type, 'com.amazon.coral.service#UnknownOperationException', amzTarget);
      }
    });

    test('a missing TableName is ValidationException naming the member', T, async () => {
      const response = await rawRequest(dynamo.endpoint, 'GetItem', { Key: { id: { S: 'a' } } });
      assert.equal(response.status, 400);
      assert.equal(response.json.__type, 'com.amazon.coral.validate#ValidationException');
      assert.equal(errorName(response.json.__type), 'ValidationException');
      assert.match(response.json.message, /tableName/);
      assert.match(response.headers.get('content-type'), /^application\/x-amz-json-1\.0/);
      assert.ok(response.headers.get('x-amzn-requestid'), 'every answer carries a request id');
    });
  });
});
