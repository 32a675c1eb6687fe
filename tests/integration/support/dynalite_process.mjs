// Runs dynalite (a DynamoDB emulator on npm, the DynamoDB tests' oracle; wsgw never runs it) as a
// child process on port 0, in memory. Free of node:test, so bench/ programs can use it too.
//
// dynalite's own CLI cannot listen on port 0 (it reads 0 as "the default, 4567"), so the child
// runs this small main instead; tables are ACTIVE as soon as they are made (no 500 ms CREATING
// wait).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const DYNALITE_MAIN = `
const dynalite = require(process.argv[1]);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () =>
  console.log('dynalite listening at: http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

// Resolves with {endpoint, child, pid, output(), stop()} once dynalite listens.
export async function spawnDynalite({ readyTimeoutMs = 10000 } = {}) {
  const child = spawn(process.execPath, ['-e', DYNALITE_MAIN, require.resolve('dynalite')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const onData = (chunk) => output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dynalite did not listen within ${readyTimeoutMs} ms:\n${output.join('\n')}`));
    }, readyTimeoutMs);
    const look = () => {
      const match = output.map((line) => /listening at: http:\/\/[^:]+:(\d+)/.exec(line)).find(Boolean);
      if (!match) return;
      clearTimeout(timer);
      resolve(Number(match[1]));
    };
    child.stdout.on('data', look);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`dynalite exited (${code ?? signal}) before listening:\n${output.join('\n')}`));
    });
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    child,
    pid: child.pid,
    output: () => [...output],
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
