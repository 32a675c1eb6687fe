// wsgw's Node.js host: runs a handler written for AWS Lambda's Node.js runtime, unchanged, behind
// the Lambda Invoke API (POST /2015-03-31/functions/{name}/invocations).
//
// One file with no dependency (preload/aws_redirect.cjs beside it redirects AWS's host names to
// the gateway), two roles (see README.md beside this file):
//   - the front (started by the gateway): an HTTP server on WSGW_FUNCTION_HOST:WSGW_FUNCTION_PORT
//     that owns a pool of worker processes, hands each invocation to an idle one (spawning another
//     when all are busy) and reloads them when a file under WSGW_HANDLER_ROOT changes;
//   - a worker (forked with --wsgw-worker): one Lambda execution environment. It loads WSGW_HANDLER
//     the way Lambda's runtime does and runs one invocation at a time; module state persists
//     between the invocations it runs, as in a warm Lambda.
// Works on Node.js 18 and later.
import { fork, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { fileURLToPath, pathToFileURL } from 'node:url';
import util from 'node:util';

const WORKER_FLAG = '--wsgw-worker';
const HOST = 'wsgw node host';
// AWS's host names reach the gateway (WSGW_AWS_REDIRECT): preload/aws_redirect.cjs.
const awsRedirect = createRequire(import.meta.url)('./preload/aws_redirect.cjs');

// ---------------------------------------------------------------------------------------------
// Shared by both roles
// ---------------------------------------------------------------------------------------------

// Lambda's Node.js runtime reports errors with these names (errorType "Runtime.ImportModuleError").
function runtimeErrorClass(name) {
  const ErrorClass = class extends Error {};
  Object.defineProperty(ErrorClass, 'name', { value: name });
  ErrorClass.prototype.name = `Runtime.${name}`;
  return ErrorClass;
}
const ImportModuleError = runtimeErrorClass('ImportModuleError');
const HandlerNotFound = runtimeErrorClass('HandlerNotFound');
const MalformedHandlerName = runtimeErrorClass('MalformedHandlerName');
const UserCodeSyntaxError = runtimeErrorClass('UserCodeSyntaxError');
const UnhandledPromiseRejection = runtimeErrorClass('UnhandledPromiseRejection');

function isErrorLike(value) {
  return (
    value instanceof Error ||
    (value &&
      typeof value.name === 'string' &&
      typeof value.message === 'string' &&
      typeof value.stack === 'string')
  );
}

// The invocation error body Lambda's Node.js runtime writes: {errorType, errorMessage, trace}.
function toErrorPayload(error) {
  try {
    if (util.types.isNativeError(error) || isErrorLike(error)) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: error.toString(), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Worker: one execution environment
// ---------------------------------------------------------------------------------------------

async function runWorker(appRoot, handlerString) {
  let requestId; // undefined until the first invocation, as in Lambda's own log lines
  patchConsole(() => requestId);

  let handler = null;
  let current = null; // the invocation in progress: {fail(error)}

  process.on('disconnect', () => process.exit(0));
  // Stopped with the host: exit as from process.exit, so that `exit` listeners (a CPU profile
  // from --cpu-prof, the answer to an invocation in progress) still run.
  process.on('SIGTERM', () => process.exit(0));
  // Ctrl-C in a terminal reaches the whole process group: the front decides what it means.
  process.on('SIGINT', () => {});
  // Before the handler's module loads: its top-level code may connect already. The front says
  // each redirect once per function, whichever worker made it.
  awsRedirect.install({
    report: (line, name) => {
      if (process.connected) process.send({ type: 'redirected', name: name ?? line, line });
    },
  });

  const crash = (label, error, exitCode) => {
    console.error(label, formatForLog(error));
    if (current) {
      current.fail(error, { logged: true, exitAfter: exitCode });
    } else if (!handler) {
      process.send({ ...loadErrorMessage(error, appRoot, true), typescript: bundled }, () =>
        process.exit(exitCode),
      );
    } else {
      process.exit(exitCode);
    }
  };
  process.on('uncaughtException', (error) => crash('Uncaught Exception', error, 129));
  process.on('unhandledRejection', (reason) => {
    crash('Unhandled Promise Rejection', new UnhandledPromiseRejection(reason?.toString()), 128);
  });

  // What this environment's code was loaded from, for the direct path's look for changes.
  const snapshot = snapshotTree(appRoot);
  try {
    handler = await loadHandler(appRoot, handlerString);
  } catch (error) {
    process.send({ ...loadErrorMessage(error, appRoot, false), typescript: bundled }, () =>
      process.exit(1),
    );
    return;
  }

  // This environment serving the Invoke API itself (the gateway's connections to one of
  // WSGW_ENVIRONMENT_PORTS, handed over by the front): see "Direct environments" in README.md.
  const direct = new DirectEnvironment({
    appRoot,
    snapshot,
    inputs: bundled?.inputs ?? [],
    run: (message, finish) => {
      requestId = message.requestId;
      current = invoke(handler, message, (result) => {
        current = null;
        finish(result);
      });
    },
  });

  process.on('message', (message, handle) => {
    if (message?.type === 'connection' && handle) {
      direct.adopt(handle);
      if (process.connected) process.send({ type: 'adopted', id: message.id });
      return;
    }
    if (message?.type === 'ping') {
      if (process.connected) process.send({ type: 'pong' });
      return;
    }
    if (message?.type === 'retire') {
      direct.retire();
      return;
    }
    if (message?.type === 'forwarded') {
      direct.forwarded(message);
      return;
    }
    if (message?.type !== 'invoke') return;
    requestId = message.requestId;
    current = invoke(handler, message, (result) => {
      current = null;
      process.send({ type: 'result', ...result }, () => {
        if (result.exitAfter !== undefined) process.exit(result.exitAfter);
      });
    });
  });
  process.send({ type: 'ready', typescript: bundled });
}

// One execution environment answering the Invoke API on the gateway's own keep-alive connections,
// one invocation at a time (requests on a second connection wait their turn). Before each one it
// looks for changes under the root as the front does; when there are any (or the front retired
// it) the invocation is run by the front on fresh code, answered here with "Connection: close",
// and this environment exits, so the gateway's next connection reaches a new one.
class DirectEnvironment {
  constructor({ appRoot, snapshot, inputs, run }) {
    this.config = readConfig();
    for (const file of inputs) snapshot.set(file, fileSignature(file));
    this.watch = new TreeWatch(appRoot, snapshot, inputs);
    this.run = run;
    this.retired = false;
    this.busy = false;
    this.turns = []; // requests waiting for this environment, oldest first
    this.forwards = new Map();
    this.nextForward = 1;
    this.active = null; // {response, answered}
    this.server = http.createServer((request, response) => this.onRequest(request, response));
    this.server.keepAliveTimeout = 125000;
    this.server.headersTimeout = 130000;
    this.server.requestTimeout = 0;
    // process.exit() in the handler, or anything else ending the process mid-invocation: Lambda's
    // Runtime.ExitError, written at once (a small write to a TCP socket completes synchronously).
    process.on('exit', (code) => {
      // So that the front hands the gateway's next connection to another environment.
      try {
        if (process.connected) process.send({ type: 'exiting' });
      } catch {
        // the front is gone
      }
      const active = this.active;
      if (!active || active.answered) return;
      active.answered = true;
      const payload = {
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${active.requestId} Error: Runtime exited with error: exit status ${code}`,
      };
      try {
        this.write(active.response, invokeAnswer(active, 'Unhandled', JSON.stringify(payload)), true);
      } catch {
        // the connection is gone already
      }
    });
  }

  adopt(socket) {
    // What http.Server sets on the sockets it accepts itself (noDelay), this one came by IPC.
    socket.setNoDelay(true);
    this.server.emit('connection', socket);
    socket.resume();
  }

  retire() {
    this.retired = true;
    if (!this.busy && this.turns.length === 0) process.exit(0);
  }

  forwarded(message) {
    const resolve = this.forwards.get(message.id);
    this.forwards.delete(message.id);
    resolve?.(message.answer);
  }

  onRequest(request, response) {
    const pool = {
      config: this.config,
      invoke: (invocation) =>
        new Promise((resolve) => {
          this.turns.push({ invocation, resolve, response });
          this.next();
        }),
    };
    answerRequest(pool, request)
      .catch((error) => serviceError(500, 'ServiceException', String(error?.stack || error)))
      .then((answer) => {
        if (answer.written) return;
        this.write(response, answer, false);
      });
  }

  next() {
    if (this.busy || this.turns.length === 0) return;
    const turn = this.turns.shift();
    this.busy = true;
    this.watch.whenSettled(() => this.start(turn));
  }

  // Runs one turn: here, or by the front on fresh code when anything changed.
  start({ invocation, resolve, response }) {
    let timer = null;
    const done = (answer, { close = false, exitAfter } = {}) => {
      clearTimeout(timer);
      this.active = null;
      answer.written = true;
      const last = close || exitAfter !== undefined || this.retired;
      this.write(response, answer, last, () => {
        if (exitAfter !== undefined) process.exit(exitAfter);
        if (last) process.exit(0);
        this.busy = false;
        this.next();
      });
      resolve(answer);
    };
    if (this.retired || this.watch.changed()) {
      // Fresh code runs it: the front's own pool, with a new environment.
      this.retired = true;
      const id = this.nextForward++;
      this.forwards.set(id, (answer) => done(answer, { close: true }));
      process.send({
        type: 'forward',
        id,
        invocation: {
          requestId: invocation.requestId,
          eventText: invocation.eventText,
          clientContext: invocation.clientContext,
          deadlineMs: invocation.deadlineMs,
        },
      });
      return;
    }
    const active = { ...invocation, response, answered: false };
    this.active = active;
    timer = setTimeout(() => {
      if (active.answered) return;
      active.answered = true;
      const seconds = (this.config.timeoutMs / 1000).toFixed(2);
      process.stdout.write(
        `${new Date().toISOString()} ${invocation.requestId} Task timed out after ${seconds} seconds\n`,
      );
      const payload = {
        errorType: 'Sandbox.Timedout',
        errorMessage: `RequestId: ${invocation.requestId} Error: Task timed out after ${seconds} seconds`,
      };
      // Lambda stops a timed-out environment; its module state goes with it.
      done(invokeAnswer(invocation, 'Unhandled', JSON.stringify(payload)), { exitAfter: 0 });
    }, invocation.deadlineMs - Date.now());
    this.run(
      {
        requestId: invocation.requestId,
        event: invocation.eventText,
        parsedEvent: invocation.event,
        deadlineMs: invocation.deadlineMs,
        invokedFunctionArn: this.config.functionArn,
        clientContext: invocation.clientContext,
      },
      (result) => {
        if (active.answered) {
          if (result.exitAfter !== undefined) process.exit(result.exitAfter);
          return;
        }
        active.answered = true;
        done(invokeAnswer(invocation, result.ok ? null : 'Unhandled', result.payload), {
          exitAfter: result.exitAfter,
        });
      },
    );
  }

  write(response, { status, headers, body }, close, callback) {
    if (response.destroyed || response.writableEnded) {
      callback?.();
      return;
    }
    const head = { ...headers, 'Content-Length': Buffer.byteLength(body) };
    if (close) head.Connection = 'close';
    response.writeHead(status, head);
    response.end(body, callback);
  }
}

// Runs one invocation. `finish` gets {ok, payload} exactly once: payload is the JSON text of the
// result, or of the error body. Supports async handlers, handlers returning a promise, callback
// handlers, context.succeed/fail/done, and synchronous handlers that never answer (null once the
// event loop has nothing left to do, as in Lambda).
function invoke(handler, message, finish) {
  let finished = false;
  // Stops the empty-event-loop watch, so that its timer is not in the next invocation's baseline.
  let stopWatching = () => {};
  const succeed = (result) => {
    if (finished) return;
    let payload;
    try {
      payload = JSON.stringify(result === undefined ? null : result);
    } catch (error) {
      fail(error);
      return;
    }
    finished = true;
    stopWatching();
    finish({ ok: true, payload: payload === undefined ? 'null' : payload });
  };
  const fail = (error, { logged = false, exitAfter } = {}) => {
    if (finished) {
      if (exitAfter !== undefined) process.exit(exitAfter);
      return;
    }
    finished = true;
    stopWatching();
    if (!logged) console.error('Invoke Error', formatForLog(error));
    finish({ ok: false, payload: JSON.stringify(toErrorPayload(error)), exitAfter });
  };

  let waitsForEmptyEventLoop = true;
  const env = process.env;
  const context = {
    get callbackWaitsForEmptyEventLoop() {
      return waitsForEmptyEventLoop;
    },
    set callbackWaitsForEmptyEventLoop(value) {
      waitsForEmptyEventLoop = value;
    },
    succeed: (result) => succeed(result),
    fail: (error) => fail(error === undefined || error === null ? 'handled' : error),
    done: (error, result) =>
      error === undefined || error === null ? succeed(result) : fail(error),
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: message.clientContext,
    identity: undefined,
    invokedFunctionArn: message.invokedFunctionArn,
    awsRequestId: message.requestId,
    getRemainingTimeInMillis: () => message.deadlineMs - Date.now(),
  };
  // Lambda's callback answers once the event loop is empty unless callbackWaitsForEmptyEventLoop
  // is false; here it answers at once (README.md, "Differences from Lambda").
  const callback = (error, result) =>
    error === undefined || error === null ? succeed(result) : fail(error);

  // Only a handler that may answer by not answering needs the baseline: an async one always
  // returns a promise (and counting the resources costs 3% of an echo invocation).
  const baseline = handler.constructor?.name === 'AsyncFunction' ? null : activeResources();
  try {
    const event = message.parsedEvent ?? JSON.parse(message.event);
    const result = handler(event, context, callback);
    if (result && typeof result.then === 'function') {
      Promise.resolve(result).then(succeed, fail);
    } else if (!finished) {
      stopWatching = whenEventLoopEmpty(
        baseline,
        () => finished,
        () => succeed(null),
      );
    }
  } catch (error) {
    fail(error);
  }
  return { fail };
}

// Counts of the resources keeping the event loop alive, by type; null when Node cannot tell.
function activeResources() {
  if (typeof process.getActiveResourcesInfo !== 'function') return null;
  const counts = new Map();
  for (const type of process.getActiveResourcesInfo())
    counts.set(type, (counts.get(type) || 0) + 1);
  return counts;
}

// Calls onEmpty once the worker holds no more resources than it did before the invocation
// (timers, sockets, file operations the handler started have all finished). Returns a function
// that stops watching: called when the invocation answers another way, so that no check timer
// outlives it (a leftover timer in the next invocation's baseline, gone during it, would make
// that one look finished while its handler's own timer is still pending).
function whenEventLoopEmpty(baseline, isFinished, onEmpty) {
  if (!baseline) {
    const immediate = setImmediate(() => isFinished() || onEmpty());
    return () => clearImmediate(immediate);
  }
  let timer;
  const check = () => {
    if (isFinished()) return;
    const now = activeResources();
    now.set('Timeout', (now.get('Timeout') || 0) - 1); // this check's own timer
    for (const [type, count] of now) {
      if (count > (baseline.get(type) || 0)) {
        timer = setTimeout(check, 20);
        return;
      }
    }
    onEmpty();
  };
  timer = setTimeout(check, 0);
  return () => clearTimeout(timer);
}

// Lambda's text log format: `<ISO time>\t<requestId>\t<LEVEL>\t<message>`, one line per call
// (line breaks inside a message become \r, as Lambda does). AWS_LAMBDA_LOG_LEVEL filters.
function patchConsole(currentRequestId) {
  const priorities = { TRACE: 1, DEBUG: 2, INFO: 3, WARN: 4, ERROR: 5, FATAL: 6 };
  const minimum = priorities[String(process.env.AWS_LAMBDA_LOG_LEVEL || '').toUpperCase()] || 1;
  const logger = (level, stream) => {
    if (priorities[level] < minimum) return () => {};
    return (message, ...params) => {
      const text = util.format(message, ...params);
      const line = `${new Date().toISOString()}\t${currentRequestId()}\t${level}\t${text}`;
      stream.write(`${line.replace(/\r?\n/g, '\r')}\n`);
    };
  };
  console.trace = logger('TRACE', process.stdout);
  console.debug = logger('DEBUG', process.stdout);
  console.info = logger('INFO', process.stdout);
  console.log = console.info;
  console.warn = logger('WARN', process.stderr);
  console.error = logger('ERROR', process.stderr);
  console.fatal = logger('FATAL', process.stderr);
}

// How Lambda logs an error object: a tab, then JSON with errorType, errorMessage and the stack.
function formatForLog(error) {
  const asError = error instanceof Error ? error : new Error(error);
  try {
    return `\t${JSON.stringify(asError, (key, value) => {
      if (!(value instanceof Error)) return value;
      const plain = {
        errorType: value.name,
        errorMessage: value.message,
        code: value.code,
        ...value,
      };
      if (typeof value.stack === 'string') plain.stack = value.stack.split('\n');
      return plain;
    })}`;
  } catch {
    return `\t${JSON.stringify(toErrorPayload(asError))}`;
  }
}

// Loads the handler as Lambda's Node.js runtime does: "dir/file.export.nested" relative to the
// task root; "file" tried as is, then .js (CommonJS unless the nearest package.json says
// "type": "module"), .mjs, .cjs, then as a module name resolved from the root.
async function loadHandler(appRoot, fullHandlerString) {
  if (fullHandlerString.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandlerString}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const moduleAndHandler = path.basename(fullHandlerString);
  const moduleRoot = fullHandlerString.substring(0, fullHandlerString.indexOf(moduleAndHandler));
  const match = /^([^.]*)\.(.*)$/.exec(moduleAndHandler);
  if (!match) throw new MalformedHandlerName('Bad handler');
  const [, moduleName, handlerPath] = match;

  let userModule;
  try {
    userModule = await loadUserModule(appRoot, moduleRoot, moduleName);
  } catch (error) {
    if (error?.code === 'WSGW_NO_ESBUILD') throw new ImportModuleError(error.message);
    if (error instanceof SyntaxError) throw withCause(new UserCodeSyntaxError(error), error);
    if (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND') {
      throw withCause(new ImportModuleError(error), error);
    }
    throw error;
  }
  const handler = handlerPath.split('.').reduce((object, key) => object && object[key], userModule);
  if (!handler) throw new HandlerNotFound(`${fullHandlerString} is undefined or not exported`);
  if (typeof handler !== 'function')
    throw new HandlerNotFound(`${fullHandlerString} is not a function`);
  return handler;
}

function withCause(error, cause) {
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}

// The ES module file the loader imported last: where to look when its graph fails to parse.
let lastImportedFile = null;
// For a TypeScript handler, what node_typescript.mjs built: {outFile, inputs, esbuild, buildMs}.
let bundled;

async function loadUserModule(appRoot, moduleRoot, moduleName) {
  const require = createRequire(fileURLToPath(import.meta.url));
  const base = path.resolve(appRoot, moduleRoot, moduleName);
  const requireIfExists = (file) => (fs.existsSync(file) ? require(file) : undefined);
  const importIfExists = async (file) => {
    if (!fs.existsSync(file)) return undefined;
    lastImportedFile = file;
    return import(pathToFileURL(file).href);
  };

  const extensionless = requireIfExists(base);
  if (extensionless) return extensionless;
  const typeModule = nearestPackageIsTypeModule(path.dirname(base));
  const bundle = async (source, reason = null) => {
    const { bundleTypeScript, isEsmSource } = await import('./node_typescript.mjs');
    const esm = isEsmSource(source, typeModule);
    bundled = { ...(await bundleTypeScript({ root: appRoot, file: source, esm })), reason };
    process.setSourceMapsEnabled(true);
    return esm ? importIfExists(bundled.outFile) : requireIfExists(bundled.outFile);
  };
  const javascript = ['.js', '.mjs', '.cjs'].map((ext) => base + ext).find(fs.existsSync);
  if (javascript) {
    const { needsBundling } = await import('./node_typescript.mjs');
    const reason = needsBundling(javascript);
    if (reason) return bundle(javascript, reason);
  }
  if (!typeModule) {
    const loaded = requireIfExists(`${base}.js`);
    if (loaded) return loaded;
  }
  const loaded =
    (typeModule && (await importIfExists(`${base}.js`))) ||
    (await importIfExists(`${base}.mjs`)) ||
    requireIfExists(`${base}.cjs`);
  if (loaded) return loaded;
  const typescript = ['.ts', '.mts', '.cts'].map((ext) => base + ext).find(fs.existsSync);
  if (typescript) return bundle(typescript);
  let resolved;
  try {
    resolved = require.resolve(moduleName, { paths: [appRoot, path.resolve(appRoot, moduleRoot)] });
  } catch (error) {
    const tried = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'].map(
      (extension) => path.relative(appRoot, base) + extension,
    );
    error.wsgwHint = `no file ${tried.join(', ')} under ${appRoot}, and no package "${moduleName}"`;
    throw error;
  }
  return require(resolved);
}

function nearestPackageIsTypeModule(folder) {
  for (;;) {
    if (folder.endsWith(`${path.sep}node_modules`)) return false;
    const manifest = path.join(folder, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        return JSON.parse(fs.readFileSync(manifest, 'utf8'))?.type === 'module';
      } catch (error) {
        console.warn(
          `${manifest} cannot be read, it will be ignored for ES module detection purposes.`,
          error,
        );
        return false;
      }
    }
    const parent = path.dirname(folder);
    if (parent === folder) return false;
    folder = parent;
  }
}

// What the front needs to answer and report a failed load.
function loadErrorMessage(error, appRoot, retryable) {
  const payload = toErrorPayload(error);
  // Syntax errors, a missing export and a malformed handler name only change when files under
  // the root change; anything else (a missing package, an exception thrown by the module's own
  // code) is tried again at the next invocation, as Lambda does.
  const deterministic = [UserCodeSyntaxError, HandlerNotFound, MalformedHandlerName].some(
    (ErrorClass) => error instanceof ErrorClass,
  );
  return {
    type: 'loadError',
    payload,
    retryable: retryable || !deterministic,
    report: describeLoadError(error, appRoot),
  };
}

// The loader's own words: the original error and the user's frames of its stack (not Node's nor
// this host's), with the file and line for syntax errors.
function describeLoadError(error, appRoot) {
  if (error instanceof HandlerNotFound || error instanceof MalformedHandlerName)
    return error.message;
  const original = error?.cause ?? error;
  if (original?.code === 'WSGW_TS_SYNTAX') return original.report;
  const stack = typeof original?.stack === 'string' ? original.stack : String(original);
  const hostFile = fileURLToPath(import.meta.url);
  const lines = stack.split('\n').filter((line) => {
    if (!/^\s+at /.test(line)) return true;
    return (
      !line.includes('node:internal') &&
      !line.includes(hostFile) &&
      !/\(<anonymous>\)$|^\s+at <anonymous>$/.test(line)
    );
  });
  let details = lines.join('\n');
  const fromUserCode = lines.some((line) => /^\s+at /.test(line));
  if (original instanceof SyntaxError && stack.startsWith('SyntaxError') && !fromUserCode) {
    // An ES module that failed to parse or link: Node names the file only when the error is
    // uncaught, so ask a fresh Node to show it. Parsing and linking run no module code.
    const location = esmSyntaxErrorLocation(appRoot, lastImportedFile);
    if (location) details = `${location}\n\n${details}`;
  }
  if (original?.wsgwHint) details += `\n(${original.wsgwHint})`;
  return details;
}

function esmSyntaxErrorLocation(appRoot, file) {
  if (!file) return null;
  const probe = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(file).href)})`],
    { cwd: appRoot, encoding: 'utf8', timeout: 10000 },
  );
  const output = probe.stderr || '';
  const at = output.indexOf('SyntaxError');
  return at > 0 ? output.slice(0, at).trimEnd() : null;
}

// ---------------------------------------------------------------------------------------------
// Front: HTTP server and worker pool
// ---------------------------------------------------------------------------------------------

const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations\/?$/;
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const WATCH_INTERVAL_MS = 1000;
const SLOW_SCAN_MS = 5;
const IDLE_WORKER_MS = 5 * 60 * 1000;
// Directories and files under the handler root whose changes do not reload the handler, besides
// those WSGW_RELOAD_IGNORE names (see reloadIgnore()).
const IGNORED_DIRECTORIES = new Set(['node_modules', '__pycache__', 'venv']);
const IGNORED_FILES =
  /(\.sqlite[^/]*|\.db|\.db-journal|\.db-wal|\.db-shm|\.log|\.pyc|\.swp|\.swx|\.cpuprofile|\.heapprofile|~)$|^\.#/;

// WSGW_RELOAD_IGNORE: paths and globs, separated by commas, whose changes do not reload the handler
// (the gateway adds its ready file and data folder when they are under the root). A relative entry
// is relative to the root; `*` matches within a name, `**` across folders; a folder ignores all
// under it. Returns a predicate on absolute paths.
function reloadIgnore(root, text = process.env.WSGW_RELOAD_IGNORE || '') {
  const patterns = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const absolute = path.resolve(root, entry).replace(/\/+$/, '');
    const source = absolute
      .split(/(\*\*\/?|\*|\?)/)
      .map((part) => {
        if (part === '**' || part === '**/') return '.*';
        if (part === '*') return '[^/]*';
        if (part === '?') return '[^/]';
        return part.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      })
      .join('');
    patterns.push(new RegExp(`^${source}(/.*)?$`));
  }
  return (file) => patterns.some((pattern) => pattern.test(file));
}

function fatal(message) {
  process.stderr.write(`${HOST}: ${message}\n`);
  process.exit(2);
}

function readConfig() {
  const env = process.env;
  const handler = env.WSGW_HANDLER;
  if (!handler) fatal('WSGW_HANDLER is not set (the handler, like "src/handlers/message.handler")');
  const portText = env.WSGW_FUNCTION_PORT;
  if (!/^\d+$/.test(portText || '') || Number(portText) > 65535) {
    fatal(`WSGW_FUNCTION_PORT must be a port number, found "${portText ?? ''}"`);
  }
  const environmentPorts = [];
  if (env.WSGW_ENVIRONMENT_PORTS) {
    for (const text of env.WSGW_ENVIRONMENT_PORTS.split(',')) {
      if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
        fatal(
          `WSGW_ENVIRONMENT_PORTS must be port numbers separated by commas, found "${env.WSGW_ENVIRONMENT_PORTS}"`,
        );
      }
      environmentPorts.push(Number(text));
    }
  }
  const timeoutSeconds = Number(env.AWS_LAMBDA_FUNCTION_TIMEOUT);
  const maxWorkers = Number(env.WSGW_HOST_MAX_WORKERS);
  const name = env.AWS_LAMBDA_FUNCTION_NAME || env.WSGW_FUNCTION_NAME || 'function';
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  return {
    handler,
    root: path.resolve(env.WSGW_HANDLER_ROOT || process.cwd()),
    host: env.WSGW_FUNCTION_HOST || '127.0.0.1',
    port: Number(portText),
    environmentPorts,
    name,
    timeoutMs: timeoutSeconds > 0 ? timeoutSeconds * 1000 : 29000,
    maxWorkers: Number.isInteger(maxWorkers) && maxWorkers > 0 ? maxWorkers : 16,
    functionArn: `arn:aws:lambda:${region}:000000000000:function:${name}`,
  };
}

// The environment of every worker: the host's own (set by the gateway, never overridden) plus
// what Lambda's Node.js runtime also provides.
function workerEnvironment(config) {
  const env = { ...process.env };
  const setDefault = (key, value) => {
    if (env[key] === undefined || env[key] === '') env[key] = value;
  };
  setDefault('AWS_LAMBDA_FUNCTION_NAME', config.name);
  setDefault('AWS_REGION', env.AWS_DEFAULT_REGION || 'us-east-1');
  setDefault('AWS_DEFAULT_REGION', env.AWS_REGION);
  if (!env.AWS_ACCESS_KEY_ID && !env.AWS_SECRET_ACCESS_KEY) {
    env.AWS_ACCESS_KEY_ID = 'AKIAWSGWLOCAL0000000';
    env.AWS_SECRET_ACCESS_KEY = 'wsgw-local-placeholder-secret';
  }
  setDefault('AWS_LAMBDA_FUNCTION_VERSION', '$LATEST');
  setDefault('AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '128');
  setDefault('AWS_LAMBDA_FUNCTION_TIMEOUT', String(config.timeoutMs / 1000));
  setDefault('AWS_LAMBDA_LOG_GROUP_NAME', `/aws/lambda/${env.AWS_LAMBDA_FUNCTION_NAME}`);
  setDefault('LAMBDA_TASK_ROOT', config.root);
  setDefault('_HANDLER', config.handler);
  setDefault('AWS_EXECUTION_ENV', `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`);
  return env;
}

function logStreamName() {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

function say(message) {
  process.stderr.write(`${HOST}: ${message}\n`);
}

// The host's own diagnostics, shown with WSGW_HOST_LOG_LEVEL=debug.
const DEBUG = String(process.env.WSGW_HOST_LOG_LEVEL || '').toLowerCase() === 'debug';
function debug(message) {
  if (DEBUG) say(`debug: ${message}`);
}

// The ignore predicate of a root, built once.
const reloadIgnores = new Map();
function reloadIgnoreOf(root) {
  if (!reloadIgnores.has(root)) reloadIgnores.set(root, reloadIgnore(root));
  return reloadIgnores.get(root);
}

function watchedDirectoryName(name) {
  return !IGNORED_DIRECTORIES.has(name) && !name.startsWith('.');
}

// Every file under root that can change the code: path -> "mtime:ctime:size:inode".
function snapshotTree(root, ignored = reloadIgnoreOf(root)) {
  const files = new Map();
  const walk = (dir, depth) => {
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < 32 && watchedDirectoryName(entry.name) && !ignored(full)) walk(full, depth + 1);
        continue;
      }
      if (IGNORED_FILES.test(entry.name) || ignored(full)) continue;
      const signature = fileSignature(full);
      if (signature) files.set(full, signature);
    }
  };
  walk(root, 0);
  return files;
}

// "mtime:ctime:size:inode" of a file; null when it is not a file (or is gone).
function fileSignature(file) {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? `${stat.mtimeMs}:${stat.ctimeMs}:${stat.size}:${stat.ino}` : null;
  } catch {
    return null; // Removed while walking: the next snapshot sees it gone.
  }
}

// The first path that differs between two snapshots, or null.
function firstChange(before, after) {
  for (const [file, signature] of after) if (before.get(file) !== signature) return file;
  for (const file of before.keys()) if (!after.has(file)) return file;
  return null;
}

// Whether anything under a root (or one of a few files outside it) changed since a snapshot, told
// by the kernel: an fs.watch (inotify) on every folder the snapshot walked, so that asking costs
// nothing per invocation. An edit is seen before the invocation that follows it: the edit's event
// is queued when the file is written, before the gateway sends that invocation, so it is read in
// the same poll of the event loop at the latest, and changed() is asked after that poll
// (whenSettled). Where watching fails (inotify's limits, a folder gone), it falls back to
// comparing snapshots on every call, as the front does.
class TreeWatch {
  constructor(root, snapshot, extraFiles) {
    this.root = root;
    this.snapshot = snapshot;
    this.extraFiles = new Set(extraFiles);
    this.ignored = reloadIgnoreOf(root);
    this.dirty = false;
    this.watchers = [];
    this.polling = false;
    try {
      this.watchTree(root, 0);
      const outside = new Map();
      for (const file of this.extraFiles) {
        const dir = path.dirname(file);
        if (!outside.has(dir)) outside.set(dir, new Set());
        outside.get(dir).add(path.basename(file));
      }
      for (const [dir, names] of outside) this.watch(dir, (name) => names.has(name));
    } catch (error) {
      debug(`watching ${root} for changes failed (${error.code || error.message}): comparing files instead`);
      this.stop();
      this.polling = true;
    }
    // An edit between the snapshot and the first watch.
    if (!this.polling && this.scanDiffers()) this.dirty = true;
  }

  watchTree(dir, depth) {
    this.watch(dir, (name) => !IGNORED_FILES.test(name) && !this.ignored(path.join(dir, name)));
    if (depth >= 32) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory() && watchedDirectoryName(entry.name) && !this.ignored(full)) {
        this.watchTree(full, depth + 1);
      }
    }
  }

  // Throws when the folder cannot be watched.
  watch(dir, matters) {
    const watcher = fs.watch(dir, { persistent: false }, (event, name) => {
      if (name === null || matters(String(name))) this.dirty = true;
    });
    watcher.on('error', () => {
      this.dirty = true; // the folder went away, or the watch broke: reload to be sure
    });
    this.watchers.push(watcher);
  }

  scanDiffers() {
    const now = snapshotTree(this.root, this.ignored);
    for (const file of this.extraFiles) now.set(file, fileSignature(file));
    return firstChange(this.snapshot, now) !== null;
  }

  // Calls back once the events already queued are read (see the class comment).
  whenSettled(callback) {
    if (this.polling) callback();
    else setImmediate(callback);
  }

  changed() {
    if (this.dirty) return true;
    if (this.polling && this.scanDiffers()) this.dirty = true;
    return this.dirty;
  }

  stop() {
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }
}

