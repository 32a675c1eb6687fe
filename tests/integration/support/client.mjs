// WebSocket client helpers over the `ws` package, with bounded waits everywhere.
import { after } from 'node:test';
import WebSocket from 'ws';

const openSockets = new Set();
after(() => {
  for (const ws of openSockets) ws.terminate();
  openSockets.clear();
});

// Attaches a message queue and a `closed` promise to a fresh socket.
function instrument(ws) {
  openSockets.add(ws);
  const queue = [];
  const takers = [];
  ws.received = [];
  ws.on('message', (data, isBinary) => {
    const message = isBinary ? data : data.toString('utf8');
    ws.received.push(message);
    const taker = takers.shift();
    if (taker) taker(message);
    else queue.push(message);
  });
  ws.closed = new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      openSockets.delete(ws);
      resolve({ code, reason: reason.toString('utf8') });
    });
  });
  // Resolves with the next message not yet taken; rejects after timeoutMs.
  ws.nextMessage = (timeoutMs = 5000) => {
    if (queue.length) return Promise.resolve(queue.shift());
    return new Promise((resolve, reject) => {
      const taker = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      const timer = setTimeout(() => {
        const index = takers.indexOf(taker);
        if (index >= 0) takers.splice(index, 1);
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      takers.push(taker);
    });
  };
  // Resolves with {code, reason} once closed; rejects after timeoutMs.
  ws.waitClosed = (timeoutMs = 5000) => withTimeout(ws.closed, timeoutMs, 'the socket did not close');
  ws.on('error', () => {});
  return ws;
}

export function withTimeout(promise, timeoutMs, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Attempts a handshake and resolves with what happened, never rejecting for a refused one:
//   {opened: true, ws, response}                     101 and the socket is open
//   {opened: false, status, headers, body}           the server answered with an HTTP status
//   {opened: false, error}                           the client failed the handshake (message)
export function tryConnect(url, { protocols, headers, timeoutMs = 8000, ...options } = {}) {
  return new Promise((resolve) => {
    const ws = instrument(
      new WebSocket(url, protocols, { headers, handshakeTimeout: timeoutMs, ...options }),
    );
    let response = null;
    let settled = false;
    const settle = (value) => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    ws.on('upgrade', (res) => {
      response = res;
    });
    ws.on('open', () => settle({ opened: true, ws, response }));
    ws.on('unexpected-response', (req, res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      const finish = () => {
        settle({
          opened: false,
          status: res.statusCode,
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        req.destroy();
        ws.terminate();
      };
      res.on('end', finish);
      res.on('error', finish);
      res.on('aborted', finish);
      // A server that keeps the body open forever must not hang the test.
      setTimeout(finish, 2000).unref();
    });
    ws.on('error', (error) => settle({ opened: false, error }));
  });
}

// Opens a socket or throws with what the server answered instead.
export async function connect(url, options = {}) {
  const outcome = await tryConnect(url, options);
  if (outcome.opened) return outcome.ws;
  if (outcome.error) throw new Error(`handshake to ${url} failed: ${outcome.error.message}`);
  throw new Error(`handshake to ${url} got HTTP ${outcome.status}: ${outcome.body}`);
}

// Sends text and resolves with the next message received.
export async function request(ws, text, timeoutMs = 5000) {
  ws.send(text);
  return ws.nextMessage(timeoutMs);
}
