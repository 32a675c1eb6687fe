// Soak test for wsgw-emulate: thousands of WebSocket connections open, chat and close for
// minutes while the API's started (`command`) function is killed and restarted, then checks
//   - the gateway never crashed (and exits 0 on SIGTERM at the end),
//   - every connection $connect accepted got exactly one $disconnect,
//   - the gateway's memory and descriptors came back to their level,
//   - the --hostile raw-socket clients mixed in (never reading, RFC 6455 violations, smuggling
//     and oversized HTTP) each got the close code or status they should.
//
//   node bench/soak.mjs [--duration 60] [--connections 2000] [--interval-ms 3000]
//                       [--kill-every 15] [--hostile 20] [--bin build/bin/wsgw-emulate]
//
// $connect and $disconnect go to a function server this program runs itself (it counts the
// events per connectionId); $default goes to fixtures/functions/echo_function.mjs, which the
// gateway starts, and which this program SIGKILLs every --kill-every seconds (the gateway
// restarts it; meanwhile messages get the "Internal server error" frame).
//
// Phases: warm-up (the first quarter, at most 30 s, no kills) and main (the rest, with kills)
// each end with every client closed and a memory reading. Memory must come back to within
// --max-rss-growth-mb of its cold (before any client) level; when it does not, the soak asks
// the gateway to malloc_trim(0) through gdb and says whether the rest is a leak or memory glibc
// keeps for reuse. Prints a table and `soak.NAME VALUE` lines; exits 1 if a check fails.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(path.join(ROOT, 'tests', 'package.json'));
const WebSocket = require('ws');

// --- arguments --------------------------------------------------------------------------------

function parseArgs(argv) {
  const options = {
    duration: 60,
    connections: 2000,
    intervalMs: 3000,
    killEvery: 15,
    bin: ['build/bin/wsgw-emulate', 'build-ci-release/bin/wsgw-emulate']
      .map((p) => path.join(ROOT, p)).find((p) => existsSync(p)) ?? path.join(ROOT, 'build/bin/wsgw-emulate'),
    maxRssGrowthMb: 8,
    hostile: 20,
  };
  for (let i = 2; i < argv.length; i += 1) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const number = () => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} expects a positive number, got ${value}`);
      i += 1;
      return n;
    };
    switch (flag) {
      case '--duration': options.duration = number(); break;
      case '--connections': options.connections = Math.round(number()); break;
      case '--interval-ms': options.intervalMs = number(); break;
      case '--kill-every': options.killEvery = number(); break;
      case '--max-rss-growth-mb': options.maxRssGrowthMb = number(); break;
      case '--hostile':
        options.hostile = Number(value);
        if (!Number.isInteger(options.hostile) || options.hostile < 0) throw new Error(`--hostile expects a count, got ${value}`);
        i += 1;
        break;
      case '--bin': options.bin = path.resolve(value); i += 1; break;
      case '-h': case '--help':
        console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\nimport ')[0]);
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${flag}`);
    }
  }
  return options;
}

const options = parseArgs(process.argv);
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const startedAt = Date.now();
const elapsed = () => ((Date.now() - startedAt) / 1000).toFixed(0).padStart(4);

// --- the lifecycle function: counts $connect and $disconnect per connectionId ------------------

const connects = new Map();     // connectionId -> tag
const disconnects = new Map();  // connectionId -> count
const disconnectCodes = new Map();  // code -> count
const lifecycle = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    let event;
    try {
      event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const { eventType, connectionId, disconnectStatusCode } = event.requestContext ?? {};
    if (eventType === 'CONNECT') connects.set(connectionId, event.queryStringParameters?.tag ?? '');
    if (eventType === 'DISCONNECT') {
      disconnects.set(connectionId, (disconnects.get(connectionId) ?? 0) + 1);
      disconnectCodes.set(disconnectStatusCode, (disconnectCodes.get(disconnectStatusCode) ?? 0) + 1);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"statusCode":200}');
  });
});
lifecycle.keepAliveTimeout = 60000;
await new Promise((resolve) => lifecycle.listen(0, '127.0.0.1', resolve));
const lifecyclePort = lifecycle.address().port;