class WorkerPool {
  constructor(config) {
    this.config = config;
    this.baseEnv = workerEnvironment(config);
    this.hostFile = fileURLToPath(import.meta.url);
    this.generation = 0;
    this.workers = new Set();
    this.waiting = []; // invocations without a worker, oldest first
    this.initError = null; // the current generation's load failure
    this.reported = null; // the load failure text last printed for this generation
    this.announceLoad = false; // say so when the next load succeeds (after a change or a failure)
    this.extraInputs = new Set(); // a TypeScript bundle's source files outside the root
    this.snapshot = this.takeSnapshot();
    this.lastScan = { at: 0, tookMs: 0 };
    this.changedAt = null; // when the change that made this generation was seen
    this.esbuildReported = null;
    this.reasonReported = null; // why a .js handler is bundled, said once
    this.redirectsReported = new Set(); // the AWS host names a worker redirected, said once
    this.nextId = 1;
    // One per WSGW_ENVIRONMENT_PORTS entry: {worker, pending sockets} (see "Direct environments").
    this.slots = config.environmentPorts.map(() => ({ worker: null, pending: [] }));
    this.frontServer = null; // serves slot connections itself while the handler cannot load
    this.nextHandOver = 1;
  }

  start() {
    this.spawn();
    setInterval(() => this.checkForChanges({ always: true }), WATCH_INTERVAL_MS).unref();
    if (this.slots.length) setInterval(() => this.watchSlots(), WATCH_INTERVAL_MS).unref();
  }

