// TLS and plaintext on the same port (docs/SPEC.md "TLS"): wss:// and ws://, https:// and http://
// at HOST:PORT, the local CA under --data-dir, --tls-cert/--tls-key, --no-tls, --print-ca, and the
// environment that tells started functions to trust the CA.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

import { connect, request, tryConnect, withTimeout } from './support/client.mjs';
import { makeTempDir, runGateway, startGateway } from './support/gateway.mjs';

const T = { timeout: 30000 };
const FIXTURES = process.env.WSGW_FIXTURES || fileURLToPath(new URL('../../fixtures/', import.meta.url));
const PROBE = ['node', path.join(FIXTURES, 'functions/tls_probe_function.mjs')];

function probeRoutes() {
  return {
    name: 'tls',
    stage: 'dev',
    functions: { probe: { command: PROBE, timeoutMs: 5000 } },
    routes: {
      $connect: { function: 'probe' },
      $disconnect: { function: 'probe' },
      $default: { function: 'probe', routeResponse: true },
    },
  };
}

// The CA variables wsgw itself may inherit (CI images often point them at the system bundle);
// cleared so that each test decides.
const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'AWS_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'WSGW_CA_FILE', 'WSGW_AWS_REDIRECT'];
const NO_CA_ENV = Object.fromEntries(CA_VARIABLES.map((key) => [key, '']));

async function startProbeGateway({ args = [], env = {} } = {}) {
  const dataDir = await makeTempDir();
  const gateway = await startGateway({
    routes: probeRoutes(),
    args: ['--data-dir', dataDir, '--dynamodb-in-memory', ...args],
    env: { ...NO_CA_ENV, ...env },
    readyTimeoutMs: 20000,
  });
  gateway.dataDir = dataDir;
  return gateway;
}

// SIGTERM, then exit 0 with no sanitizer report (the ASan build's LeakSanitizer exits non-zero).
async function stopCleanly(gateway) {
  const result = await gateway.stop();
  const report = gateway.stderrLines().filter((line) => /Sanitizer|runtime error/.test(line));
  assert.deepEqual(report, [], 'sanitizer report');
  assert.equal(result.code, 0, gateway.stderrLines().slice(-20).join('\n'));
}

// Sends `payload` as a POST to `url` over https with `ca`; resolves with {status, body}.
function httpsPost(url, payload, { ca, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'Content-Length': Buffer.byteLength(payload), ...headers }, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('https request timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}

// The first flight a real TLS client sends (a ClientHello), captured from node:tls.
async function captureClientHello() {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.once('data', (chunk) => {
        resolve(chunk);
        socket.destroy();
        server.close();
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const client = tls.connect({ port: server.address().port, host: '127.0.0.1', servername: 'localhost' });
      client.on('error', () => {});
    });
    server.on('error', reject);
  });
}

// Opens a raw TCP socket, writes `bytes`, and resolves with how it ended and after how long.
function rawExchange(port, bytes, timeoutMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const received = [];
    let settled = false;
    const settle = (how) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ how, ms: Date.now() - started, received: Buffer.concat(received) });
    };
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('end', () => settle('end'));
    socket.on('close', () => settle('close'));
    socket.on('error', (error) => settle(error.code));
    const timer = setTimeout(() => settle('still open'), timeoutMs);
  });
}

// Upgrades over TLS on a raw TCP socket, then resets the TCP connection (RST, no close_notify).
async function resetAfterUpgrade(port, ca) {
  const raw = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => { raw.once('connect', resolve); raw.once('error', reject); });
  const secure = tls.connect({ socket: raw, ca, servername: 'localhost' });
  secure.on('error', () => {});
  await withTimeout(new Promise((resolve) => secure.once('secureConnect', resolve)), 5000, 'no TLS handshake');
  secure.write('GET /dev HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await withTimeout(new Promise((resolve) => secure.once('data', resolve)), 5000, 'no 101');
  raw.resetAndDestroy();
}

async function echoesOver(url, options, text) {
  const ws = await connect(url, options);
  const answer = JSON.parse(await request(ws, text));
  ws.close();
  return answer;
}