// --- the gateway --------------------------------------------------------------------------------

if (!existsSync(options.bin)) {
  console.error(`wsgw-emulate not found at ${options.bin} (build it, or pass --bin)`);
  process.exit(2);
}
const dir = mkdtempSync(path.join(tmpdir(), 'wsgw-soak-'));
const routesFile = path.join(dir, 'routes.json');
const readyFile = path.join(dir, 'ready.json');
writeFileSync(routesFile, JSON.stringify({
  name: 'soak',
  stage: 'soak',
  functions: {
    lifecycle: { url: `http://127.0.0.1:${lifecyclePort}/2015-03-31/functions/lifecycle/invocations` },
    echo: { command: ['node', path.join(ROOT, 'fixtures/functions/echo_function.mjs')], timeoutMs: 5000 },
  },
  routes: {
    $connect: { function: 'lifecycle' },
    $disconnect: { function: 'lifecycle' },
    $default: { function: 'echo', routeResponse: true },
  },
}, null, 2));

const gatewayLog = { lines: 0, warnings: 0, errors: 0, restarts: 0, sanitizer: [] };
const gateway = spawn(options.bin, ['--routes', routesFile, '--port', '0', '--ready-file', readyFile, '--log-level', 'warn'], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let gatewayExit = null;
gateway.on('exit', (code, signal) => {
  gatewayExit = { code, signal, at: Date.now() };
});
let pending = '';
gateway.stderr.setEncoding('utf8').on('data', (chunk) => {
  pending += chunk;
  let newline;
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline);
    pending = pending.slice(newline + 1);
    gatewayLog.lines += 1;
    if (/ warn /.test(line)) gatewayLog.warnings += 1;
    if (/ error /.test(line)) gatewayLog.errors += 1;
    if (/restarting/.test(line)) gatewayLog.restarts += 1;
    if (/Sanitizer|runtime error|SUMMARY/.test(line)) gatewayLog.sanitizer.push(line);
  }
});
process.on('exit', () => {
  if (!gatewayExit) gateway.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

for (let waited = 0; !existsSync(readyFile); waited += 50) {
  if (gatewayExit || waited > 30000) {
    console.error(`the gateway did not start (${JSON.stringify(gatewayExit)})`);
    process.exit(1);
  }
  await delay(50);
}
const ready = JSON.parse(readFileSync(readyFile, 'utf8'));
const url = ready.websocketUrl;
const pid = gateway.pid;

// --- /proc readings -----------------------------------------------------------------------------

function rssKb() {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) : NaN;
}

// Descriptors of the gateway: sockets on its own port (clients), other sockets, everything else.
function descriptors() {
  const portByInode = new Map();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      portByInode.set(f[9], f[3] === '0A' ? -1 : parseInt(f[1].split(':')[1], 16));
    }
  }
  const counts = { clients: 0, sockets: 0, other: 0 };
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    const socket = /^socket:\[(\d+)\]$/.exec(target);
    if (!socket) counts.other += 1;
    else if (portByInode.get(socket[1]) === ready.port) counts.clients += 1;
    else counts.sockets += 1;
  }
  return counts;
}

// The echo function's process: a child of the gateway running echo_function.mjs.
function echoFunctionPid() {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('echo_function.mjs')) return Number(entry);
    } catch {
      // exited meanwhile
    }
  }
  return null;
}

// --- clients ----------------------------------------------------------------------------------

const stats = {
  opened: 0, openFailures: 0, closedByUs: 0, closedByGateway: 0, sent: 0, echoed: 0,
  errorFrames: 0, otherFrames: 0, kills: 0, peakOpen: 0, peakRssKb: 0,
};
const live = new Set();
const openedTags = new Set();
let tagCounter = 0;
let running = true;