  // The gateway connects to each environment's port; the front accepts and hands the connection
  // to that environment's worker (once per connection: the invocations on it never pass here).
  listenSlots(frontServer) {
    this.frontServer = frontServer;
    this.config.environmentPorts.forEach((port, index) => {
      const server = net.createServer({ pauseOnConnect: true }, (socket) =>
        this.onSlotConnection(index, socket),
      );
      server.on('error', (error) => {
        say(`cannot listen on ${this.config.host}:${port}: ${error.message}`);
        process.exit(1);
      });
      server.listen(port, this.config.host);
    });
  }

  onSlotConnection(index, socket) {
    const slot = this.slots[index];
    socket.on('error', () => {});
    const worker = slot.worker;
    if (worker && worker.state === 'slot' && worker.generation === this.generation) {
      this.handOver(worker, socket);
    } else if (this.initError) {
      this.serveInFront(socket);
    } else {
      slot.pending.push(socket);
      this.fillSlot(index);
    }
  }

  // The front keeps its copy of the socket until the worker says it has its own: a worker that
  // exits first never read from it, and the connection goes to another environment.
  handOver(worker, socket) {
    if (socket.destroyed) return;
    const id = this.nextHandOver++;
    worker.handed.set(id, socket);
    worker.process.send({ type: 'connection', id }, socket, { keepOpen: true }, (error) => {
      if (error && worker.handed.delete(id)) this.reroute(worker, socket);
    });
  }

