// A test certificate authority and a small HTTPS server, for the hosts' AWS-name redirect and
// trust check before the gateway speaks TLS itself.
//
// makeTestCa() makes, with the openssl CLI, a CA and a server certificate signed by it for the
// names given (DNS names and IP addresses), in a fresh temp folder removed by gateway.mjs's
// `after` hook. startTlsServer() serves HTTPS with that certificate on 127.0.0.1, port 0, and
// records every request with the SNI name the client sent, so a test can prove where a
// function's connection went and under which name.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from './gateway.mjs';

const run = promisify(execFile);

// names: ["*.execute-api.us-east-1.amazonaws.com", "127.0.0.1", ...]. Resolves with
// {dir, caFile, certFile, keyFile, ca, cert, key} (the last three as PEM text).
export async function makeTestCa(names, { commonName = 'wsgw test CA' } = {}) {
  const dir = await makeTempDir();
  const file = (name) => path.join(dir, name);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', `/CN=${commonName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign',
  ]);
  await run('openssl', [
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=wsgw test server',
  ]);
  const altNames = names
    .map((name) => (/^[\d.]+$|:/.test(name) ? `IP:${name}` : `DNS:${name}`))
    .join(',');
  await writeFile(
    file('server.ext'),
    `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
  );
  await run('openssl', [
    'x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'),
    '-CAcreateserial', '-out', file('server.pem'), '-days', '2', '-extfile', file('server.ext'),
  ]);
  return {
    dir,
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server.key'),
    ca: await readFile(file('ca.pem'), 'utf8'),
    cert: await readFile(file('server.pem'), 'utf8'),
    key: await readFile(file('server.key'), 'utf8'),
  };
}

// Serves HTTPS with `ca`'s server certificate. `respond(request, body)` returns {status,
// headers, body} (default: 200 with an empty JSON object). Resolves with {port, requests, close}:
// requests is the list of {servername, method, url, host, body} seen so far.
export async function startTlsServer(ca, respond = () => ({ status: 200, body: '{}' })) {
  const requests = [];
  const server = https.createServer({ cert: ca.cert, key: ca.key }, (request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const seen = {
        servername: request.socket.servername,
        method: request.method,
        url: request.url,
        host: request.headers.host,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      const answer = respond(seen);
      response.writeHead(answer.status ?? 200, {
        'Content-Type': 'application/json',
        ...(answer.headers ?? {}),
      });
      response.end(answer.body ?? '');
    });
  });
  // A client that gives up on the handshake (a wrong CA) is not the server's failure.
  server.on('tlsClientError', () => {});
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(resolve);
      }),
  };
}
