// TypeScript handlers for node_host.mjs: bundles a .ts/.mts/.cts handler file with esbuild into a
// temporary folder (never the user's tree), with an inline source map so that stack traces name
// the .ts file and line. Imported by a worker only when its handler resolves to TypeScript, so a
// JavaScript handler never pays for loading esbuild.
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
// else the project's own (resolved from the handler root, as the project's code would), else the
// one installed beside this host (lambda-bridge/hosts/package.json).
function findEsbuild(root) {
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
          { from: path.join(root, 'package.json'), request: 'esbuild', whose: "the project's" },
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
  if (file.endsWith('.mts')) return true;
  if (file.endsWith('.cts')) return false;
  return typeModule;
}

// Bundles `file` (absolute) for Node.js 20. Resolves with {file, outFile, format, inputs (absolute
// paths of every source file in the bundle), esbuild (which one), buildMs}.
export async function bundleTypeScript({ root, file, esm }) {
  const { esbuild, description } = findEsbuild(root);
  const outDir = path.join(os.tmpdir(), `wsgw-node-host-${process.ppid}`, String(process.pid));
  fs.mkdirSync(outDir, { recursive: true });
  process.on('exit', () => fs.rmSync(outDir, { recursive: true, force: true }));
  const format = esm ? 'esm' : 'cjs';
  const outFile = path.join(
    outDir,
    `${path.basename(file).replace(/\.[mc]?ts$/, '')}.${esm ? 'mjs' : 'cjs'}`,
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