  reroute(worker, socket) {
    if (socket.destroyed) return;
    this.onSlotConnection(worker.slot, socket);
  }

  takeBack(worker) {
    const sockets = [...worker.handed.values()];
    worker.handed.clear();
    for (const socket of sockets) this.reroute(worker, socket);
  }

  // While the handler cannot load, the front answers (the init error, or a retried load) and
  // closes the connection after each answer, so the next one tries a direct environment again.
  serveInFront(socket) {
    if (socket.destroyed) return;
    socket.wsgwFront = true;
    this.frontServer.emit('connection', socket);
    socket.resume();
  }

  fillSlot(index) {
    const slot = this.slots[index];
    if (slot.worker && slot.worker.state !== 'dead' && slot.worker.generation === this.generation) {
      if (slot.worker.state === 'slot') this.flushSlot(index);
      return;
    }
    slot.worker = null;
    // An idle environment of the current code (the one kept warm) takes the slot, else a new one.
    const idle = [...this.workers].find(
      (w) => w.generation === this.generation && w.state === 'idle',
    );
    if (idle) {
      this.promote(idle, index);
      return;
    }
    // Or the one still loading (the first, started with the host), rather than a second.
    const starting =
      this.waiting.length === 0 &&
      [...this.workers].find(
        (w) => w.generation === this.generation && w.state === 'starting' && w.slot === undefined,
      );
    if (starting) {
      slot.worker = starting;
      starting.slot = index;
      return;
    }
    slot.worker = this.spawn();
    slot.worker.slot = index;
  }