function openClient() {
  const tag = `s${++tagCounter}`;
  const ws = new WebSocket(`${url}?tag=${tag}`);
  const client = { ws, tag, timer: null, closing: false };
  live.add(client);
  stats.peakOpen = Math.max(stats.peakOpen, live.size);
  ws.on('error', () => {});
  ws.on('open', () => {
    stats.opened += 1;
    openedTags.add(tag);
    const lifetime = 5000 + Math.random() * 25000;
    const bornAt = Date.now();
    const tick = () => {
      if (client.closing || ws.readyState !== WebSocket.OPEN) return;
      if (!running || Date.now() - bornAt > lifetime) {
        endClient(client);
        return;
      }
      ws.send(`${tag} ${stats.sent}`);
      stats.sent += 1;
      client.timer = setTimeout(tick, options.intervalMs * (0.5 + Math.random()));
    };
    client.timer = setTimeout(tick, Math.random() * options.intervalMs);
  });
  ws.on('message', (data) => {
    const text = data.toString('utf8');
    if (text.startsWith(`${tag} `)) stats.echoed += 1;
    else if (text.includes('"Internal server error"')) stats.errorFrames += 1;
    else stats.otherFrames += 1;
  });
  ws.on('close', () => {
    clearTimeout(client.timer);
    live.delete(client);
    if (!client.closing) {
      if (openedTags.has(tag)) stats.closedByGateway += 1;
      else stats.openFailures += 1;
    }
    if (running) setTimeout(openClient, Math.random() * 200);
  });
  return client;
}

// Ends a client in one of the ways real clients end: close frame, no code, FIN, TCP reset.
function endClient(client) {
  if (client.closing) return;
  client.closing = true;
  stats.closedByUs += 1;
  const { ws } = client;
  const way = Math.floor(Math.random() * 4);
  if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  else if (way === 0) ws.close(1000, 'soak');
  else if (way === 1) ws.close();
  else if (way === 2) ws.terminate();
  else ws._socket?.resetAndDestroy();
}

// --- hostile clients ----------------------------------------------------------------------------
// Raw sockets mixed into the soak, each doing one wrong thing, then again: a client that sends
// and never reads (the gateway must close it, 1008, without its memory growing), a frame that
// breaks RFC 6455 (closed with 1002 or 1007), an HTTP request that could be smuggled or is too
// large (400 or 413). Each outcome is checked; anything else counts as unexpected.

const hostileStats = { runs: 0, expected: 0, unexpected: 0, byKind: new Map() };
const { port: gatewayPort } = new URL(ready.websocketUrl);

function maskedFrame(opcode, payload, { fin = true, mask = true } = {}) {
  const data = Buffer.from(payload);
  const head = [(fin ? 0x80 : 0) | opcode];
  const bit = mask ? 0x80 : 0;
  if (data.length < 126) head.push(bit | data.length);
  else head.push(bit | 126, data.length >> 8, data.length & 0xff);
  if (!mask) return Buffer.concat([Buffer.from(head), data]);
  const key = randomBytes(4);
  return Buffer.concat([Buffer.from(head), key, Buffer.from(data.map((b, i) => b ^ key[i % 4]))]);
}

function closeCodeIn(buffer) {
  const end = buffer.indexOf('\r\n\r\n');
  for (let at = end + 4; end >= 0 && at + 2 <= buffer.length;) {
    const opcode = buffer[at] & 0x0f;
    let length = buffer[at + 1] & 0x7f;
    let header = 2;
    if (length === 126) { length = buffer.readUInt16BE(at + 2); header = 4; }
    if (length === 127) { length = Number(buffer.readBigUInt64BE(at + 2)); header = 10; }
    if (opcode === 8 && length >= 2 && at + header + 2 <= buffer.length) return buffer.readUInt16BE(at + header);
    at += header + length;
  }
  return null;
}

