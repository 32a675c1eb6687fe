// One scripted sequence of raw DynamoDB requests (every operation, several error cases) sent to
// wsgw-emulate's DynamoDB stand-in and to dynalite in the same run; each pair of responses must
// agree field by field once only what must differ between two servers is normalized away:
// timestamps, the account and region in ARNs, TableId, ConsumedCapacity, the order of set
// members and of lists DynamoDB does not order (Scan and BatchGetItem results).
//
// Where dynalite is known to depart from DynamoDB's documented behaviour, the step says so in
// `dynaliteDeviates`, with the AWS documentation that decides, and wsgw's answer is checked
// against that documentation instead of against dynalite.
//
// Skipped, with the reason, until wsgw-emulate serves DynamoDB (its --help offers
// --dynamodb-in-memory). WSGW_DYNAMODB_DIFFERENTIAL_SELF_CHECK=1 runs the sequence against two
// dynalite processes instead: a check of this file's script and normalization, not of wsgw.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import { rawRequest, startDynamo } from './support/dynamodb.mjs';

const SELF_CHECK = process.env.WSGW_DYNAMODB_DIFFERENTIAL_SELF_CHECK === '1';
const T = { timeout: 120000 };

const MSGS = 'diff_msgs';
const ITEMS = 'diff_items';

// --- normalization -------------------------------------------------------------------------

// API_TableDescription (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TableDescription.html):
// "ItemCount ... DynamoDB updates this value approximately every six hours. Recent changes might
// not be reflected in this value." (the same for TableSizeBytes and an index's ItemCount and
// IndexSizeBytes): any value is right for a table written to seconds ago.
const APPROXIMATE = new Set(['ItemCount', 'TableSizeBytes', 'IndexSizeBytes']);
// Members of TableDescription that dynalite adds and DynamoDB's API does not have: not in
// API_TableDescription, nor in the service model @aws-sdk/client-dynamodb is generated from.
const DYNALITE_ONLY_MEMBERS = new Set(['TableThroughputModeSummary']);
// Members DynamoDB's API has and dynalite (4.0, older than them) never sends, dropped on both
// sides: API_TableDescription's DeletionProtectionEnabled (added in 2023) and
// API_BillingModeSummary's LastUpdateToPayPerRequestDateTime.
const MEMBERS_DYNALITE_PREDATES = new Set(['DeletionProtectionEnabled', 'LastUpdateToPayPerRequestDateTime']);
const SET_TYPES = new Set(['SS', 'NS', 'BS']);

function normalize(value, parentKey) {
  if (Array.isArray(value)) {
    const items = value.map((item) => normalize(item, parentKey));
    return SET_TYPES.has(parentKey) ? items.sort() : items;
  }
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const key of Object.keys(value).sort()) {
    if (key === 'ConsumedCapacity' || DYNALITE_ONLY_MEMBERS.has(key)) continue;
    if (MEMBERS_DYNALITE_PREDATES.has(key)) continue;
    const member = value[key];
    if (/DateTime$/.test(key) && typeof member === 'number') out[key] = '<timestamp>';
    else if (key === 'TableId' && typeof member === 'string') out[key] = '<table id>';
    else if (APPROXIMATE.has(key) && typeof member === 'number') out[key] = '<approximate>';
    else if (/Arn$/.test(key) && typeof member === 'string') {
      out[key] = member.replace(/^arn:aws:dynamodb:[^:]*:\d*:/, 'arn:aws:dynamodb:<region>:<account>:');
    } else out[key] = normalize(member, key);
  }
  return out;
}

