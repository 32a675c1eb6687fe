// Starts a DynamoDB endpoint for a test: wsgw-emulate's own DynamoDB stand-in, or dynalite (a
// DynamoDB emulator on npm, used only as these tests' oracle: wsgw never runs it).
//
// The target is WSGW_DYNAMODB_TARGET (`wsgw` or `dynalite`); unset, it is `wsgw`. Both are separate processes on
// port 0, in memory, killed when the test file ends (a failing test leaves nothing behind).
//
// The helpers below speak DynamoDB's JSON 1.0 protocol (POST / with X-Amz-Target) the way the
// SDKs do, so a test can also send what no SDK would (bad JSON, unknown targets).
import { after } from 'node:test';

import { spawnDynalite } from './dynalite_process.mjs';
import { startGateway } from './gateway.mjs';

// The operations' JSON protocol version: X-Amz-Target is `${TARGET_PREFIX}.${operation}`.
export const TARGET_PREFIX = 'DynamoDB_20120810';
export const REGION = 'us-east-1';

// In memory, as CI wants it.
const WSGW_DYNAMODB_OPTION = '--dynamodb-in-memory';

const children = new Set();
after(() => {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
});
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

// The target the tests run against: WSGW_DYNAMODB_TARGET (`dynalite` checks a test itself
// against the oracle), else wsgw.
export function dynamoTarget() {
  const chosen = process.env.WSGW_DYNAMODB_TARGET || 'wsgw';
  if (chosen !== 'wsgw' && chosen !== 'dynalite') {
    throw new Error(`WSGW_DYNAMODB_TARGET must be "wsgw" or "dynalite", not "${chosen}"`);
  }
  return chosen;
}

// The smallest API wsgw-emulate accepts: one route whose function is never called.
const MINIMAL_ROUTES = {
  name: 'dynamodb',
  stage: 'dev',
  functions: { unused: { url: 'http://127.0.0.1:9/2015-03-31/functions/unused/invocations' } },
  routes: { $default: { function: 'unused' } },
};

async function startWsgw() {
  const gateway = await startGateway({ routes: MINIMAL_ROUTES, args: [WSGW_DYNAMODB_OPTION] });
  return {
    target: 'wsgw',
    endpoint: `http://127.0.0.1:${gateway.port}`,
    gateway,
    stop: () => gateway.stop(),
  };
}

async function startDynalite() {
  const dynalite = await spawnDynalite();
  children.add(dynalite.child);
  dynalite.child.on('exit', () => children.delete(dynalite.child));
  return { target: 'dynalite', ...dynalite };
}

// Resolves with {target, endpoint, stop}; target defaults to dynamoTarget().
export async function startDynamo({ target } = {}) {
  const chosen = target ?? dynamoTarget();
  if (chosen === 'wsgw') return startWsgw();
  if (chosen === 'dynalite') return startDynalite();
  throw new Error(`unknown DynamoDB target "${chosen}"`);
}

// Options for DynamoDBClient (and so DynamoDBDocumentClient) and boto3's environment alike:
// placeholder credentials (neither target checks signatures), us-east-1, no retries, so a test
// sees the first answer.
export function clientConfig(endpoint) {
  return {
    endpoint,
    region: REGION,
    credentials: { accessKeyId: 'AKIDWSGWTEST', secretAccessKey: 'wsgw-test-secret' },
    maxAttempts: 1,
  };
}

// The environment of a boto3 script or `aws` command aimed at endpoint.
export function awsEnv(endpoint) {
  return {
    AWS_ACCESS_KEY_ID: 'AKIDWSGWTEST',
    AWS_SECRET_ACCESS_KEY: 'wsgw-test-secret',
    AWS_DEFAULT_REGION: REGION,
    AWS_REGION: REGION,
    AWS_PAGER: '',
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

// A signature-shaped Authorization header: DynamoDB refuses a request without one
// (MissingAuthenticationTokenException) before it reads the operation; neither target verifies it.
function authHeaders() {
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return {
    'X-Amz-Date': date,
    Authorization:
      `AWS4-HMAC-SHA256 Credential=AKIDWSGWTEST/${date.slice(0, 8)}/${REGION}/dynamodb/aws4_request, ` +
      'SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=' + '0'.repeat(64),
  };
}

// One raw JSON 1.0 request. `body` is an object (sent as JSON) or a string (sent as is);
// `operation` null sends no X-Amz-Target. Resolves with {status, headers, text, json}.
export async function rawRequest(endpoint, operation, body, { headers = {}, target } = {}) {
  const allHeaders = {
    'Content-Type': 'application/x-amz-json-1.0',
    ...authHeaders(),
    ...headers,
  };
  const amzTarget = target ?? (operation === null ? undefined : `${TARGET_PREFIX}.${operation}`);
  if (amzTarget !== undefined) allHeaders['X-Amz-Target'] = amzTarget;
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: allHeaders,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10000),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

// The error name in a `__type` ("com.amazonaws.dynamodb.v20120810#ResourceNotFoundException").
export function errorName(type) {
  return typeof type === 'string' ? type.slice(type.lastIndexOf('#') + 1) : undefined;
}