const HOSTILE = {
  'never reads': { upgrade: true, expect: (out) => out.ended },
  'unmasked frame': { upgrade: true, frame: () => maskedFrame(1, 'x', { mask: false }), expect: (out) => out.close === 1002 },
  'reserved opcode': { upgrade: true, frame: () => maskedFrame(3, 'x'), expect: (out) => out.close === 1002 },
  'invalid UTF-8': { upgrade: true, frame: () => maskedFrame(1, Buffer.from([0xc3, 0x28])), expect: (out) => out.close === 1007 },
  'CL with TE': { http: 'POST /soak/@connections/x HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', expect: (out) => out.status === 400 },
  'CL 999999999': { http: 'POST /soak/@connections/x HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n', expect: (out) => out.status === 413 },
};

function runHostile() {
  if (!running) return;
  const kinds = Object.keys(HOSTILE);
  const kind = kinds[Math.floor(Math.random() * kinds.length)];
  const spec = HOSTILE[kind];
  const socket = net.connect({ port: Number(gatewayPort), host: '127.0.0.1' });
  let received = Buffer.alloc(0);
  let settled = false;
  const finish = (ended) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    const head = received.toString('latin1', 0, Math.min(received.length, 64));
    const out = { ended, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), close: closeCodeIn(received) };
    const ok = spec.expect(out);
    hostileStats.runs += 1;
    if (ok) hostileStats.expected += 1;
    else hostileStats.unexpected += 1;
    const counts = hostileStats.byKind.get(kind) ?? { ok: 0, bad: 0 };
    counts[ok ? 'ok' : 'bad'] += 1;
    hostileStats.byKind.set(kind, counts);
    socket.destroy();
    if (running) setTimeout(runHostile, Math.random() * 500);
  };
  // A never-reading client is closed once ~4 MiB of replies wait, which takes a while when the
  // echo function is being restarted or the gateway is a sanitizer build.
  const timer = setTimeout(() => finish(false), 60000);
  socket.on('error', () => finish(true));
  socket.on('close', () => finish(true));
  socket.on('connect', () => {
    if (spec.http) {
      socket.write(spec.http);
      socket.on('data', (chunk) => {
        received = Buffer.concat([received, chunk]);
        if (received.includes('\r\n\r\n')) finish(false);
      });
      return;
    }
    socket.write(`GET /soak?tag=h${++tagCounter} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (spec.frame && closeCodeIn(received) !== null) finish(false);
    });
    const started = () => received.includes('\r\n\r\n');
    const go = setInterval(() => {
      if (settled) { clearInterval(go); return; }
      if (!started()) return;
      clearInterval(go);
      if (spec.frame) { socket.write(spec.frame()); return; }
      // Never reads: sends echo requests whose replies pile up until the gateway gives up on it.
      socket.pause();
      const frame = maskedFrame(1, 'n'.repeat(30000));
      const pump = () => {
        while (!settled && socket.write(frame)) { /* until the kernel pushes back */ }
        if (!settled) socket.once('drain', pump);
      };
      pump();
    }, 20);
  });
}

async function runPhase(name, seconds, { kill }) {
  running = true;
  const rampMs = Math.min(5000, seconds * 250);
  for (let i = 0; i < options.connections; i += 1) {
    setTimeout(() => running && openClient(), (i / options.connections) * rampMs);
  }
  for (let i = 0; i < options.hostile; i += 1) setTimeout(runHostile, Math.random() * rampMs);
  const phaseEnd = Date.now() + seconds * 1000;
  let nextKill = Date.now() + options.killEvery * 1000;
  let nextReport = Date.now() + 5000;
  while (Date.now() < phaseEnd && !gatewayExit) {
    await delay(250);
    if (kill && Date.now() >= nextKill) {
      const victim = echoFunctionPid();
      if (victim) {
        process.kill(victim, 'SIGKILL');
        stats.kills += 1;
      }
      nextKill = Date.now() + options.killEvery * 1000;
    }
    if (Date.now() >= nextReport) {
      const rss = rssKb();
      stats.peakRssKb = Math.max(stats.peakRssKb, rss);
      console.log(`${elapsed()}s ${name.padEnd(6)} open ${String(live.size).padStart(5)}  opened ${String(stats.opened).padStart(6)}  ` +
        `sent ${String(stats.sent).padStart(7)}  echoed ${String(stats.echoed).padStart(7)}  errors ${String(stats.errorFrames).padStart(5)}  ` +
        `kills ${stats.kills}  rss ${(rss / 1024).toFixed(1)} MB`);
      nextReport += 5000;
    }
  }
  // Wind down: no new clients, close every open one, wait until each has its $disconnect.
  running = false;
  for (const client of [...live]) endClient(client);
  const deadline = Date.now() + 30000;
  while ((live.size > 0 || missingDisconnects().length > 0) && Date.now() < deadline && !gatewayExit) await delay(100);
  await delay(2000);  // late duplicates, and the gateway's own cleanup
}

const missingDisconnects = () => [...connects.keys()].filter((id) => !disconnects.has(id));

// --- the run ----------------------------------------------------------------------------------

await delay(500);
const cold = { rssKb: rssKb(), fds: descriptors() };
console.log(`soak: ${options.connections} connections, ${options.duration} s, message every ~${options.intervalMs} ms, ` +
  `echo function killed every ${options.killEvery} s; gateway pid ${pid}, ${url}`);
const warmSeconds = Math.min(30, Math.max(5, options.duration / 4));
await runPhase('warmup', warmSeconds, { kill: false });
const warm = { rssKb: rssKb(), fds: descriptors(), connections: connects.size };
await runPhase('main', Math.max(5, options.duration - warmSeconds), { kill: true });
// The gateway may give memory back a little after the load ends: wait for it (bounded).
const rssLimitKb = cold.rssKb + options.maxRssGrowthMb * 1024;
for (let waited = 0; waited < 15000 && !gatewayExit && rssKb() > rssLimitKb; waited += 500) await delay(500);
const end = { rssKb: rssKb(), fds: descriptors(), connections: connects.size };
// When RSS stayed high, tell a leak from memory glibc keeps for reuse: ask the gateway to
// malloc_trim(0) through gdb (if present) and read RSS again.
let trimmedKb = null;
if (end.rssKb > rssLimitKb && !gatewayExit) {
  const gdb = spawnSync('gdb', ['-p', String(pid), '-batch', '-ex', 'call (int) malloc_trim(0)'], { timeout: 30000, encoding: 'utf8' });
  if (!gdb.error) trimmedKb = rssKb();
}

let stop = null;
if (!gatewayExit) {
  gateway.kill('SIGTERM');
  const exitDeadline = Date.now() + 15000;
  while (!gatewayExit && Date.now() < exitDeadline) await delay(50);
  stop = gatewayExit;
}
lifecycle.closeAllConnections();
lifecycle.close();

// --- report -----------------------------------------------------------------------------------

const accepted = connects.size;
const zero = missingDisconnects().length;
const duplicates = [...disconnects.values()].filter((n) => n > 1).length;
const strays = [...disconnects.keys()].filter((id) => !connects.has(id)).length;
const connectedTags = new Set(connects.values());
const openedWithoutConnect = [...openedTags].filter((tag) => !connectedTags.has(tag)).length;
const mb = (kb) => (kb / 1024).toFixed(1);
const checks = [
  ['gateway crashes', gatewayExit && gatewayExit !== stop ? 1 : 0, (v) => v === 0],
  ['gateway exit on SIGTERM', stop ? `${stop.code}${stop.signal ? ` (${stop.signal})` : ''}` : 'none', (v) => v === '0'],
  ['sanitizer reports', gatewayLog.sanitizer.length, (v) => v === 0],
  ['accepted connections', accepted, (v) => v > 0],
  ['connections without $disconnect', zero, (v) => v === 0],
  ['connections with >1 $disconnect', duplicates, (v) => v === 0],
  ['$disconnect for unknown ids', strays, (v) => v === 0],
  ['opened without $connect', openedWithoutConnect, (v) => v === 0],
  ['client sockets left (end)', end.fds.clients, (v) => v === 0],
  ['hostile clients run / unexpected', `${hostileStats.runs}/${hostileStats.unexpected}`,
    () => hostileStats.unexpected === 0 && (options.hostile === 0 || hostileStats.runs > 0)],
  ['other descriptors cold/warm/end', `${cold.fds.other}/${warm.fds.other}/${end.fds.other}`, () => end.fds.other <= warm.fds.other],
  ['RSS cold/warm/peak/end (MB)', `${mb(cold.rssKb)}/${mb(warm.rssKb)}/${mb(stats.peakRssKb)}/${mb(end.rssKb)}`,
    () => end.rssKb <= rssLimitKb],
];
console.log('');
console.log('check                                  value                          ok');
console.log('-------------------------------------  -----------------------------  --');
let failed = 0;
for (const [name, value, ok] of checks) {
  const pass = ok(value);
  if (!pass) failed += 1;
  console.log(`${name.padEnd(37)}  ${String(value).padEnd(29)}  ${pass ? 'ok' : 'FAIL'}`);
}
console.log('');
console.log(`connections opened by clients ${stats.opened} (peak open ${stats.peakOpen}), warm-up ${warm.connections}, ` +
  `main ${end.connections - warm.connections}; handshakes failed ${stats.openFailures}; closed by clients ${stats.closedByUs}, ` +
  `by the gateway ${stats.closedByGateway}`);
console.log(`messages sent ${stats.sent}, echoed ${stats.echoed}, "Internal server error" frames ${stats.errorFrames}, ` +
  `other frames ${stats.otherFrames}; echo function killed ${stats.kills} times, restarts logged ${gatewayLog.restarts}`);
console.log(`$disconnect codes: ${[...disconnectCodes.entries()].sort((a, b) => a[0] - b[0]).map(([c, n]) => `${c}×${n}`).join(' ')}`);
console.log(`gateway log: ${gatewayLog.lines} lines at warn level and above (${gatewayLog.warnings} warn, ${gatewayLog.errors} error)`);
for (const line of gatewayLog.sanitizer.slice(0, 20)) console.log(`  ${line}`);
console.log(`hostile clients: ${[...hostileStats.byKind.entries()].map(([k, c]) => `${k} ${c.ok}${c.bad ? ` (${c.bad} unexpected)` : ''}`).join(', ')}`);
if (end.rssKb > rssLimitKb) {
  console.log(`RSS stayed ${mb(end.rssKb - cold.rssKb)} MB above its cold level (limit ${options.maxRssGrowthMb} MB)` +
    (trimmedKb === null ? '; gdb unavailable, so leak or allocator retention cannot be told apart'
      : `; after malloc_trim(0) through gdb it is ${mb(trimmedKb)} MB: ` +
        (trimmedKb <= rssLimitKb ? 'memory glibc kept for reuse, not a leak' : 'still high: a leak')));
}
console.log('');
const parseable = {
  duration_s: options.duration, connections_target: options.connections, accepted, opened: stats.opened,
  disconnect_missing: zero, disconnect_duplicates: duplicates, messages_sent: stats.sent, messages_echoed: stats.echoed,
  error_frames: stats.errorFrames, function_kills: stats.kills, rss_cold_kb: cold.rssKb, rss_warm_kb: warm.rssKb,
  rss_peak_kb: stats.peakRssKb, rss_end_kb: end.rssKb, rss_growth_kb: end.rssKb - cold.rssKb,
  rss_after_malloc_trim_kb: trimmedKb ?? 'n/a',
  client_sockets_end: end.fds.clients, hostile_runs: hostileStats.runs,
  hostile_unexpected: hostileStats.unexpected, failed_checks: failed,
};
for (const [key, value] of Object.entries(parseable)) console.log(`soak.${key} ${value}`);
process.exit(failed === 0 ? 0 : 1);
