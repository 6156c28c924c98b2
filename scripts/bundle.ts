/**
 * Bundles the runtime JavaScript in dist/ with esbuild (tsc emits only the .d.ts files beside it).
 *
 * Why: Node pays per module it loads (resolve, read, compile). Compiled file by file, the library is
 * about 170 modules plus yaml's 70 CommonJS files; every CLI start paid for them, and every synth
 * source that imports 'conveyor' paid for all of them (~430 ms against ~150 ms bundled). Bundled, each
 * entry point is one file plus a few shared chunks, and commands loaded lazily stay lazy (dynamic
 * imports become their own chunks).
 *
 * Entry points are the files something spawns or imports by path: the package entries ('conveyor'
 * and the lighter 'conveyor/define'), the CLI, and the two detached processes (router, deploy runner). The AWS SDK and esbuild stay external: the SDK is
 * loaded only by AWS commands, esbuild carries a native binary.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { asciiSource } from '../src/documents/generate-validators.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const ENTRY_POINTS: Record<string, string> = {
  index: 'src/index.ts',
  // 'conveyor/define': the builders alone, what definition sources need (synth loads sources with it).
  define: 'src/synth/index.ts',
  'cli/main': 'src/cli/main.ts',
  // The worker threads of a large validate run (documents/validate-pool.ts).
  'cli/validate-worker': 'src/cli/validate-worker.ts',
  'router/main': 'src/router/main.ts',
  'router/supervisor-main': 'src/router/supervisor-main.ts',
  'deploy/runner-main': 'src/deploy/runner-main.ts',
};

rmSync(join(root, 'dist/chunks'), { recursive: true, force: true });
/** An import of a module as esbuild writes them: `import { a, b as c } from "node:fs";`, `import x from "…";`,
 * `import * as x from "…";`, `import x, { a } from "…";`. */
const STATIC_BUILTIN_IMPORT =
  /^import ((?:[\w$]+\s*,\s*)?\{[^}]*\}|\*\s+as\s+[\w$]+|[\w$]+) from "([^"]+)";/gm;

/** The binary's cached-answer module (src/cli/validate-cached.ts): imported by cli/main.js as a file of its own. */
const VALIDATE_CACHED = /[\\/]validate-cached\.js$/;
const NODE_REQUIRE_BANNER =
  'import { createRequire as __conveyorCreateRequire } from "node:module"; let __conveyorRequire; function require(id) { __conveyorRequire ??= __conveyorCreateRequire(import.meta.url); return __conveyorRequire(id); }';
/** yaml's ES module build (the same code as its CommonJS one): bundled, it is hoisted into one scope and
 * unused parts are dropped, where the CommonJS build stays some seventy wrapped modules, each initialised
 * on first use. A smaller, faster yaml chunk for every command that parses. */
const YAML_ESM = './node_modules/yaml/browser/dist/index.js';

const result = await build({
  absWorkingDir: root,
  entryPoints: ENTRY_POINTS,
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  external: ['@aws-sdk/*', '@smithy/*', 'esbuild'],
  alias: { yaml: YAML_ESM },
  plugins: [
    {
      // main.ts's import of validate-cached.js stays an import of the file built below, not a chunk.
      name: 'validate-cached-apart',
      setup(b) {
        b.onResolve({ filter: VALIDATE_CACHED }, (args) =>
          args.importer.endsWith('main.ts') ? { path: './validate-cached.js', external: true } : undefined,
        );
      },
    },
  ],
  // Bundled CommonJS dependencies call require() for Node built-ins; ESM has no require. Made on first use:
  // most chunks never call it, and creating one costs a module-path lookup per chunk at start-up.
  banner: { js: NODE_REQUIRE_BANNER },
  // validators.ts loads each schema's precompiled validator from here, only when a document needs it.
  define: { CONVEYOR_GENERATED_DIR: JSON.stringify('dist/documents/generated') },
  logLevel: 'warning',
  metafile: true,
});
// `validate --cache` answered from the cache (src/cli/validate-cached.ts): one file with all it needs, no
// chunks, because every module the ESM loader resolves, reads and links costs a start-up more than the
// answer itself takes. It shares no state with the CLI: it returns an exit code, or nothing and the CLI runs.
const cached = await build({
  absWorkingDir: root,
  entryPoints: { 'cli/validate-cached': 'src/cli/validate-cached.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: false,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  banner: { js: NODE_REQUIRE_BANNER },
  logLevel: 'warning',
  metafile: true,
});
const meta = {
  inputs: { ...result.metafile.inputs, ...cached.metafile.inputs },
  outputs: { ...result.metafile.outputs, ...cached.metafile.outputs },
};
// Node built-ins through process.getBuiltinModule instead of static ESM imports. An ESM import of a built-in
// builds its namespace, which reads every export, and with them the lazy ones: `import { statSync } from
// 'node:fs'` also loads fs/promises, readline and the file watchers, `node:util` loads worker_threads; about
// 5 ms of a 30 ms Node start on every command. getBuiltinModule returns the module object as require() does,
// touching only what is used. Rewritten line for line, so the source maps still hold.
for (const out of Object.keys(meta.outputs).filter((f) => f.endsWith('.js'))) {
  const file = join(root, out);
  const text = readFileSync(file, 'utf8');
  const rewritten = text.replace(STATIC_BUILTIN_IMPORT, (whole, clause: string, id: string) => {
    if (!isBuiltin(id)) return whole;
    const from = `process.getBuiltinModule(${JSON.stringify(id)})`;
    return clause
      .split(/,(?![^{]*\})/)
      .map((part) => part.trim())
      .map((part) => {
        if (part.startsWith('{')) return `const ${part.replace(/\s+as\s+/g, ': ')} = ${from};`;
        return `const ${part.replace(/^\*\s+as\s+/, '')} = ${from};`;
      })
      .join(' ');
  });
  // ASCII only (a comment's `§` or `—` made a whole chunk a two-byte string for V8): see asciiSource.
  const ascii = asciiSource(rewritten);
  if (ascii !== text) writeFileSync(file, ascii);
}
// The precompiled validators (scripts/gen-validators.ts): one CommonJS file per schema, copied as they are,
// not bundled, so a run reads only the ones of the kinds it meets.
const generated = join(root, 'src/documents/generated');
mkdirSync(join(root, 'dist/documents/generated'), { recursive: true });
for (const f of readdirSync(generated).filter((n) => n.endsWith('.cjs')))
  copyFileSync(join(generated, f), join(root, 'dist/documents/generated', f));
// The dashboard's page (Preact, htm, uPlot and its CSS): a browser bundle of its own, read from disk only by
// `conveyor dashboard` when a browser asks for it, so no other command loads or parses any of it.
await build({
  absWorkingDir: root,
  entryPoints: { app: 'src/dashboard/web/main.ts' },
  outdir: 'dist/dashboard',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
// Which modules each chunk holds and what it imports statically: tests check that start-up paths stay lean.
writeFileSync(join(root, 'dist/bundle-meta.json'), JSON.stringify(meta));
