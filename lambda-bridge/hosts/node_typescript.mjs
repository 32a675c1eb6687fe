// TypeScript handlers for node_host.mjs: bundles a .ts/.mts/.cts handler file (or a .js one that
// needs it, see needsBundling) with esbuild into a temporary folder (never the user's tree), with
// an inline source map so that stack traces name the .ts file and line. esbuild itself is loaded
// only when a handler is bundled, so a plain JavaScript handler never pays for it.
//
// esbuild does not type-check: type errors are not errors here, syntax errors are.
import fs from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HOSTS_DIR = path.dirname(fileURLToPath(import.meta.url));

// Thrown when no esbuild can be loaded: `code` tells node_host.mjs to answer ImportModuleError.
export class NoEsbuildError extends Error {
  constructor(message) {
    super(message);
    this.code = 'WSGW_NO_ESBUILD';
  }
}

// Thrown when esbuild cannot parse the code: the first error's file:line:column in the message,
// esbuild's own report (with the code frame) as `report`.
export class BundleSyntaxError extends SyntaxError {
  constructor(message, report) {
    super(message);
    this.code = 'WSGW_TS_SYNTAX';
    this.report = report;
  }
}

// The esbuild to use: WSGW_ESBUILD_PATH when set (for tests: a path where there may be none),
// else the project's own (resolved as the handler's own code would resolve it: the node_modules
// beside the handler file, then each folder above it, so a devDependency of a CDK app is found
// from cdk.out/asset.*/), else the one installed beside this host (lambda-bridge/hosts).
function findEsbuild(root, file) {
  const override = process.env.WSGW_ESBUILD_PATH;
  const candidates =
    override !== undefined
      ? [
          {
            from: path.join(HOSTS_DIR, 'package.json'),
            request: path.resolve(override),
            whose: 'WSGW_ESBUILD_PATH',
          },
        ]
      : [
          { from: file, request: 'esbuild', whose: "the project's" },
          { from: path.join(HOSTS_DIR, 'package.json'), request: 'esbuild', whose: "wsgw's" },
        ];
  const tried = [];
  for (const { from, request, whose } of candidates) {
    let resolved;
    try {
      resolved = createRequire(from).resolve(request);
    } catch {
      tried.push(request === 'esbuild' ? `from ${path.dirname(from)}` : request);
      continue;
    }
    try {
      const esbuild = createRequire(from)(resolved);
      return { esbuild, description: `esbuild ${esbuild.version} (${whose}, ${resolved})` };
    } catch (error) {
      tried.push(`${resolved}: ${error.message}`);
    }
  }
  throw new NoEsbuildError(
    `no esbuild to bundle TypeScript handlers (looked ${tried.join('; ')}). ` +
      `Fix: run \`npm i -D esbuild\` in ${root}`,
  );
}

// Keeps packages out of the bundle, as esbuild's `packages: 'external'` does, but imports each by
// the absolute path esbuild resolves it to from the importing file: the bundle lives in a
// temporary folder, where a bare "@aws-sdk/..." would not find the project's node_modules.
// tsconfig `paths` are applied first, so an alias like "@lib/x" to the project's own code is
// bundled; an unresolvable package is left bare, so it fails at load as in plain JavaScript.
const externalPackages = {
  name: 'wsgw-external-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]|^\.[^./]|^\.\.[^/]/ }, async (args) => {
      if (args.pluginData?.wsgwInner || isBuiltin(args.path)) return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { wsgwInner: true },
      });
      if (result.errors.length) return { path: args.path, external: true };
      if (!result.path.split(path.sep).includes('node_modules')) return undefined;
      return { path: result.path, external: true };
    });
  },
};

// Whether Node.js would run `file` as an ES module were it JavaScript.
export function isEsmSource(file, typeModule) {
  if (/\.m[tj]s$/.test(file)) return true;
  if (/\.c[tj]s$/.test(file)) return false;
  return typeModule;
}

const TYPESCRIPT = ['.ts', '.mts', '.cts'];
const JAVASCRIPT = ['.js', '.mjs', '.cjs', '.json'];

// A tsconfig.json (or jsconfig.json) is JSON with comments and trailing commas.
function parseJsonc(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2);
      if (i < 0) break;
      i++;
    } else {
      out += c;
    }
  }
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

// The `compilerOptions.paths` patterns of the tsconfig.json (else jsconfig.json) nearest above
// `dir`, following relative `extends`; [] when there is none or it cannot be read.
function pathAliases(dir) {
  for (let folder = dir; ; folder = path.dirname(folder)) {
    const config = ['tsconfig.json', 'jsconfig.json']
      .map((name) => path.join(folder, name))
      .find((candidate) => fs.existsSync(candidate));
    if (config) {
      const patterns = [];
      let file = config;
      for (let depth = 0; file && depth < 5; depth++) {
        let json;
        try {
          json = parseJsonc(fs.readFileSync(file, 'utf8'));
        } catch {
          break;
        }
        const paths = json?.compilerOptions?.paths;
        if (paths && typeof paths === 'object') patterns.push(...Object.keys(paths));
        const parent = typeof json?.extends === 'string' ? json.extends : null;
        file = parent && parent.startsWith('.') ? path.resolve(path.dirname(file), parent) : null;
        if (file && !file.endsWith('.json')) file += '.json';
      }
      return patterns;
    }
    if (path.dirname(folder) === folder) return [];
  }
}

