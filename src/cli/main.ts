#!/usr/bin/env node
/**
 * The `conveyor` binary: turns on Node's compile cache (core/compile-cache.ts), then loads the CLI (start.ts),
 * so its modules are compiled once and reused by later starts — most of a short command's time.
 */
import { enableCompileCache } from '../core/compile-cache.js';

enableCompileCache();
await import('./start.js');
