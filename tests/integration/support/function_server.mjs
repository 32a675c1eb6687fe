// An in-process stand-in for Lambda functions: serves the Lambda Invoke API
// (POST /2015-03-31/functions/{name}/invocations) on 127.0.0.1, records every event it receives,
// and answers according to a behaviour chosen by the function name in the URL.
//
// A behaviour is `async (event, req) => ({status, headers, body})`; `status` defaults to 200,
// an object body is sent as JSON. Tests add their own with `server.behaviours.set(name, fn)`.
import http from 'node:http';
import net from 'node:net';

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

// Resolves after ms, or as soon as `signal` aborts (the server is closing).
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

const ok = (result) => ({ status: 200, body: result });

function defaultBehaviours(signal) {
  return new Map([
    ['echo', async (event) => ok({ statusCode: 200, body: event.body })],
    [
      'connect',
      async (event) => {
        if (event.requestContext?.eventType !== 'CONNECT') return ok({ statusCode: 200 });
        const query = event.queryStringParameters || {};
        if (query.delay) await sleep(Number(query.delay), signal);
        const result = { statusCode: query.status ? Number(query.status) : 200 };
        if (query.protocol) result.headers = { 'Sec-WebSocket-Protocol': query.protocol };
        if (query.extraHeader) {
          result.headers = { ...result.headers, 'X-Extra-Header': query.extraHeader };
        }
        return ok(result);
      },
    ],
    [
      'throws',
      async () => ({
        status: 200,
        headers: { 'X-Amz-Function-Error': 'Unhandled' },
        body: {
          errorType: 'Error',
          errorMessage: 'handler exploded',
          trace: ['Error: handler exploded', '    at Runtime.handler (/var/task/index.js:3:9)'],
        },
      }),
    ],
    ['rie-error', async () => ok({ errorType: 'Error', errorMessage: 'boom' })],
    ['no-status', async () => ok({ hello: 1 })],
    [
      'slow',
      async (event) => {
        let wait = 0;
        try {
          wait = Number(JSON.parse(event.body).delay) || 0;
        } catch {
          // Not a JSON message: answer at once.
        }
        await sleep(wait, signal);
        return ok({ statusCode: 200, body: event.body });
      },
    ],
    ['status-401', async () => ok({ statusCode: 401, body: 'nope' })],
    ['record', async () => ok({ statusCode: 200 })],
  ]);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startFunctionServer() {
  const closing = new AbortController();
  const behaviours = defaultBehaviours(closing.signal);
  // Each record: {fn, event, method, path, headers, rawBody, receivedAt, answeredAt}.
  const events = [];
  const waiters = new Set();

  const notify = () => {
    for (const waiter of waiters) waiter();
  };

  const server = http.createServer(async (req, res) => {
    const match = INVOKE_PATH.exec(req.url.split('?')[0]);
    const rawBody = await readBody(req);
    if (!match || req.method !== 'POST') {
      res.writeHead(404, { 'Content-Type': 'application/json', 'x-amzn-ErrorType': 'ResourceNotFoundException' });
      res.end(JSON.stringify({ Type: 'User', Message: `no such invoke path: ${req.method} ${req.url}` }));
      return;
    }
    const fn = decodeURIComponent(match[1]);
    let event;
    try {
      event = JSON.parse(rawBody);
    } catch {
      event = undefined;
    }
    const record = {
      fn,
      event,
      method: req.method,
      path: req.url,
      headers: req.headers,
      rawBody,
      receivedAt: Date.now(),
      answeredAt: null,
    };
    events.push(record);
    notify();

    const behaviour = behaviours.get(fn);
    let answer;
    if (!behaviour) {
      answer = {
        status: 404,
        headers: { 'x-amzn-ErrorType': 'ResourceNotFoundException' },
        body: { Type: 'User', Message: `Function not found: ${fn}` },
      };
    } else {
      try {
        answer = await behaviour(event, req);
      } catch (error) {
        answer = {
          status: 200,
          headers: { 'X-Amz-Function-Error': 'Unhandled' },
          body: { errorType: 'TestServerError', errorMessage: String(error), trace: [] },
        };
      }
    }
    if (closing.signal.aborted || res.destroyed) return;
    const body =
      typeof answer.body === 'string' || Buffer.isBuffer(answer.body)
        ? answer.body
        : JSON.stringify(answer.body ?? null);
    res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json', ...answer.headers });
    res.end(body, () => {
      record.answeredAt = Date.now();
      notify();
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  return {
    port,
    events,
    behaviours,
    url: (name) => `http://127.0.0.1:${port}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
    // The parsed events only, optionally filtered by a predicate on the record.
    received: (predicate = () => true) => events.filter(predicate),
    // Resolves with the first record (already received or future) for which predicate is true.
    waitForEvent(predicate, timeoutMs = 5000) {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const seen = events.map((r) => `${r.fn}:${r.event?.requestContext?.routeKey}`).join(', ');
          reject(new Error(`no matching function event within ${timeoutMs} ms (received: ${seen || 'none'})`));
        }, timeoutMs);
        const waiter = () => {
          const hit = events.find(predicate);
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(hit);
        };
        waiters.add(waiter);
      });
    },
    // Resolves once the function has finished writing its answer to the record's request.
    waitForAnswer(record, timeoutMs = 5000) {
      if (record.answeredAt) return Promise.resolve(record);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`function ${record.fn} did not answer within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = () => {
          if (!record.answeredAt) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(record);
        };
        waiters.add(waiter);
      });
    },
    async close() {
      closing.abort();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// An invoke URL on a port nothing listens on: bind port 0, note the port, close it.
export async function deadUrl(name = 'dead') {
  const probe = net.createServer();
  await new Promise((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}/2015-03-31/functions/${name}/invocations`;
}

// Predicates for waitForEvent / received.
export const isEvent = (eventType, connectionId) => (record) =>
  record.event?.requestContext?.eventType === eventType &&
  (connectionId === undefined || record.event.requestContext.connectionId === connectionId);

export const isMessageWithBody = (body) => (record) =>
  record.event?.requestContext?.eventType === 'MESSAGE' && record.event.body === body;