// A catch-all "*" (typically typings fallbacks) would make every package import an alias: not
// counted.
function matchesAlias(specifier, pattern) {
  if (pattern === '*') return false;
  const star = pattern.indexOf('*');
  if (star < 0) return specifier === pattern;
  const prefix = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  return (
    specifier.length >= prefix.length + suffix.length &&
    specifier.startsWith(prefix) &&
    specifier.endsWith(suffix)
  );
}

// import/export ... from 'x', import 'x', import('x'), require('x'): a textual scan, which may
// over-report (an import in a comment) but not miss a static one.
const SPECIFIERS =
  /\b(?:from\s*|import\s*\(?\s*|require\s*\(\s*)(['"])([^'"\n]+)\1/g;

// What a relative specifier names: {typescript: file} or {javascript: file}, or null.
function relativeTarget(fromDir, specifier) {
  const target = path.resolve(fromDir, specifier);
  const isFile = (candidate) => {
    try {
      return fs.statSync(candidate).isFile();
    } catch {
      return false;
    }
  };
  if (TYPESCRIPT.some((ext) => target.endsWith(ext)) && isFile(target)) return { typescript: target };
  if (isFile(target)) return { javascript: target };
  for (const base of [target, path.join(target, 'index')]) {
    const js = JAVASCRIPT.map((ext) => base + ext).find(isFile);
    if (js) return { javascript: js };
    const ts = TYPESCRIPT.map((ext) => base + ext).find(isFile);
    if (ts) return { typescript: ts };
  }
  return null;
}

// Whether a JavaScript handler file needs bundling to run: it, or a JavaScript file it reaches by
// relative imports, imports a TypeScript file (`./db.ts`, or `./db` where only db.ts exists) or
// a specifier that the nearest tsconfig.json's `paths` map (`@lib/dynamo`). Resolves with the
// reason, or null: a JavaScript handler that needs neither runs as Node.js runs it, unbundled.
export function needsBundling(file) {
  const aliases = pathAliases(path.dirname(file));
  const seen = new Set();
  const queue = [file];
  while (queue.length && seen.size < 500) {
    const current = queue.shift();
    if (seen.has(current) || current.endsWith('.json')) continue;
    seen.add(current);
    let text;
    try {
      text = fs.readFileSync(current, 'utf8');
    } catch {
      continue;
    }
    for (const [, , specifier] of text.matchAll(SPECIFIERS)) {
      if (specifier.startsWith('./') || specifier.startsWith('../')) {
        const target = relativeTarget(path.dirname(current), specifier);
        if (target?.typescript) {
          return `${path.basename(current)} imports the TypeScript file ${specifier}`;
        }
        if (target?.javascript && !target.javascript.split(path.sep).includes('node_modules')) {
          queue.push(target.javascript);
        }
      } else if (!isBuiltin(specifier) && aliases.some((alias) => matchesAlias(specifier, alias))) {
        return `${path.basename(current)} imports ${specifier}, mapped by tsconfig.json paths`;
      }
    }
  }
  return null;
}

// Bundles `file` (absolute) for Node.js 20. Resolves with {file, outFile, format, inputs (absolute
// paths of every source file in the bundle), esbuild (which one), buildMs}.
export async function bundleTypeScript({ root, file, esm }) {
  const { esbuild, description } = findEsbuild(root, file);
  const outDir = path.join(os.tmpdir(), `wsgw-node-host-${process.ppid}`, String(process.pid));
  fs.mkdirSync(outDir, { recursive: true });
  process.on('exit', () => fs.rmSync(outDir, { recursive: true, force: true }));
  const format = esm ? 'esm' : 'cjs';
  const outFile = path.join(
    outDir,
    `${path.basename(file).replace(/\.[mc]?[tj]s$/, '')}.${esm ? 'mjs' : 'cjs'}`,
  );
  const started = performance.now();
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [file],
      absWorkingDir: root,
      outfile: outFile,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format,
      sourcemap: 'inline',
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [externalPackages],
    });
  } catch (error) {
    if (!Array.isArray(error?.errors) || !error.errors.length) {
      // Its binary cannot start: e.g. installed without its executable bit.
      throw new NoEsbuildError(
        `${description} cannot run: ${error?.message}. Fix: run \`npm i -D esbuild\` in ${root}`,
      );
    }
    const [first] = error.errors;
    const where = first.location
      ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: `
      : '';
    const report = (
      await esbuild.formatMessages(error.errors, { kind: 'error', color: false })
    ).join('');
    throw new BundleSyntaxError(`${where}${first.text}`, report.trimEnd());
  }
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes(':'))
    .map((input) => path.resolve(root, input));
  return {
    file,
    outFile,
    format,
    inputs,
    esbuild: description,
    buildMs: Math.round((performance.now() - started) * 10) / 10,
  };
}
