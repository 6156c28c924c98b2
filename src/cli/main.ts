#!/usr/bin/env node
/**
 * The `conveyor` binary: turns on Node's compile cache (core/compile-cache.ts), then loads the CLI (start.ts),
 * so its modules are compiled once and reused by later starts — most of a short command's time.
 * `validate --cache` is first offered to validate-cached.ts, a module of its own that answers an unchanged
 * repository from the cache without loading the CLI.
 */
import { enableCompileCache } from '../core/compile-cache.js';

enableCompileCache();
const [name, ...rest] = process.argv.slice(2).filter((a) => a !== '--debug');
const cached =
  name === 'validate' && rest.some((a) => a === '--cache' || a.startsWith('--cache-location'))
    ? await import('./validate-cached.js').then(
        (m) => m.answerFromCache(rest),
        // Only a shortcut: without it (a partial copy of dist/), the CLI does the whole run.
        () => undefined,
      )
    : undefined;
if (cached === undefined) await import('./start.js');
else process.exitCode = cached;