// Scan order and BatchGetItem order are unspecified (API_Scan: results come back in no promised
// order; API_BatchGetItem: "the order of the returned items is not guaranteed"), so both are
// compared as sorted lists.
const byJson = (a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
function unordered(body) {
  if (Array.isArray(body?.Items)) body.Items.sort(byJson);
  if (body?.Responses) for (const items of Object.values(body.Responses)) items.sort(byJson);
  return body;
}

// What a client observes of one answer, made comparable.
function observed(response, step) {
  const crcHeader = response.headers.get('x-amz-crc32');
  let body = response.json === undefined ? { notJson: response.text } : normalize(response.json);
  if (step.unordered) body = unordered(body);
  return {
    status: response.status,
    contentType: (response.headers.get('content-type') || '').split(';')[0],
    hasRequestId: Boolean(response.headers.get('x-amzn-requestid')),
    // Programming.LowLevelAPI.html ("Data integrity with CRC32"): DynamoDB sends a CRC32 of the
    // body in x-amz-crc32, and botocore retries an answer whose checksum does not match.
    crc32: crcHeader === null ? 'absent' : Number(crcHeader) === crc32(response.text) ? 'valid' : 'wrong',
    body,
  };
}

// --- the sequence ----------------------------------------------------------------------------

const S = (s) => ({ S: s });
const N = (n) => ({ N: String(n) });
const keyOf = (room, ts) => ({ room: S(room), ts: N(ts) });
const MESSAGES = [];
for (let ts = 1; ts <= 12; ts += 1) {
  MESSAGES.push({ room: S(ts <= 8 ? 'r1' : 'r2'), ts: N(ts), author: S(ts % 2 ? 'ann' : 'ben'), text: S(`m${ts}`) });
}
const RICH_ITEM = {
  id: S('rich'),
  s: S('héllo "quoted" ✓'),
  n: N('-12.5'),
  big: N('12345678901234567890123456789012345678'),
  b: { B: Buffer.from([0, 1, 254, 255]).toString('base64') },
  t: { BOOL: true },
  nul: { NULL: true },
  m: { M: { inner: S('x'), deeper: { M: { n: N(1) } } } },
  l: { L: [S('a'), N(2), { L: [] }] },
  ss: { SS: ['b', 'a', 'c'] },
  ns: { NS: ['3', '1.5', '-2'] },
  bs: { BS: [Buffer.from([1]).toString('base64'), Buffer.from([2, 3]).toString('base64')] },
};
const TABLE_ITEMS = {
  TableName: ITEMS,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
};

// Each step: [name, operation, body, options]; options.wait polls DescribeTable on both sides
// until the table is ACTIVE (wait: 'active') or gone (wait: 'gone') before the step.
const STEPS = [
  ['no tables yet', 'ListTables', {}],
  ['create a hash+range table with a GSI', 'CreateTable', {
    TableName: MSGS,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: 'room', AttributeType: 'S' },
      { AttributeName: 'ts', AttributeType: 'N' },
      { AttributeName: 'author', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'room', KeyType: 'HASH' }, { AttributeName: 'ts', KeyType: 'RANGE' }],
    GlobalSecondaryIndexes: [{
      IndexName: 'byAuthor',
      KeySchema: [{ AttributeName: 'author', KeyType: 'HASH' }, { AttributeName: 'ts', KeyType: 'RANGE' }],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    }],
  }],
  ['create a hash table', 'CreateTable', TABLE_ITEMS],
  ['create it again: ResourceInUseException', 'CreateTable', TABLE_ITEMS, {
    wait: [ITEMS, 'active'],
    // dynalite's message is "" (actions/createTable.js); API_CreateTable names the error, not its
    // wording, so only its presence is required of wsgw.
    dynaliteDeviates: { messageUnspecified: true },
  }],
  ['create without KeySchema: ValidationException', 'CreateTable', {
    TableName: 'diff_bad', AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST',
  }],
  ['describe the GSI table', 'DescribeTable', { TableName: MSGS }, { wait: [MSGS, 'active'] }],
  ['list tables', 'ListTables', {}],
  ['list tables, one a page', 'ListTables', { Limit: 1 }],
  ['put every attribute type', 'PutItem', { TableName: ITEMS, Item: RICH_ITEM }],
  ['get it back', 'GetItem', { TableName: ITEMS, Key: { id: S('rich') } }],
  ['get nested paths', 'GetItem', {
    TableName: ITEMS, Key: { id: S('rich') }, ProjectionExpression: 'm.deeper.n, l[1], #s',
    ExpressionAttributeNames: { '#s': 's' },
  }],
  ['get a missing key', 'GetItem', { TableName: ITEMS, Key: { id: S('nobody') } }],
  ['replace, ReturnValues ALL_OLD', 'PutItem', {
    TableName: ITEMS, Item: { id: S('p1'), v: N(1) }, ReturnValues: 'ALL_OLD',
  }],
  ['replace again, ReturnValues ALL_OLD', 'PutItem', {
    TableName: ITEMS, Item: { id: S('p1'), v: N(2), w: S('x') }, ReturnValues: 'ALL_OLD',
  }],
  ['put if absent on an existing id: ConditionalCheckFailedException', 'PutItem', {
    TableName: ITEMS, Item: { id: S('p1') }, ConditionExpression: 'attribute_not_exists(id)',
  }],
  ['the same with ReturnValuesOnConditionCheckFailure ALL_OLD', 'PutItem', {
    TableName: ITEMS, Item: { id: S('p1') }, ConditionExpression: 'attribute_not_exists(id)',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  }, {
    // API_PutItem: "ReturnValuesOnConditionCheckFailure ... ALL_OLD"; API_ConditionalCheckFailedException
    // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ConditionalCheckFailedException.html):
    // "Item: Item which caused the ConditionalCheckFailedException." dynalite ignores the parameter.
    dynaliteDeviates: { member: 'Item', wsgwHas: { id: S('p1'), v: N(2), w: S('x') } },
  }],
  ['update: SET +, if_not_exists, list_append, ALL_NEW', 'UpdateItem', {
    TableName: ITEMS, Key: { id: S('u1') },
    UpdateExpression: 'SET c = if_not_exists(c, :zero) + :one, l = list_append(if_not_exists(l, :empty), :l)',
    ExpressionAttributeValues: { ':zero': N(0), ':one': N(1), ':empty': { L: [] }, ':l': { L: [S('a')] } },
    ReturnValues: 'ALL_NEW',
  }],
  ['update: ADD to a number and a set, UPDATED_OLD', 'UpdateItem', {
    TableName: ITEMS, Key: { id: S('u1') }, UpdateExpression: 'ADD c :five, tags :t',
    ExpressionAttributeValues: { ':five': N(5), ':t': { SS: ['x', 'y', 'z'] } }, ReturnValues: 'UPDATED_OLD',
  }],
  ['update: DELETE from a set, REMOVE, UPDATED_NEW', 'UpdateItem', {
    TableName: ITEMS, Key: { id: S('u1') }, UpdateExpression: 'DELETE tags :y REMOVE l SET d = :d',
    ExpressionAttributeValues: { ':y': { SS: ['y'] }, ':d': S('done') }, ReturnValues: 'UPDATED_NEW',
  }],
  ['update with a syntax error: ValidationException', 'UpdateItem', {
    TableName: ITEMS, Key: { id: S('u1') }, UpdateExpression: 'SET = :x', ExpressionAttributeValues: { ':x': N(1) },
  }, {
    // After "Syntax error; " dynalite prints its PEG.js parser's words ('Expected "#", "_", or
    // [a-zA-Z] but "=" found.'); DynamoDB names the token and its place ('token: "=", near: "SET =
    // :x"'). Neither is in the API reference (the grammar is: Expressions.UpdateExpressions.html),
    // so the message is compared up to there.
    dynaliteDeviates: { messagePrefix: 'Invalid UpdateExpression: Syntax error; ' },
  }],
  ['update a key attribute: ValidationException', 'UpdateItem', {
    TableName: ITEMS, Key: { id: S('u1') }, UpdateExpression: 'SET id = :x', ExpressionAttributeValues: { ':x': S('v') },
  }],
  ['update with a failing condition', 'UpdateItem', {
    TableName: ITEMS, Key: { id: S('u1') }, UpdateExpression: 'SET c = :x', ConditionExpression: 'c > :x',
    ExpressionAttributeValues: { ':x': N(100) },
  }],
  ['delete with a failing condition', 'DeleteItem', {
    TableName: ITEMS, Key: { id: S('p1') }, ConditionExpression: 'v = :one', ExpressionAttributeValues: { ':one': N(1) },
  }],
  ['delete, ReturnValues ALL_OLD', 'DeleteItem', { TableName: ITEMS, Key: { id: S('p1') }, ReturnValues: 'ALL_OLD' }],
  ['batch write 12 messages', 'BatchWriteItem', {
    RequestItems: { [MSGS]: MESSAGES.map((Item) => ({ PutRequest: { Item } })) },
  }],
  ['batch get across two tables, one key missing', 'BatchGetItem', {
    RequestItems: {
      [MSGS]: { Keys: [keyOf('r1', 1), keyOf('r2', 12), keyOf('r9', 1)] },
      [ITEMS]: { Keys: [{ id: S('u1') }], ProjectionExpression: 'id, c' },
    },
  }, { unordered: true }],
  ['query a room', 'Query', {
    TableName: MSGS, KeyConditionExpression: 'room = :r', ExpressionAttributeValues: { ':r': S('r1') },
  }],
  ['query a room, Limit 3', 'Query', {
    TableName: MSGS, KeyConditionExpression: 'room = :r', ExpressionAttributeValues: { ':r': S('r1') }, Limit: 3,
  }],
  ['query from ExclusiveStartKey', 'Query', {
    TableName: MSGS, KeyConditionExpression: 'room = :r', ExpressionAttributeValues: { ':r': S('r1') }, Limit: 3,
    ExclusiveStartKey: keyOf('r1', 3),
  }],
  ['query backwards, between', 'Query', {
    TableName: MSGS, KeyConditionExpression: 'room = :r AND ts BETWEEN :a AND :b', ScanIndexForward: false,
    ExpressionAttributeValues: { ':r': S('r1'), ':a': N(2), ':b': N(6) },
  }],
  ['query Select COUNT', 'Query', {
    TableName: MSGS, KeyConditionExpression: 'room = :r', ExpressionAttributeValues: { ':r': S('r1') }, Select: 'COUNT',
  }],
  ['query with a filter and a projection', 'Query', {
    TableName: MSGS, KeyConditionExpression: 'room = :r AND ts > :t', FilterExpression: 'author = :a',
    ProjectionExpression: 'ts, #text', ExpressionAttributeNames: { '#text': 'text' },
    ExpressionAttributeValues: { ':r': S('r1'), ':t': N(2), ':a': S('ben') },
  }],
  ['query the KEYS_ONLY GSI', 'Query', {
    TableName: MSGS, IndexName: 'byAuthor', KeyConditionExpression: 'author = :a AND ts >= :t',
    ExpressionAttributeValues: { ':a': S('ann'), ':t': N(5) },
  }],
  ['query without the partition key: ValidationException', 'Query', {
    TableName: MSGS, KeyConditionExpression: 'ts = :t', ExpressionAttributeValues: { ':t': N(1) },
  }],
  ['query with an unused value: ValidationException', 'Query', {
    TableName: MSGS, KeyConditionExpression: 'room = :r', ExpressionAttributeValues: { ':r': S('r1'), ':x': N(1) },
  }],
  ['query a GSI that does not exist: ValidationException', 'Query', {
    TableName: MSGS, IndexName: 'nope', KeyConditionExpression: 'author = :a', ExpressionAttributeValues: { ':a': S('ann') },
  }],
  ['scan everything', 'Scan', { TableName: MSGS }, { unordered: true }],
  ['scan with a filter', 'Scan', {
    TableName: MSGS, FilterExpression: 'begins_with(#text, :m1) OR ts = :t',
    ExpressionAttributeNames: { '#text': 'text' }, ExpressionAttributeValues: { ':m1': S('m1'), ':t': N(5) },
  }, { unordered: true }],
  ['scan the only segment of one', 'Scan', { TableName: MSGS, Segment: 0, TotalSegments: 1, Select: 'COUNT' }],
  ['scan segment 2 of 2: ValidationException', 'Scan', { TableName: MSGS, Segment: 2, TotalSegments: 2 }],
  ['get from a table that does not exist: ResourceNotFoundException', 'GetItem', {
    TableName: 'diff_nowhere', Key: { id: S('a') },
  }],
  ['get with a key of the wrong type: ValidationException', 'GetItem', { TableName: ITEMS, Key: { id: N(1) } }],
  ['put without the key attribute: ValidationException', 'PutItem', { TableName: ITEMS, Item: { other: S('x') } }],
  ['put a set with duplicates: ValidationException', 'PutItem', { TableName: ITEMS, Item: { id: S('d'), ss: { SS: ['a', 'a'] } } }],
  ['put an item over 400 KB: ValidationException', 'PutItem', {
    TableName: ITEMS, Item: { id: S('huge'), blob: S('x'.repeat(400 * 1024)) },
  }],
  ['describe TTL of a new table', 'DescribeTimeToLive', { TableName: ITEMS }],
  ['enable TTL', 'UpdateTimeToLive', {
    TableName: ITEMS, TimeToLiveSpecification: { Enabled: true, AttributeName: 'expires' },
  }, {
    // API_UpdateTimeToLive (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html):
    // the response is {"TimeToLiveSpecification": {...the request's...}}. dynalite has no UpdateTimeToLive.
    dynaliteDeviates: {
      wsgwAnswer: { status: 200, body: { TimeToLiveSpecification: { AttributeName: 'expires', Enabled: true } } },
    },
  }],
  ['a transaction that succeeds', 'TransactWriteItems', {
    TransactItems: [
      { Put: { TableName: ITEMS, Item: { id: S('tx1'), v: N(1) } } },
      { Update: { TableName: ITEMS, Key: { id: S('tx2') }, UpdateExpression: 'SET v = :v', ExpressionAttributeValues: { ':v': N(2) } } },
    ],
  }, {
    // API_TransactWriteItems (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html):
    // a success answers 200 with no members but the optional ConsumedCapacity and
    // ItemCollectionMetrics. dynalite has no TransactWriteItems.
    dynaliteDeviates: { wsgwAnswer: { status: 200, body: {} } },
  }],
  ['a transaction that is cancelled', 'TransactWriteItems', {
    TransactItems: [
      { Put: { TableName: ITEMS, Item: { id: S('tx3') } } },
      { ConditionCheck: { TableName: ITEMS, Key: { id: S('tx1') }, ConditionExpression: 'v = :nine', ExpressionAttributeValues: { ':nine': N(9) } } },
    ],
  }, {
    // API_TransactWriteItems, Errors: TransactionCanceledException with CancellationReasons in
    // request order, Code "None" for the actions that would have succeeded; the message lists them:
    // "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]".
    dynaliteDeviates: {
      wsgwAnswer: {
        status: 400,
        body: {
          __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
          CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' }],
          Message: 'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]',
        },
      },
    },
  }],
  ['read the transaction back', 'TransactGetItems', {
    TransactItems: [{ Get: { TableName: ITEMS, Key: { id: S('tx1') } } }, { Get: { TableName: ITEMS, Key: { id: S('tx3') } } }],
  }, {
    // API_TransactGetItems (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactGetItems.html):
    // "Responses: An ordered array of up to 100 ItemResponse objects, each of which corresponds to the
    // TransactGetItem object in the same position"; a missing item is an empty ItemResponse.
    dynaliteDeviates: { wsgwAnswer: { status: 200, body: { Responses: [{ Item: { id: S('tx1'), v: N(1) } }, {}] } } },
  }],
  ['a body that is not JSON: SerializationException', 'ListTables', '{"Limit": '],
  ['an unknown operation: UnknownOperationException', 'LaunchRocket', {}],
  ['no TableName: ValidationException', 'DescribeTable', {}],
  ['delete the hash table', 'DeleteTable', { TableName: ITEMS }],
  ['describe it once gone: ResourceNotFoundException', 'DescribeTable', { TableName: ITEMS }, { wait: [ITEMS, 'gone'] }],
  ['delete the GSI table', 'DeleteTable', { TableName: MSGS }],
];

