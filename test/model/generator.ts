/**
 * The seeded generator: picks the next operator command from the model's state, so the same seed replays the same
 * sequence as long as the fleet behaves the same. Mostly commands that make sense now, sometimes one the CLI must
 * refuse (promote with nothing running, a second deploy), which checks the documented exit codes.
 */

import { seededRandom } from '../seeded-random.js';
import {
  type Command,
  type CommandKind,
  MANUAL,
  type RevisionKind,
  STRATEGIES,
  type StrategyName,
} from './commands.js';
import type { FleetModel } from './model.js';

export interface GeneratorOptions {
  /** Command kinds that may be generated (default: all; `up` only when the CLI has it). */
  allow?: readonly CommandKind[];
  /** Strategies that may be deployed with (default: all). */
  strategies?: readonly StrategyName[];
}

type Weighted = [number, Command];

export class CommandGenerator {
  private readonly random: () => number;
  private readonly strategies: readonly StrategyName[];

  constructor(
    seed: number,
    private readonly options: GeneratorOptions = {},
  ) {
    this.random = seededRandom(seed);
    this.strategies = options.strategies ?? (Object.keys(STRATEGIES) as StrategyName[]);
  }

  /** How many instances the sequence's fleet has (2 or 3: one instance can be killed without an outage). */
  fleetSize(): number {
    return this.random() < 0.5 ? 2 : 3;
  }

  next(model: FleetModel): Command {
    const choices = this.choices(model).filter(([w, c]) => w > 0 && this.allowed(c));
    const pool = choices.length ? choices : [[1, this.deploy()] as Weighted];
    const total = pool.reduce((s, [w]) => s + w, 0);
    let r = this.random() * total;
    for (const [w, c] of pool) {
      r -= w;
      if (r <= 0) return c;
    }
    return pool[pool.length - 1]![1];
  }

  private allowed(c: Command): boolean {
    if (c.kind === 'up' && !this.upAvailable) return false;
    return !this.options.allow || this.options.allow.includes(c.kind);
  }

  private upAvailable = false;

  /** Whether `conveyor up` exists in the build under test. */
  setUpAvailable(available: boolean): void {
    this.upAvailable = available;
  }

  private choices(m: FleetModel): Weighted[] {
    const a = m.active;
    const fleetUp = !m.down && !m.routerKilled;
    // Every candidate is drawn up front, in a fixed order, so a seed gives one sequence.
    const pick = this.random();
    const deploy = this.deploy();
    const full = this.random() < 0.5;
    if (!a)
      return [
        [4, deploy],
        [1.5, { kind: 'rollback' }],
        [m.down ? 0 : 1, { kind: 'down' }],
        [m.down || m.routerKilled ? 2 : 0.3, { kind: 'up' }],
        [fleetUp ? 0.7 : 0, { kind: 'kill-router' }],
        [fleetUp ? 0.7 : 0, { kind: 'kill-instance', pick }],
        [0.3, { kind: 'promote', full: false }],
        [0.2, { kind: 'abort' }],
      ];
    if (a.runnerAlive)
      return [
        [3, { kind: 'promote', full: false }],
        [2, { kind: 'promote', full: true }],
        [2, { kind: 'abort' }],
        [1, { kind: 'rollback' }],
        [a.runnerPid ? 1.5 : 0, { kind: 'kill-runner' }],
        [0.3, deploy],
        [0.3, { kind: 'down' }],
        [fleetUp ? 0.5 : 0, { kind: 'kill-router' }],
        [fleetUp ? 0.5 : 0, { kind: 'kill-instance', pick }],
        [m.routerKilled ? 1 : 0, { kind: 'up' }],
      ];
    const resumable = !MANUAL.includes(a.strategy) || a.promoteRequested;
    return [
      [2, { kind: 'abort' }],
      [2, { kind: 'rollback' }],
      [resumable ? 1.5 : 0, { kind: 'resume' }],
      [1, { kind: 'promote', full }],
      [0.5, deploy],
      [0.5, { kind: 'down' }],
      [m.down || m.routerKilled ? 1 : 0, { kind: 'up' }],
    ];
  }

  private deploy(): Command {
    const r = this.random();
    const revision: RevisionKind = r < 0.6 ? 'good' : r < 0.8 ? 'erroring' : 'broken';
    const strategy = this.strategies[Math.floor(this.random() * this.strategies.length)]!;
    const detach = MANUAL.includes(strategy) || this.random() < 0.5;
    return { kind: 'deploy', revision, strategy, detach };
  }
}
