/**
 * The commands and strategies `npm test` generates (test/integration/operator-sequences.test.ts); the soak runs
 * everything unless given `--subset npm-test`. Left out while their #12 bugs are open on main:
 * - rollback with nothing in progress redeploys all at once and takes capacity to zero (#12.2);
 * - down then deploy leaves the traffic on a stopped set (#12.1);
 * - a killed router stays down (#12.5);
 * - in-place strategies make status name the old revision (#12.3).
 */
import type { CommandKind, StrategyName } from './commands.js';

export const NPM_TEST_SUBSET: { allow: CommandKind[]; strategies: StrategyName[] } = {
  allow: ['deploy', 'promote', 'abort', 'resume', 'kill-runner', 'kill-instance', 'up'],
  strategies: ['canary', 'canary-manual', 'linear', 'blue-green', 'blue-green-wait', 'immutable'],
};