  promote(worker, index) {
    clearTimeout(worker.idleTimer);
    worker.state = 'slot';
    worker.slot = index;
    worker.lastPong = Date.now();
    this.slots[index].worker = worker;
    this.flushSlot(index);
  }

  flushSlot(index) {
    const slot = this.slots[index];
    for (const socket of slot.pending.splice(0)) this.handOver(slot.worker, socket);
  }

  // A slot whose worker is gone, or that cannot load: what its waiting connections get.
  releaseSlot(worker) {
    if (worker.slot === undefined) return;
    const slot = this.slots[worker.slot];
    if (slot.worker !== worker) return;
    slot.worker = null;
    if (!slot.pending.length) return;
    if (this.initError) {
      for (const socket of slot.pending.splice(0)) this.serveInFront(socket);
    } else {
      this.fillSlot(worker.slot);
    }
  }

  // A worker stuck in synchronous code answers no ping: past the function's timeout (when the
  // gateway has given up on its invocation) it is stopped, as Lambda stops a timed-out one.
  watchSlots() {
    const now = Date.now();
    for (const worker of this.workers) {
      if (worker.state !== 'slot' && !worker.retiredSlot) continue;
      if (now - worker.lastPong > this.config.timeoutMs + 2000) {
        say(`an environment did not answer for ${now - worker.lastPong} ms: stopping it`);
        worker.process.kill('SIGKILL');
        continue;
      }
      if (worker.process.connected) worker.process.send({ type: 'ping' });
    }
  }