describe('TLS on the gateway port', () => {
  let gateway;
  let ca;
  before(async () => {
    gateway = await startProbeGateway();
    ca = readFileSync(gateway.ready.caFile);
  });
  after(async () => {
    if (gateway) await stopCleanly(gateway);
  });

  test('the ready file lists ws/wss, http/https and the CA', T, () => {
    const { ready, port } = gateway;
    assert.equal(ready.websocketUrl, `ws://127.0.0.1:${port}/dev`);
    assert.equal(ready.secureWebsocketUrl, `wss://127.0.0.1:${port}/dev`);
    assert.equal(ready.managementEndpoint, `http://127.0.0.1:${port}/dev`);
    assert.equal(ready.secureManagementEndpoint, `https://127.0.0.1:${port}/dev`);
    assert.equal(ready.secureDynamodbEndpoint, `https://127.0.0.1:${port}`);
    assert.equal(ready.apis[0].secureWebsocketUrl, ready.secureWebsocketUrl);
    assert.equal(ready.apis[0].secureManagementEndpoint, ready.secureManagementEndpoint);
    assert.equal(ready.caFile, path.join(gateway.dataDir, 'tls', 'ca.pem'));
    assert.ok(gateway.lines().some((line) => line.includes(`wss://127.0.0.1:${port}/dev`)), 'the banner shows the wss URL');
  });

  test('a wss client trusting the CA and a ws client talk through a route at once', T, async () => {
    const secure = await connect(gateway.ready.secureWebsocketUrl, { ca });
    const plain = await connect(gateway.ready.websocketUrl);
    secure.send('over tls');
    plain.send('in the clear');
    const [fromSecure, fromPlain] = (await Promise.all([secure.nextMessage(), plain.nextMessage()])).map((m) => JSON.parse(m));
    assert.equal(fromSecure.echo, 'over tls');
    assert.equal(fromPlain.echo, 'in the clear');
    assert.deepEqual(fromSecure.connect, { proto: 'https', sourceIp: '127.0.0.1' });
    assert.deepEqual(fromPlain.connect, { proto: 'http', sourceIp: '127.0.0.1' });
    // A burst bigger than the tunnel's buffers (64 KiB each way), each message over one TLS
    // record (16 KiB) and under API Gateway's 32 KB frame limit.
    const big = 'x'.repeat(20 * 1024);
    for (let i = 0; i < 40; i += 1) secure.send(`${i}:${big}`);
    const echoed = new Set();
    for (let i = 0; i < 40; i += 1) {
      const { echo } = JSON.parse(await secure.nextMessage());
      const [index, rest] = echo.split(':');
      assert.ok(rest === big, `message ${index} came back intact`);
      echoed.add(Number(index));
    }
    // Each message is its own invocation: the answers may come back in any order.
    assert.equal(echoed.size, 40);
    secure.close();
    plain.close();
    assert.equal((await secure.waitClosed()).code, 1005);
  });

  test('the ALPN offered is http/1.1 only', T, async () => {
    const socket = tls.connect({ port: gateway.port, host: '127.0.0.1', ca, servername: 'localhost', ALPNProtocols: ['h2', 'http/1.1'] });
    await withTimeout(new Promise((resolve, reject) => { socket.on('secureConnect', resolve); socket.on('error', reject); }), 5000, 'no TLS handshake');
    assert.equal(socket.alpnProtocol, 'http/1.1');
    socket.destroy();
  });

  test('the certificate covers localhost, ::1 and AWS regional host names', T, async () => {
    const socket = tls.connect({ port: gateway.port, host: '127.0.0.1', ca, servername: 'localhost' });
    await withTimeout(new Promise((resolve, reject) => { socket.on('secureConnect', resolve); socket.on('error', reject); }), 5000, 'no TLS handshake');
    const cert = socket.getPeerX509Certificate();
    socket.destroy();
    for (const host of ['localhost', 'abc123.execute-api.us-east-1.amazonaws.com', 'dynamodb.eu-central-2.amazonaws.com', 'x.execute-api.il-central-1.amazonaws.com']) {
      assert.ok(cert.checkHost(host), host);
    }
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(cert.checkIP('::1'), '::1');
    assert.equal(cert.checkHost('example.com'), undefined);
    const days = (Date.parse(cert.validTo) - Date.now()) / 86400000;
    assert.ok(days <= 397 && days > 390, `valid for ${days} days`);
    assert.match(cert.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.1/, 'extendedKeyUsage serverAuth');
  });

  test('https @connections POST with the CA reaches the wss client, big payloads too', T, async () => {
    const ws = await connect(gateway.ready.secureWebsocketUrl, { ca });
    const { connectionId } = JSON.parse(await request(ws, 'who am i'));
    const url = `${gateway.ready.secureManagementEndpoint}/@connections/${connectionId}`;
    const small = await httpsPost(url, 'pushed over https', { ca });
    assert.equal(small.status, 200, small.body);
    assert.equal(await ws.nextMessage(), 'pushed over https');
    const payload = randomBytes(60 * 1024).toString('base64').slice(0, 120 * 1024);
    const large = await httpsPost(url, payload, { ca });
    assert.equal(large.status, 200, large.body);
    assert.equal(await ws.nextMessage(), payload);
    ws.close();
  });

  test('DynamoDB SDK v3 over https with the CA', T, async () => {
    const client = new DynamoDBClient({
      endpoint: gateway.ready.secureDynamodbEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      requestHandler: new NodeHttpHandler({ httpsAgent: new https.Agent({ ca }) }),
    });
    await client.send(new CreateTableCommand({
      TableName: 'tls_table',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }));
    await client.send(new PutItemCommand({ TableName: 'tls_table', Item: { id: { S: 'a' }, v: { S: 'over tls' } } }));
    const got = await client.send(new GetItemCommand({ TableName: 'tls_table', Key: { id: { S: 'a' } } }));
    assert.equal(got.Item.v.S, 'over tls');
    client.destroy();
  });

  test('a client that does not trust the CA fails with a certificate error at once', T, async () => {
    const started = Date.now();
    const outcome = await tryConnect(gateway.ready.secureWebsocketUrl, { timeoutMs: 5000 });
    assert.equal(outcome.opened, false);
    assert.match(outcome.error?.code ?? String(outcome.error), /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    assert.equal((await echoesOver(gateway.ready.secureWebsocketUrl, { ca }, 'still fine')).echo, 'still fine');
  });

  test('garbage after a TLS record byte is closed at once; others carry on', T, async () => {
    const garbage = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x20]), randomBytes(64)]);
    const result = await rawExchange(gateway.port, garbage, 5000);
    assert.notEqual(result.how, 'still open');
    assert.ok(result.ms < 2000, `closed after ${result.ms} ms`);
    assert.equal((await echoesOver(gateway.ready.secureWebsocketUrl, { ca }, 'after garbage')).echo, 'after garbage');
  });

  test('a client stalled mid-handshake is closed by the deadline and holds nobody up', { timeout: 40000 }, async () => {
    const hello = await captureClientHello();
    const stalled = rawExchange(gateway.port, hello.subarray(0, Math.floor(hello.length / 2)), 20000);
    const completeButSilent = rawExchange(gateway.port, hello, 20000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    assert.equal((await echoesOver(gateway.ready.secureWebsocketUrl, { ca }, 'while one stalls')).echo, 'while one stalls');
    assert.equal((await echoesOver(gateway.ready.websocketUrl, {}, 'plain too')).echo, 'plain too');
    assert.ok(Date.now() - started < 3000);
    const cut = await stalled;
    assert.notEqual(cut.how, 'still open');
    assert.ok(cut.ms >= 2500 && cut.ms < 6000, `half a ClientHello: closed after ${cut.ms} ms (3 s)`);
    const silent = await completeButSilent;
    assert.notEqual(silent.how, 'still open');
    assert.ok(silent.received.length > 0, 'the gateway answered the ClientHello');
    assert.ok(silent.ms >= 9000 && silent.ms < 15000, `closed after ${silent.ms} ms (10 s after the ClientHello)`);
    await gateway.waitForLine(/TLS connection closed before its handshake finished/, 1000);
  });

  test('TLS connections ended every way leave no descriptor behind', { timeout: 40000 }, async () => {
    const fds = () => readdirSync(`/proc/${gateway.proc.pid}/fd`).length;
    // Settle the function connections and anything earlier tests left closing.
    await echoesOver(gateway.ready.websocketUrl, {}, 'warm');
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const before = fds();
    const hello = await captureClientHello();
    for (let round = 0; round < 5; round += 1) {
      const clean = await connect(gateway.ready.secureWebsocketUrl, { ca });
      await request(clean, 'clean');
      clean.close();
      await clean.waitClosed();
      const eof = await connect(gateway.ready.secureWebsocketUrl, { ca });
      await request(eof, 'eof without close_notify');
      eof._socket.destroy();
      await resetAfterUpgrade(gateway.port, ca);
      const refused = await tryConnect(gateway.ready.secureWebsocketUrl, { timeoutMs: 5000 });
      assert.equal(refused.opened, false);
      const abandoned = net.connect(gateway.port, '127.0.0.1', () => abandoned.end(hello.subarray(0, 20)));
      abandoned.on('error', () => {});
      await httpsPost(`${gateway.ready.secureManagementEndpoint}/@connections/nobody`, 'x', { ca });
    }
    assert.equal((await echoesOver(gateway.ready.secureWebsocketUrl, { ca }, 'after')).echo, 'after');
    // Closes on the gateway's side finish within its 2 s linger.
    const deadline = Date.now() + 8000;
    while (fds() > before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(fds() <= before, `descriptors: ${before} before, ${fds()} after`);
  });

  test('the CA key and the server key are mode 0600', T, () => {
    for (const name of ['ca-key.pem', 'server-key.pem']) {
      assert.equal(statSync(path.join(gateway.dataDir, 'tls', name)).mode & 0o777, 0o600, name);
    }
    const bundle = readFileSync(path.join(gateway.dataDir, 'tls', 'ca-bundle.pem'), 'utf8');
    assert.ok(bundle.startsWith(ca.toString('utf8')), 'the bundle starts with the CA');
  });

  test('started functions get the CA variables and the AWS redirect', T, async () => {
    const { env } = await echoesOver(gateway.ready.websocketUrl, {}, 'env');
    const dir = path.join(gateway.dataDir, 'tls');
    assert.equal(env.NODE_EXTRA_CA_CERTS, path.join(dir, 'ca.pem'));
    assert.equal(env.WSGW_CA_FILE, path.join(dir, 'ca.pem'));
    for (const key of ['AWS_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE']) {
      assert.equal(env[key], path.join(dir, 'ca-bundle.pem'), key);
    }
    assert.equal(env.WSGW_AWS_REDIRECT, `127.0.0.1:${gateway.port}`);
  });
});

