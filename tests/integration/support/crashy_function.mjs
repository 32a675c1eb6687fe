// A `command` function that misbehaves on request, for tests of a started function that dies:
// it serves the Lambda Invoke API on $WSGW_FUNCTION_PORT, echoes messages (its route should be
// two-way), and on the message body "crash" exits in the middle of the invocation (the gateway's
// request is left without an answer), on "hang" never answers.
import http from 'node:http';

const port = Number(process.env.WSGW_FUNCTION_PORT);
const server = http.createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => {
    body += chunk;
  });
  request.on('end', () => {
    const event = JSON.parse(body);
    if (event.requestContext.eventType !== 'MESSAGE') {
      response.end(JSON.stringify({ statusCode: 200 }));
      return;
    }
    if (event.body === 'crash') {
      console.log(`crashing on purpose (pid ${process.pid})`);
      process.exit(3);
    }
    if (event.body === 'hang') return;
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify({ statusCode: 200, body: event.body }));
  });
});
server.listen(port, '127.0.0.1', () => {
  console.log(`crashy function pid=${process.pid} listening on ${port}`);
});