  // Looks for changes before every invocation, so the next one after an edit runs the new code.
  // A root so large that a scan takes more than SLOW_SCAN_MS is scanned at most every ten scan
  // durations instead (and every WATCH_INTERVAL_MS in the background).
  checkForChanges({ always = false } = {}) {
    const now = Date.now();
    const { at, tookMs } = this.lastScan;
    if (!always && tookMs > SLOW_SCAN_MS && now - at < Math.max(50, tookMs * 10)) return;
    const snapshot = this.takeSnapshot();
    this.lastScan = { at: now, tookMs: Date.now() - now };
    const changed = firstChange(this.snapshot, snapshot);
    if (!changed) return;
    this.snapshot = snapshot;
    this.changedAt = now;
    this.generation += 1;
    this.initError = null;
    this.reported = null;
    this.announceLoad = true;
    for (const worker of this.workers) {
      if (worker.state === 'slot') {
        // It may be running an invocation the front cannot see: it exits when it is done.
        this.releaseSlot(worker);
        worker.state = 'dead';
        worker.retiredSlot = true;
        if (worker.process.connected) worker.process.send({ type: 'retire' });
      } else if (worker.state === 'busy') worker.retire = true;
      else this.stopWorker(worker);
    }
    say(
      `${path.relative(this.config.root, changed) || changed} changed: loading the handler afresh`,
    );
    this.spawn();
  }

  // The files under the root, and the bundled sources outside it.
  takeSnapshot() {
    const files = snapshotTree(this.config.root);
    for (const file of this.extraInputs) files.set(file, fileSignature(file));
    return files;
  }

  // What a worker reports of its TypeScript bundle: which esbuild (said once), how long the build
  // took, and which files went in (watched like the root's from now on).
  noteBundle(typescript) {
    if (!typescript) return;
    if (this.esbuildReported !== typescript.esbuild) {
      this.esbuildReported = typescript.esbuild;
      say(`bundling TypeScript with ${typescript.esbuild}`);
    }
    if (typescript.reason && this.reasonReported !== typescript.reason) {
      this.reasonReported = typescript.reason;
      say(`bundling ${path.relative(this.config.root, typescript.file)}: ${typescript.reason}`);
    }
    const sinceChange =
      this.changedAt === null ? '' : `, ready ${Date.now() - this.changedAt} ms after the change`;
    debug(
      `bundled ${path.relative(this.config.root, typescript.file)} in ${typescript.buildMs} ms${sinceChange}`,
    );
    const outside = `..${path.sep}`;
    for (const input of typescript.inputs) {
      const relative = path.relative(this.config.root, input);
      if (
        (relative.startsWith(outside) || path.isAbsolute(relative)) &&
        !this.extraInputs.has(input)
      ) {
        this.extraInputs.add(input);
        this.snapshot.set(input, fileSignature(input));
      }
    }
  }

  // Resolves with the HTTP answer to one invocation: {status, headers, body}.
  invoke(invocation) {
    this.checkForChanges();
    if (this.initError && !this.initError.retryable) {
      return Promise.resolve(this.initErrorAnswer(invocation));
    }
    this.initError = null;
    return new Promise((resolve) => {
      invocation.resolve = resolve;
      invocation.timer = setTimeout(
        () => this.timeOut(invocation),
        invocation.deadlineMs - Date.now(),
      );
      this.waiting.push(invocation);
      this.pump();
    });
  }

  complete(invocation, answer) {
    if (invocation.done) return;
    invocation.done = true;
    clearTimeout(invocation.timer);
    invocation.resolve(answer);
  }

  pump() {
    while (this.waiting.length) {
      const idle = [...this.workers].find(
        (w) => w.generation === this.generation && w.state === 'idle',
      );
      if (!idle) break;
      this.assign(idle, this.waiting.shift());
    }
    // The front's own workers: one that a direct environment's port claimed serves only that.
    const live = [...this.workers].filter(
      (w) => w.generation === this.generation && w.state !== 'dead' && w.slot === undefined,
    );
    const starting = live.filter((w) => w.state === 'starting').length;
    let missing = Math.min(this.waiting.length - starting, this.config.maxWorkers - live.length);
    while (missing-- > 0) this.spawn();
  }

  assign(worker, invocation) {
    clearTimeout(worker.idleTimer);
    worker.state = 'busy';
    worker.current = invocation;
    invocation.worker = worker;
    worker.process.send({
      type: 'invoke',
      requestId: invocation.requestId,
      event: invocation.eventText,
      deadlineMs: invocation.deadlineMs,
      invokedFunctionArn: this.config.functionArn,
      clientContext: invocation.clientContext,
    });
  }

