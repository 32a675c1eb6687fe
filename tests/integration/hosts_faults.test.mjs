// The Node.js and Python hosts when the other side gives up: the gateway's integration timeout
// closes the connection while the handler still runs (the host then answers into a closed
// socket), and a client that sends half a request and leaves. Neither host may print a
// traceback or an unhandled error for that, and both keep serving.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { connect } from './support/client.mjs';
import { startGateway } from './support/gateway.mjs';
import { startHost } from './support/hosts.mjs';
import { delay } from './support/tracking.mjs';

const T = { timeout: 40000 };
const INTERNAL_ERROR = /^\{"message": "Internal server error", "connectionId":"[^"]+", "requestId":"[^"]+"\}$/;
// What a host must never print.
const NOISE = /Traceback|BrokenPipe|ConnectionReset|EPIPE|ECONNRESET|Unhandled|uncaught|ERR_STREAM/i;

// Sleeps 2 s (past the gateway's 1 s timeoutMs) unless the message is "fast"; prints when done.
const HANDLERS = {
  python: {
    file: 'slow.py',
    handler: 'slow.handler',
    text: [
      'import time',
      '',
      'def handler(event, context):',
      '    if event.get("body") != "fast":',
      '        time.sleep(2)',
      '        print("slow handler finished", flush=True)',
      '    return {"statusCode": 200, "body": "answer to " + str(event.get("body"))}',
      '',
    ].join('\n'),
  },
  nodejs: {
    file: 'slow.mjs',
    handler: 'slow.handler',
    text: [
      'export const handler = async (event) => {',
      "  if (event.body !== 'fast') {",
      '    await new Promise((resolve) => setTimeout(resolve, 2000));',
      "    console.log('slow handler finished');",
      '  }',
      "  return { statusCode: 200, body: `answer to ${event.body}` };",
      '};',
      '',
    ].join('\n'),
  },
};

for (const [runtime, source] of Object.entries(HANDLERS)) {
  describe(`the ${runtime} host`, () => {
    let root;
    let host;
    let gateway;
    before(async () => {
      root = await mkdtemp(path.join(tmpdir(), `wsgw-host-faults-${runtime}-`));
      await writeFile(path.join(root, source.file), source.text);
      host = await startHost({ runtime, root, handler: source.handler, name: 'slow', timeoutSeconds: 20 });
      gateway = await startGateway({
        routes: {
          name: 'host-faults',
          stage: 'dev',
          functions: { slow: { url: host.url, timeoutMs: 1000 } },
          routes: { $default: { function: 'slow', routeResponse: true } },
        },
      });
    });
    after(async () => {
      await gateway?.stop();
      await host?.stop();
      if (root) await rm(root, { recursive: true, force: true });
    });

    const noise = () => host.lines().filter((line) => NOISE.test(line));

    test('answering after the gateway timed out prints no traceback, and the host serves on', T, async () => {
      const ws = await connect(gateway.wsUrl);
      ws.send('slow');
      assert.match(await ws.nextMessage(5000), INTERNAL_ERROR);
      await host.waitForLine(/slow handler finished/, 10000);
      // The host writes its answer into the connection the gateway closed; then it serves again.
      ws.send('fast');
      assert.equal(await ws.nextMessage(5000), 'answer to fast');
      await delay(300);  // lets a late traceback of the first answer reach the output
      assert.deepEqual(noise(), []);
      ws.close();
    });

    test('a client that sends half a request and leaves causes no traceback', T, async () => {
      const { port } = new URL(host.url);
      await new Promise((resolve, reject) => {
        const socket = net.connect({ port: Number(port), host: '127.0.0.1' }, () => {
          socket.end('POST /2015-03-31/functions/slow/invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{"body":');
        });
        socket.on('error', reject);
        socket.on('close', resolve);
        socket.resume();
      });
      const ws = await connect(gateway.wsUrl);
      ws.send('fast');
      assert.equal(await ws.nextMessage(5000), 'answer to fast');
      ws.close();
      await delay(300);
      assert.deepEqual(noise(), []);
    });
  });
}
