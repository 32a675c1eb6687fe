// The floor of any Node.js process behind the Invoke API, for bench/run.sh host-floor: node's own
// HTTP server, one JSON.parse of the event and one JSON.stringify of the echo answer, nothing
// else (no execution environment, no context, no timeout, no reload). PORT from the environment.
import http from 'node:http';

http
  .createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const body = JSON.stringify({ statusCode: 200, body: event.body });
      response.writeHead(200, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(body),
      });
      response.end(body);
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