  spawn() {
    const worker = {
      id: this.nextId++,
      generation: this.generation,
      state: 'starting',
      retire: false,
      current: null,
      idleTimer: null,
      handed: new Map(), // connections sent to the worker and not yet acknowledged
    };
    const cwd = fs.existsSync(this.config.root) ? this.config.root : process.cwd();
    worker.process = fork(this.hostFile, [WORKER_FLAG, this.config.root, this.config.handler], {
      cwd,
      env: {
        ...this.baseEnv,
        AWS_LAMBDA_LOG_STREAM_NAME: this.baseEnv.AWS_LAMBDA_LOG_STREAM_NAME || logStreamName(),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    worker.process.on('message', (message) => this.onMessage(worker, message));
    worker.process.on('exit', (code, signal) => this.onExit(worker, code, signal));
    worker.process.on('error', (error) => {
      say(`could not start a worker: ${error.message}`);
      this.onExit(worker, null, null);
    });
    this.workers.add(worker);
    return worker;
  }

  onMessage(worker, message) {
    if (message?.type === 'pong') {
      worker.lastPong = Date.now();
    } else if (message?.type === 'adopted') {
      worker.handed.get(message.id)?.destroy();
      worker.handed.delete(message.id);
    } else if (message?.type === 'exiting') {
      if (worker.state === 'slot') worker.state = 'dead';
      worker.retiredSlot = false;
      this.releaseSlot(worker);
      this.takeBack(worker);
    } else if (message?.type === 'forward') {
      // A direct environment that found a change: fresh code runs this invocation.
      const invocation = { ...message.invocation, done: false };
      this.invoke(invocation).then((answer) => {
        if (worker.process.connected) {
          worker.process.send({ type: 'forwarded', id: message.id, answer });
        }
      });
    } else if (message?.type === 'redirected') {
      if (!this.redirectsReported.has(message.name)) {
        this.redirectsReported.add(message.name);
        say(String(message.line));
      }
    } else if (message?.type === 'ready') {
      if (worker.generation !== this.generation) return this.stopWorker(worker);
      this.noteBundle(message.typescript);
      if (this.announceLoad) say(`handler ${this.config.handler} loaded`);
      this.announceLoad = false;
      this.reported = null;
      if (worker.slot !== undefined && this.slots[worker.slot].worker === worker) {
        this.promote(worker, worker.slot);
      } else {
        this.becomeIdle(worker);
      }
    } else if (message?.type === 'loadError') {
      worker.state = 'dead';
      if (worker.generation === this.generation) this.failLoad(message);
      this.releaseSlot(worker);
    } else if (message?.type === 'result') {
      const invocation = worker.current;
      worker.current = null;
      if (invocation) {
        this.complete(
          invocation,
          invokeAnswer(invocation, message.ok ? null : 'Unhandled', message.payload),
        );
      }
      if (worker.state === 'dead') return undefined;
      if (worker.retire || worker.generation !== this.generation) return this.stopWorker(worker);
      this.becomeIdle(worker);
    }
    return undefined;
  }

  becomeIdle(worker) {
    worker.state = 'idle';
    this.pump();
    if (worker.state !== 'idle') return;
    // Lambda retires idle environments too; keep one warm so the next invocation starts at once.
    worker.idleTimer = setTimeout(() => {
      const others = [...this.workers].filter(
        (w) => w !== worker && w.generation === this.generation && w.state !== 'dead',
      );
      if (worker.state === 'idle' && others.length) this.stopWorker(worker);
    }, IDLE_WORKER_MS);
    worker.idleTimer.unref();
  }

  failLoad(error) {
    this.initError = error;
    this.announceLoad = true;
    const text = `${error.payload.errorType}: ${error.payload.errorMessage}`;
    if (this.reported !== text) {
      this.reported = text;
      const root = this.config.root;
      say(
        `cannot load handler "${this.config.handler}" from ${root} (${error.payload.errorType}):\n${error.report}\n` +
          `${HOST}: invocations answer ${error.payload.errorType} ` +
          (error.retryable
            ? 'and load the handler again each time'
            : `until a file under ${root} changes`),
      );
    }
    for (const invocation of this.waiting.splice(0))
      this.complete(invocation, this.initErrorAnswer(invocation));
  }

  initErrorAnswer(invocation) {
    return invokeAnswer(invocation, 'Unhandled', JSON.stringify(this.initError.payload));
  }

  onExit(worker, code, signal) {
    if (!this.workers.has(worker)) return;
    this.workers.delete(worker);
    clearTimeout(worker.idleTimer);
    const wasStarting = worker.state === 'starting';
    worker.state = 'dead';
    const status = signal
      ? `signal: ${signal.replace(/^SIG/, '').toLowerCase()}`
      : `exit status ${code}`;
    const invocation = worker.current;
    if (invocation && !invocation.done) {
      const payload = {
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${invocation.requestId} Error: Runtime exited with error: ${status}`,
      };
      say(`the worker running request ${invocation.requestId} exited (${status})`);
      this.complete(invocation, invokeAnswer(invocation, 'Unhandled', JSON.stringify(payload)));
    } else if (wasStarting && worker.generation === this.generation && !worker.stopping) {
      this.failLoad({
        type: 'loadError',
        retryable: true,
        payload: {
          errorType: 'Runtime.ExitError',
          errorMessage: `Runtime exited with error: ${status}`,
        },
        report: `the worker exited (${status}) while loading the handler`,
      });
    }
    this.releaseSlot(worker);
    this.takeBack(worker);
    this.pump();
    // Keep one environment warm, as after the first invocation.
    const live = [...this.workers].some(
      (w) => w.generation === this.generation && w.state !== 'dead',
    );
    if (!live && !this.initError) this.spawn();
  }

  stopWorker(worker) {
    clearTimeout(worker.idleTimer);
    worker.stopping = true;
    if (worker.state !== 'dead') worker.state = 'dead';
    if (worker.process.connected) worker.process.disconnect();
    // A worker stuck in a synchronous loop never sees the disconnect.
    setTimeout(() => worker.process.kill('SIGKILL'), 2000).unref();
  }

  timeOut(invocation) {
    if (invocation.done) return;
    const index = this.waiting.indexOf(invocation);
    if (index >= 0) this.waiting.splice(index, 1);
    const seconds = (this.config.timeoutMs / 1000).toFixed(2);
    process.stdout.write(
      `${new Date().toISOString()} ${invocation.requestId} Task timed out after ${seconds} seconds\n`,
    );
    const payload = {
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: ${invocation.requestId} Error: Task timed out after ${seconds} seconds`,
    };
    this.complete(invocation, invokeAnswer(invocation, 'Unhandled', JSON.stringify(payload)));
    const worker = invocation.worker;
    if (worker && worker.current === invocation) {
      // Lambda stops a timed-out environment; its module state goes with it.
      worker.current = null;
      worker.state = 'dead';
      worker.process.kill('SIGKILL');
    }
    this.pump();
  }

  shutdown() {
    for (const worker of this.workers) worker.process.kill('SIGTERM');
    // Where workers wrote TypeScript bundles (node_typescript.mjs); a killed one leaves its own.
    const bundles = path.join(os.tmpdir(), `wsgw-node-host-${process.pid}`);
    fs.rmSync(bundles, { recursive: true, force: true });
  }
}

function invokeAnswer(invocation, functionError, payload) {
  const headers = {
    'Content-Type': 'application/json',
    'X-Amz-Executed-Version': '$LATEST',
    'X-Amzn-RequestId': invocation.requestId,
  };
  if (functionError) headers['X-Amz-Function-Error'] = functionError;
  return { status: 200, headers, body: payload };
}

function serviceError(status, type, message) {
  return {
    status,
    headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': type },
    body: JSON.stringify({ Type: 'User', Message: message }),
  };
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    request.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(size > MAX_PAYLOAD_BYTES ? null : Buffer.concat(chunks).toString('utf8')),
    );
    request.on('error', reject);
  });
}

async function answerRequest(pool, request) {
  // The gateway's invocations have no query: parsing a URL is for the rest.
  const query = request.url.indexOf('?');
  const pathname = query < 0 ? request.url : new URL(request.url, 'http://host').pathname;
  const body = await readBody(request);
  // The gateway's warm-up of a direct environment: it is ready, nothing runs.
  if (query >= 0 && new URL(request.url, 'http://host').searchParams.has('wsgw-warmup')) {
    return { status: 204, headers: {}, body: '' };
  }
  if (!INVOKE_PATH.test(pathname) || request.method !== 'POST') {
    return serviceError(
      404,
      'ResourceNotFoundException',
      `${request.method} ${pathname}: this host serves POST /2015-03-31/functions/{name}/invocations`,
    );
  }
  if (body === null) {
    return serviceError(
      413,
      'RequestTooLargeException',
      `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
    );
  }
  const eventText = body.trim() === '' ? '{}' : body;
  let event;
  try {
    event = JSON.parse(eventText);
  } catch (error) {
    return serviceError(
      400,
      'InvalidRequestContentException',
      `Could not parse request body into json: ${error.message}`,
    );
  }
  let clientContext;
  const clientContextHeader = request.headers['x-amz-client-context'];
  if (clientContextHeader) {
    try {
      clientContext = JSON.parse(Buffer.from(clientContextHeader, 'base64').toString('utf8'));
    } catch {
      return serviceError(
        400,
        'InvalidRequestContentException',
        'Client context must be a valid Base64-encoded JSON object.',
      );
    }
  }
  const invocation = {
    requestId: randomUUID(),
    eventText,
    event, // parsed already: a worker serving this request itself does not parse it again
    clientContext,
    deadlineMs: Date.now() + pool.config.timeoutMs,
    done: false,
  };
  const invocationType = request.headers['x-amz-invocation-type'] || 'RequestResponse';
  if (invocationType === 'DryRun') return { status: 204, headers: {}, body: '' };
  if (invocationType === 'Event') {
    pool.invoke(invocation);
    return { status: 202, headers: { 'X-Amzn-RequestId': invocation.requestId }, body: '' };
  }
  return pool.invoke(invocation);
}

const TRUST_CHECK_TIMEOUT_MS = 3000;

// "http://127.0.0.1:3001/dev" -> {host, port}; null when unset or not a URL.
function urlAuthority(text) {
  if (!text) return null;
  try {
    const url = new URL(text);
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    return host ? { host, port } : null;
  } catch {
    return null;
  }
}

// When the gateway serves TLS (WSGW_CA_FILE), whether https:// from this function's code will
// verify: the workers trust what this process trusts (Node's CA store plus NODE_EXTRA_CA_CERTS,
// read by Node.js when a process starts). Asynchronous, never delays serving, says one line only
// when something fails, and a debug line when it works.
function checkGatewayTrust() {
  const env = process.env;
  if (!env.WSGW_CA_FILE) return;
  const redirect = env.WSGW_AWS_REDIRECT ? awsRedirect.parseTarget(env.WSGW_AWS_REDIRECT) : null;
  const gateway =
    urlAuthority(env.WSGW_MANAGEMENT_ENDPOINT) || urlAuthority(env.AWS_ENDPOINT_URL_DYNAMODB);
  const address = redirect || gateway;
  if (!address) return;
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  // The names the function's code connects with: the gateway's own (event.requestContext.domainName)
  // and, redirected, AWS's.
  const names = [];
  if (gateway) names.push(gateway.host);
  if (redirect) names.push(`dynamodb.${region}.amazonaws.com`);
  const where = awsRedirect.describe(address);
  const extra = env.NODE_EXTRA_CA_CERTS
    ? `NODE_EXTRA_CA_CERTS=${env.NODE_EXTRA_CA_CERTS}`
    : 'NODE_EXTRA_CA_CERTS unset';
  const failed = (name, error) => {
    // OpenSSL's own message spans lines; its reason is the words that matter.
    const words = error.reason || String(error.message).split('\n')[0].replace(/:$/, '');
    const code = `${error.code ? `${error.code}: ` : ''}${words}`;
    if (error.code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return (
        `https:// to ${name} will fail in this function: wsgw's certificate at ${where} does ` +
        `not cover ${name} (${code}); a --tls-cert of your own must cover it` +
        (redirect && name !== gateway?.host ? ' (or pass --no-aws-redirect)' : '')
      );
    }
    if (error.code === 'WSGW_TIMEOUT' || !error.code?.match(/CERT|SIGNATURE|ISSUER|SELF_SIGNED/)) {
      return (
        `could not check that https:// to wsgw at ${where} verifies (${code}); ` +
        `check WSGW_CA_FILE=${env.WSGW_CA_FILE} and WSGW_AWS_REDIRECT`
      );
    }
    return (
      `https:// to wsgw will fail in this function: the certificate at ${where} does not ` +
      `verify with Node.js's CA store and ${extra} (${code}); check ` +
      `NODE_EXTRA_CA_CERTS: it must name wsgw's CA (${env.WSGW_CA_FILE}) when the function ` +
      'starts (Node.js reads it only then)'
    );
  };
  const check = (index) => {
    if (index >= names.length) {
      debug(`https:// to ${names.join(' and ')} at ${where} verifies`);
      return;
    }
    const name = names[index];
    let settled = false;
    const settle = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // A verified connection is ended, not destroyed: the gateway then sees the handshake
      // finish instead of logging "TLS handshake failed ... unexpected eof".
      if (error) socket.destroy();
      else socket.end();
      if (error) say(failed(name, error));
      else check(index + 1);
    };
    let socket;
    try {
      socket = tls.connect({
        host: address.host,
        port: address.port,
        ...(net.isIP(name) ? {} : { servername: name }),
        checkServerIdentity: (_, certificate) => tls.checkServerIdentity(name, certificate),
      });
    } catch (error) {
      say(failed(name, error)); // a name or address tls.connect refuses outright
      return;
    }
    socket.on('secureConnect', () => settle(null));
    socket.on('error', (error) => settle(error));
    const timer = setTimeout(() => {
      const error = new Error(`no TLS answer within ${TRUST_CHECK_TIMEOUT_MS / 1000} s`);
      error.code = 'WSGW_TIMEOUT';
      settle(error);
    }, TRUST_CHECK_TIMEOUT_MS);
    timer.unref();
  };
  check(0);
}

