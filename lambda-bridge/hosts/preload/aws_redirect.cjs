// AWS's own host names, inside a function wsgw starts: when WSGW_AWS_REDIRECT=HOST:PORT is set,
// every TCP connection this process makes to `*.execute-api.REGION.amazonaws.com` or
// `dynamodb.REGION.amazonaws.com` (any port) goes to HOST:PORT (the gateway) instead. Nothing
// else changes: TLS still sends the AWS name as SNI and verifies the certificate against it, so
// `new ApiGatewayManagementApiClient({ endpoint: "https://abc123.execute-api.us-east-1.amazonaws.com/prod" })`
// and `new DynamoDBClient({})` with no endpoint reach wsgw unchanged. Every other host resolves
// and connects as usual.
//
// How: net.Socket.prototype.connect is where every outgoing TCP connection of Node.js starts,
// whoever opens it (net.connect, tls.connect, http(s).Agent, the AWS SDK's
// @smithy/node-http-handler, http2, fetch/undici). A connection to an AWS name gets a copy of its
// options with the gateway's host and port; the caller's own options object (which tls.connect
// keeps for SNI and checkServerIdentity) is left as it was. A DNS override alone (dns.lookup)
// could not do it: it never sees the port, and the gateway does not listen on 443.
//
// The node host loads this in each worker (install({ report })); for `command` functions the
// gateway preloads it (NODE_OPTIONS=--require this file), where it installs itself and reports on
// stderr. CommonJS, so that --require works on every Node.js the hosts support (18 and later).
'use strict';

const net = require('node:net');

const STATE = Symbol.for('wsgw.awsRedirect');
const AWS_NAME = /^(?:[a-z0-9]+\.execute-api|dynamodb)\.[a-z0-9-]+\.amazonaws\.com$/;

// Whether connections to `host` are redirected: the names the gateway's certificate covers.
function isAwsName(host) {
  return typeof host === 'string' && AWS_NAME.test(host.toLowerCase().replace(/\.$/, ''));
}

// "127.0.0.1:3001", "localhost:3001" or "[::1]:3001" -> {host, port}; null when malformed.
function parseTarget(text) {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text || '');
  if (!match) return null;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return null;
  return { host: match[1] || match[2], port };
}

function describe(target) {
  return `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
}

// The options and callback of a Socket#connect call, in any of its forms; null for a Unix
// socket or anything else that is not a TCP connection by host name.
function connectArguments(args) {
  let options;
  let callback;
  if (Array.isArray(args[0])) {
    [options, callback] = args[0]; // what net.connect passes: its arguments, already normalized
  } else if (args[0] !== null && typeof args[0] === 'object') {
    [options, callback] = args;
  } else if (typeof args[0] === 'number' || /^\d+$/.test(String(args[0]))) {
    options = { port: args[0], host: typeof args[1] === 'string' ? args[1] : undefined };
    callback = args.find((arg) => typeof arg === 'function');
  } else {
    return null;
  }
  if (!options || typeof options !== 'object' || options.path) return null;
  return { options, callback: typeof callback === 'function' ? callback : undefined };
}

function defaultReport(line) {
  process.stderr.write(`wsgw: ${line}\n`);
}

// Installs the redirect in this process when WSGW_AWS_REDIRECT is set (once; a later call only
// replaces `report`, called as report(line, name) once per redirected host name). Returns whether
// connections are redirected. Never throws.
function install({ report } = {}) {
  const existing = globalThis[STATE];
  if (existing) {
    if (report) existing.report = report;
    return true;
  }
  const text = process.env.WSGW_AWS_REDIRECT;
  if (!text) return false;
  const target = parseTarget(text);
  if (!target) {
    (report || defaultReport)(
      `WSGW_AWS_REDIRECT must be HOST:PORT (like 127.0.0.1:3001), found "${text}": ` +
        'AWS host names are not redirected to wsgw',
    );
    return false;
  }
  const state = { target, seen: new Set(), report: report || defaultReport };
  const original = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connect(...args) {
    const call = connectArguments(args);
    if (!call || !isAwsName(call.options.host)) return original.apply(this, args);
    const name = call.options.host.toLowerCase().replace(/\.$/, '');
    if (!state.seen.has(name)) {
      state.seen.add(name);
      try {
        state.report(
          `redirecting ${name}:${call.options.port ?? ''} to ${describe(target)} ` +
            '(wsgw; --no-aws-redirect turns it off)',
          name,
        );
      } catch {
        // A report that cannot be delivered (the host's front went away) changes nothing here.
      }
    }
    const options = { ...call.options, host: target.host, port: target.port };
    delete options.lookup; // the gateway's address is an IP or a local name: no custom resolver
    return original.apply(this, call.callback ? [options, call.callback] : [options]);
  };
  globalThis[STATE] = state;
  return true;
}

module.exports = { install, isAwsName, parseTarget, describe };

// Preloaded (NODE_OPTIONS=--require ...), not required by the node host (which installs it with
// its own report).
const parentId = module.parent ? module.parent.id : null;
if (!parentId || parentId === 'internal/preload') install();
