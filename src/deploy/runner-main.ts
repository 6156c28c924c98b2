/**
 * Entry point of a detached runner (`deploy --detach`): runs one deployment to its end with the lock the
 * parent handed over. Its output goes to the ledger only.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.js';
import { runHeld } from './engine.js';
import { openGroup } from './group.js';

const { values } = parseArgs({
  options: { config: { type: 'string' }, id: { type: 'string' }, 'state-dir': { type: 'string' } },
});
const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => controller.abort(new Error(sig)));
const ctx = openGroup(values.config!, {
  cwd: process.cwd(),
  ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
});
await runHeld(ctx, values.id!, { clock: systemClock, signal: controller.signal });