function runFront() {
  const config = readConfig();
  const pool = new WorkerPool(config);
  const server = http.createServer((request, response) => {
    answerRequest(pool, request)
      .catch((error) => serviceError(500, 'ServiceException', String(error?.stack || error)))
      .then(({ status, headers, body }) => {
        if (response.destroyed) return;
        const head = { ...headers, 'Content-Length': Buffer.byteLength(body) };
        if (request.socket.wsgwFront) head.Connection = 'close';
        response.writeHead(status, head);
        response.end(body);
      });
  });
  // Longer than the gateway's HTTP client keeps an idle connection, so it never reuses one that
  // this server is closing; invocations may run as long as their function timeout.
  server.keepAliveTimeout = 125000;
  server.headersTimeout = 130000;
  server.requestTimeout = 0;
  server.on('error', (error) => {
    say(`cannot listen on ${config.host}:${config.port}: ${error.message}`);
    process.exit(1);
  });
  server.listen(config.port, config.host, () => {
    const { port } = server.address();
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    say(
      `serving ${config.handler} (root ${config.root}) on ` +
        `http://${host}:${port}/2015-03-31/functions/${config.name}/invocations with Node.js ${process.version}`,
    );
  });
  pool.start();
  if (config.environmentPorts.length) pool.listenSlots(server);
  checkGatewayTrust();

  const stop = () => {
    pool.shutdown();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  // Started by the gateway, which stops its functions with SIGTERM after delivering $disconnect
  // events: a terminal's Ctrl-C, which reaches the whole process group, must not stop them first.
  process.on('SIGINT', process.env.WSGW_MANAGEMENT_ENDPOINT ? () => {} : stop);
}

// Last, once every declaration above is initialised.
if (process.argv[2] === WORKER_FLAG) {
  await runWorker(process.argv[3], process.argv[4]);
} else {
  runFront();
}
