// Raw TCP clients for tests that must send what no well-behaved WebSocket library sends:
// malformed handshakes, oversized heads, hand-built frames (unmasked, bad opcodes, invalid UTF-8),
// half-closed and silent sockets. Every wait is bounded; every socket is destroyed after the
// test file's last test.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { after } from 'node:test';

const openSockets = new Set();
after(() => {
  for (const socket of openSockets) socket.destroy();
  openSockets.clear();
});

function timeoutError(what, timeoutMs) {
  return new Error(`${what} within ${timeoutMs} ms`);
}

// A connected socket that records everything it receives. `allowHalfOpen` keeps our side open
// after the server's FIN, so a test can see exactly what the server did.
export function openSocket(port, { timeoutMs = 5000, allowHalfOpen = false } = {}) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen });
    openSockets.add(socket);
    socket.received = Buffer.alloc(0);
    socket.ended = false;
    socket.closedFlag = false;
    socket.on('data', (chunk) => {
      socket.received = Buffer.concat([socket.received, chunk]);
      socket.emit('received');
    });
    socket.on('end', () => {
      socket.ended = true;
      socket.emit('received');
    });
    socket.on('close', () => {
      socket.closedFlag = true;
      openSockets.delete(socket);
      socket.emit('received');
    });
    socket.on('error', () => {});
    const timer = setTimeout(() => {
      socket.destroy();
      reject(timeoutError('no TCP connection', timeoutMs));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

// Resolves once predicate(socket) is true (checked on every arrival, FIN and close).
export function waitFor(socket, predicate, timeoutMs, what) {
  if (predicate(socket)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!predicate(socket)) return;
      clearTimeout(timer);
      socket.off('received', check);
      resolve();
    };
    const timer = setTimeout(() => {
      socket.off('received', check);
      reject(timeoutError(what, timeoutMs));
    }, timeoutMs);
    socket.on('received', check);
  });
}

// Resolves once the server ended or closed the connection.
export function waitForEnd(socket, timeoutMs = 5000) {
  return waitFor(socket, (s) => s.ended || s.closedFlag, timeoutMs, 'the server did not close the connection');
}

// Parses an HTTP response head (and the body when Content-Length says how long it is).
export function parseHttpResponse(buffer) {
  const text = buffer.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine, ...headerLines] = text.slice(0, end).split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!match) return null;
  const headers = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = buffer.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
  const complete = length === null ? true : rest.length >= length;
  return {
    status: Number(match[1]),
    statusLine,
    headers,
    body: (length === null ? rest : rest.subarray(0, length)).toString('utf8'),
    rest: length === null ? Buffer.alloc(0) : rest.subarray(length),
    complete,
  };
}

// Sends `bytes` (string or Buffer) on a fresh connection and resolves with the HTTP response
// the server sent, plus whether it then closed the connection.
export async function rawHttp(port, bytes, { timeoutMs = 5000 } = {}) {
  const socket = await openSocket(port, { timeoutMs });
  socket.write(bytes);
  await waitFor(
    socket,
    (s) => {
      const response = parseHttpResponse(s.received);
      return (response && response.complete) || s.ended || s.closedFlag;
    },
    timeoutMs,
    'no complete HTTP response',
  );
  return { socket, response: parseHttpResponse(socket.received) };
}

export function upgradeRequest(path, { key = randomBytes(16).toString('base64'), version = '13', extra = [], omit = [] } = {}) {
  const lines = [
    `GET ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    `Sec-WebSocket-Version: ${version}`,
    ...extra,
  ].filter((line) => !omit.some((name) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`)));
  return `${lines.join('\r\n')}\r\n\r\n`;
}

// One WebSocket frame. Client frames are masked unless mask is false.
export function encodeFrame({ opcode = 1, payload = Buffer.alloc(0), fin = true, mask = true, rsv = 0 } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const header = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (data.length < 126) {
    header.push(maskBit | data.length);
  } else if (data.length < 65536) {
    header.push(maskBit | 126, data.length >> 8, data.length & 0xff);
  } else {
    header.push(maskBit | 127, 0, 0, 0, 0);
    header.push((data.length >>> 24) & 0xff, (data.length >> 16) & 0xff, (data.length >> 8) & 0xff, data.length & 0xff);
  }
  if (!mask) return Buffer.concat([Buffer.from(header), data]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i += 1) masked[i] = data[i] ^ key[i % 4];
  return Buffer.concat([Buffer.from(header), key, masked]);
}