describe('TLS options', () => {
  test('a second start reuses the CA; --print-ca prints it', T, async () => {
    const dataDir = await makeTempDir();
    const first = await runGateway(['--print-ca', '--data-dir', dataDir]);
    assert.equal(first.code, 0, first.stderr);
    const caFile = first.stdout.trim();
    assert.equal(caFile, path.join(dataDir, 'tls', 'ca.pem'));
    const pem = readFileSync(caFile, 'utf8');
    assert.match(pem, /^-----BEGIN CERTIFICATE-----/);
    assert.equal(statSync(path.join(dataDir, 'tls', 'ca-key.pem')).mode & 0o777, 0o600);
    const second = await runGateway(['--print-ca', '--data-dir', dataDir]);
    assert.equal(second.stdout.trim(), caFile);
    assert.equal(readFileSync(caFile, 'utf8'), pem, 'the same CA');
    const gateway = await startGateway({ routes: probeRoutes(), args: ['--data-dir', dataDir, '--dynamodb-in-memory'] });
    assert.equal(gateway.ready.caFile, caFile);
    assert.equal(readFileSync(caFile, 'utf8'), pem, 'serving kept the CA');
    await stopCleanly(gateway);
  });

  test('two first starts at once on one data folder make one CA both serve with', T, async () => {
    const dataDir = await makeTempDir();
    const args = ['--data-dir', dataDir, '--dynamodb-in-memory'];
    const [a, b] = await Promise.all([startGateway({ routes: probeRoutes(), args }), startGateway({ routes: probeRoutes(), args })]);
    const ca = readFileSync(path.join(dataDir, 'tls', 'ca.pem'));
    for (const gateway of [a, b]) {
      assert.equal((await echoesOver(gateway.ready.secureWebsocketUrl, { ca }, 'race')).echo, 'race');
    }
    await Promise.all([stopCleanly(a), stopCleanly(b)]);
  });

  test('SIGTERM with wss clients open and a handshake half done: 1001, then a clean exit', T, async () => {
    const gateway = await startProbeGateway();
    const ca = readFileSync(gateway.ready.caFile);
    const open = await connect(gateway.ready.secureWebsocketUrl, { ca });
    await request(open, 'before shutdown');
    const hello = await captureClientHello();
    const half = net.connect(gateway.port, '127.0.0.1', () => half.write(hello.subarray(0, 30)));
    half.on('error', () => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    const closed = open.waitClosed(8000);
    await stopCleanly(gateway);
    assert.equal((await closed).code, 1001);
    half.destroy();
  });

  test('--tls-cert/--tls-key serve the user\'s own pair', T, async () => {
    const dir = await makeTempDir();
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=mine', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    const gateway = await startProbeGateway({ args: ['--tls-cert', cert, '--tls-key', key] });
    assert.equal(gateway.ready.caFile, undefined);
    const answer = await echoesOver(gateway.ready.secureWebsocketUrl, { ca: readFileSync(cert) }, 'mine');
    assert.equal(answer.echo, 'mine');
    assert.equal(answer.env.NODE_EXTRA_CA_CERTS, null, 'no local CA to trust');
    await stopCleanly(gateway);
  });

  test('a bad --tls-cert/--tls-key is refused with words', T, async () => {
    const dir = await makeTempDir();
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const otherKey = path.join(dir, 'other.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=mine'], { stdio: 'ignore' });
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', otherKey], { stdio: 'ignore' });
    const routes = path.join(dir, 'routes.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(routes, JSON.stringify(probeRoutes()));
    const cases = [
      [['--tls-cert', cert, '--tls-key', otherKey], /is not the key of --tls-cert/],
      [['--tls-cert', path.join(dir, 'missing.pem'), '--tls-key', key], /--tls-cert .*missing\.pem: No such file/],
      [['--tls-cert', key, '--tls-key', key], /not a PEM certificate/],
      [['--tls-cert', cert, '--tls-key', cert], /not a PEM private key/],
      [['--tls-cert', cert], /go together/],
      [['--no-tls', '--tls-cert', cert, '--tls-key', key], /--no-tls turns TLS off/],
    ];
    for (const [args, message] of cases) {
      const result = await runGateway(['--routes', routes, '--port', '0', '--dynamodb-in-memory', ...args], { timeoutMs: 5000 });
      assert.equal(result.timedOut, false, args.join(' '));
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });

  test('--no-tls refuses a ClientHello at once and sets no CA variables', T, async () => {
    const gateway = await startProbeGateway({ args: ['--no-tls'] });
    assert.equal(gateway.ready.secureWebsocketUrl, undefined);
    assert.equal(gateway.ready.caFile, undefined);
    const started = Date.now();
    const outcome = await tryConnect(`wss://127.0.0.1:${gateway.port}/dev`, { timeoutMs: 10000, rejectUnauthorized: false });
    assert.equal(outcome.opened, false);
    assert.ok(Date.now() - started < 2000, `refused after ${Date.now() - started} ms`);
    await gateway.waitForLine(/TLS is off \(--no-tls\)/, 2000);
    const { env } = await echoesOver(gateway.ready.websocketUrl, {}, 'env');
    for (const key of ['NODE_EXTRA_CA_CERTS', 'AWS_CA_BUNDLE', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE', 'WSGW_CA_FILE', 'WSGW_AWS_REDIRECT']) {
      assert.equal(env[key], null, key);
    }
    await stopCleanly(gateway);
  });

  test('--no-aws-redirect keeps the CA variables and drops WSGW_AWS_REDIRECT', T, async () => {
    const gateway = await startProbeGateway({ args: ['--no-aws-redirect'] });
    const { env } = await echoesOver(gateway.ready.websocketUrl, {}, 'env');
    assert.equal(env.WSGW_AWS_REDIRECT, null);
    assert.equal(env.NODE_EXTRA_CA_CERTS, gateway.ready.caFile);
    await stopCleanly(gateway);
  });

  test('a CA variable wsgw inherits is kept: its file plus the CA, or as is when unreadable', T, async () => {
    const dir = await makeTempDir();
    const mine = path.join(dir, 'corporate.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', path.join(dir, 'k.pem'), '-out', mine, '-days', '2', '-subj', '/CN=corporate'], { stdio: 'ignore' });
    const gateway = await startProbeGateway({
      env: { NODE_EXTRA_CA_CERTS: mine, REQUESTS_CA_BUNDLE: '/no/such/bundle.pem', WSGW_AWS_REDIRECT: '10.0.0.1:1' },
    });
    const { env } = await echoesOver(gateway.ready.websocketUrl, {}, 'env');
    assert.equal(env.REQUESTS_CA_BUNDLE, '/no/such/bundle.pem');
    assert.equal(env.WSGW_AWS_REDIRECT, '10.0.0.1:1');
    assert.notEqual(env.NODE_EXTRA_CA_CERTS, mine);
    const merged = readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8');
    assert.ok(merged.includes(readFileSync(gateway.ready.caFile, 'utf8')), 'holds the CA');
    assert.ok(merged.includes(readFileSync(mine, 'utf8')), 'holds the inherited file');
    await stopCleanly(gateway);
  });
});