// --- the run -------------------------------------------------------------------------------

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(endpoint, table, state) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const { status, json } = await rawRequest(endpoint, 'DescribeTable', { TableName: table });
    if (state === 'gone' ? status === 400 && /ResourceNotFound/.test(json?.__type) : json?.Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`${table} is not ${state} at ${endpoint} within 30 s`);
    await delay(100);
  }
}

describe('wsgw and dynalite answer the same requests the same way', () => {
  let wsgw;
  let dynalite;
  before(async () => {
    [wsgw, dynalite] = await Promise.all([
      startDynamo({ target: SELF_CHECK ? 'dynalite' : 'wsgw' }),
      startDynamo({ target: 'dynalite' }),
    ]);
  });
  after(() => Promise.all([wsgw?.stop(), dynalite?.stop()]));

  test(`${STEPS.length} requests, response by response`, T, async () => {
    const differences = [];
    const trace = process.env.WSGW_DYNAMODB_DIFFERENTIAL_TRACE === '1';
    for (const [index, [name, operation, body, options = {}]] of STEPS.entries()) {
      const label = `step ${index + 1} (${operation}: ${name})`;
      if (options.wait) {
        await Promise.all([wsgw, dynalite].map((side) => waitFor(side.endpoint, ...options.wait)));
      }
      const [mine, oracle] = await Promise.all(
        [wsgw, dynalite].map(async (side) => observed(await rawRequest(side.endpoint, operation, body), options)),
      );
      if (trace) console.log(label, JSON.stringify(oracle.body).slice(0, 300));
      const deviation = !SELF_CHECK && options.dynaliteDeviates;
      try {
        if (deviation?.wsgwAnswer) {
          assert.equal(oracle.body.__type, 'com.amazon.coral.service#UnknownOperationException',
            `${label}: dynalite has learnt ${operation}; compare with it again`);
          assert.deepEqual({ status: mine.status, body: mine.body }, deviation.wsgwAnswer, label);
          assert.deepEqual({ ...mine, status: 0, body: 0 }, { ...oracle, status: 0, body: 0 }, `${label}: headers`);
        } else if (deviation?.messageUnspecified || deviation?.messagePrefix) {
          const prefix = deviation.messagePrefix ?? '';
          assert.equal(typeof mine.body.message, 'string', `${label}: a message`);
          assert.ok(mine.body.message.startsWith(prefix), `${label}: "${mine.body.message}" starts with "${prefix}"`);
          const strip = (side) => ({ ...side, body: { ...side.body, message: '<compared apart>' } });
          assert.deepEqual(strip(mine), strip(oracle), label);
        } else if (deviation?.member) {
          assert.equal(oracle.body[deviation.member], undefined,
            `${label}: dynalite now returns ${deviation.member}; compare with it again`);
          assert.deepEqual(mine.body[deviation.member], normalize(deviation.wsgwHas), `${label}: ${deviation.member}`);
          const { [deviation.member]: _, ...rest } = mine.body;
          assert.deepEqual({ ...mine, body: rest }, oracle, label);
        } else {
          assert.deepEqual(mine, oracle, label);
        }
      } catch (error) {
        differences.push(error.message);
      }
    }
    assert.deepEqual(differences, [], `${differences.length} of ${STEPS.length} answers differ:\n\n${differences.join('\n\n')}`);
  });
});
