/**
 * Entry point of a detached runner (`deploy --detach`): runs one deployment to its end with the lock the
 * parent handed over, with the options of the `deploy` that started it (--config, --state-dir, --region,
 * --profile; its environment). Its output goes to the ledger only.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../core/clock.js';
import { runHeld } from './engine.js';
import { openGroup } from './group.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    id: { type: 'string' },
    'state-dir': { type: 'string' },
    region: { type: 'string' },
    profile: { type: 'string' },
  },
});
const controller = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => controller.abort(new Error(sig)));
const ctx = openGroup(values.config!, {
  cwd: process.cwd(),
  ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
});
// `deploy`'s --region / --profile, as the in-process runner would have had them.
const aws = {
  ...(values.region ? { region: values.region } : {}),
  ...(values.profile ? { profile: values.profile } : {}),
};
await runHeld(ctx, values.id!, { clock: systemClock, signal: controller.signal, env: process.env, aws });