// A frame header alone, declaring `length` payload bytes (a Number or BigInt) that never follow:
// what a client announcing a huge frame sends first. The 64-bit length form is used for lengths
// over 65535, or always with `long64`.
export function frameHeader({ opcode = 1, length, fin = true, mask = true, rsv = 0, long64 = false } = {}) {
  const big = BigInt(length);
  const bytes = [(fin ? 0x80 : 0) | (rsv << 4) | opcode];
  const maskBit = mask ? 0x80 : 0;
  if (big < 126n && !long64) {
    bytes.push(maskBit | Number(big));
  } else if (big < 65536n && !long64) {
    bytes.push(maskBit | 126, Number(big >> 8n), Number(big & 0xffn));
  } else {
    bytes.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) bytes.push(Number((big >> shift) & 0xffn));
  }
  const header = Buffer.from(bytes);
  return mask ? Buffer.concat([header, randomBytes(4)]) : header;
}

// A close frame's body: the code (2 bytes, big-endian) and the reason.
export function closeBody(code, reason = '') {
  const body = Buffer.alloc(2);
  body.writeUInt16BE(code);
  return Buffer.concat([body, Buffer.isBuffer(reason) ? reason : Buffer.from(reason, 'utf8')]);
}

// Server frames (unmasked) found in `buffer`: [{opcode, fin, payload}], stopping at a partial one.
export function decodeFrames(buffer) {
  const frames = [];
  let offset = 0;
  while (offset + 2 <= buffer.length) {
    const first = buffer[offset];
    let length = buffer[offset + 1] & 0x7f;
    let header = 2;
    if (length === 126) {
      if (offset + 4 > buffer.length) break;
      length = buffer.readUInt16BE(offset + 2);
      header = 4;
    } else if (length === 127) {
      if (offset + 10 > buffer.length) break;
      length = Number(buffer.readBigUInt64BE(offset + 2));
      header = 10;
    }
    if (offset + header + length > buffer.length) break;
    frames.push({
      opcode: first & 0x0f,
      fin: (first & 0x80) !== 0,
      payload: buffer.subarray(offset + header, offset + header + length),
    });
    offset += header + length;
  }
  return frames;
}

// The close frame's {code, reason} among `frames`, or null.
export function closeOf(frames) {
  const close = frames.find((frame) => frame.opcode === 8);
  if (!close) return null;
  if (close.payload.length < 2) return { code: 1005, reason: '' };
  return { code: close.payload.readUInt16BE(0), reason: close.payload.subarray(2).toString('utf8') };
}

// Completes a WebSocket handshake on a raw socket. Resolves with {socket, response, frames()},
// where frames() decodes what arrived after the 101 head; rejects if the server refused.
export async function rawWebSocket(port, path, { timeoutMs = 5000, allowHalfOpen = false, extra = [] } = {}) {
  const socket = await openSocket(port, { timeoutMs, allowHalfOpen });
  socket.write(upgradeRequest(path, { extra }));
  await waitFor(socket, (s) => s.received.includes('\r\n\r\n') || s.ended || s.closedFlag, timeoutMs, 'no handshake response');
  const response = parseHttpResponse(socket.received);
  if (!response || response.status !== 101) {
    socket.destroy();
    throw new Error(`handshake refused: ${socket.received.toString('latin1').slice(0, 200)}`);
  }
  const headLength = socket.received.indexOf('\r\n\r\n') + 4;
  const frames = () => decodeFrames(socket.received.subarray(headLength));
  return { socket, response, frames };
}

// Resolves with the server's close frame {code, reason} on a raw WebSocket.
export async function waitForCloseFrame(raw, timeoutMs = 5000) {
  await waitFor(raw.socket, (s) => closeOf(raw.frames()) !== null || s.ended || s.closedFlag, timeoutMs, 'no close frame');
  return closeOf(raw.frames());
}
