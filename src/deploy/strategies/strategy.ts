/**
 * Strategies as values. Every way a user can name a strategy (the group file's `strategy:` object,
 * `--strategy NAME`, CodeDeploy predefined config names) resolves to one of these.
 */
import { UsageError } from '../../core/errors.js';
import type { StepSpec, StrategySpec } from '../../documents/deployment-group/schema.js';

export type MinimumHealthyHosts = { count: number } | { percent: number };

export type TrafficStep =
  | { kind: 'setWeight'; percent: number }
  | { kind: 'pause'; seconds?: number }
  | { kind: 'analysis'; seconds?: number };

export type Strategy =
  /** CodeDeploy in-place: batches sized so at least `minimumHealthyHosts` keep serving. */
  | {
      kind: 'in-place';
      name: string;
      minimumHealthyHosts: MinimumHealthyHosts;
      /** AWS's predefined configs always deploy at least one instance at a time (OneAtATime: exactly one). */
      preset?: 'one' | 'half';
    }
  /** Elastic Beanstalk "rolling with additional batch": add a fresh batch first so capacity never drops. */
  | { kind: 'rolling-with-additional-batch'; batchSize: number }
  /** Elastic Beanstalk "immutable": a full fresh fleet serves alongside the old one, then replaces it. */
  | { kind: 'immutable' }
  | {
      kind: 'blue-green';
      readyWait?: { seconds?: number; actionOnTimeout: 'continue' | 'stop' };
      terminateBlueAfterSeconds: number;
    }
  /** Canary, linear and explicit step lists: traffic shifted to a replacement fleet step by step. */
  | { kind: 'traffic'; name: 'canary' | 'linear' | 'steps'; steps: TrafficStep[] };

/** Named constructors, as aws-cdk names CodeDeploy configs. */
export const Strategies = {
  allAtOnce: (): Strategy => ({ kind: 'in-place', name: 'all-at-once', minimumHealthyHosts: { count: 0 } }),
  oneAtATime: (): Strategy => ({
    kind: 'in-place',
    name: 'one-at-a-time',
    minimumHealthyHosts: { percent: 99 },
    preset: 'one',
  }),
  halfAtATime: (): Strategy => ({
    kind: 'in-place',
    name: 'half-at-a-time',
    minimumHealthyHosts: { percent: 50 },
    preset: 'half',
  }),
  minimumHealthy: (minimumHealthyHosts: MinimumHealthyHosts): Strategy => ({
    kind: 'in-place',
    name: 'rolling',
    minimumHealthyHosts,
  }),
  canary: (percent: number, intervalSeconds: number): Strategy => ({
    kind: 'traffic',
    name: 'canary',
    steps: [
      { kind: 'setWeight', percent },
      { kind: 'pause', seconds: intervalSeconds },
    ],
  }),
  linear: (stepPercent: number, intervalSeconds: number): Strategy => {
    const steps: TrafficStep[] = [];
    for (let w = stepPercent; w < 100; w += stepPercent) {
      const percent = Math.round(w * 1000) / 1000;
      steps.push({ kind: 'setWeight', percent }, { kind: 'pause', seconds: intervalSeconds });
    }
    return { kind: 'traffic', name: 'linear', steps };
  },
  steps: (steps: TrafficStep[]): Strategy => ({ kind: 'traffic', name: 'steps', steps }),
  blueGreen: (opts: Partial<Omit<Extract<Strategy, { kind: 'blue-green' }>, 'kind'>> = {}): Strategy => ({
    kind: 'blue-green',
    terminateBlueAfterSeconds: opts.terminateBlueAfterSeconds ?? 0,
    ...(opts.readyWait ? { readyWait: opts.readyWait } : {}),
  }),
  immutable: (): Strategy => ({ kind: 'immutable' }),
  rollingWithAdditionalBatch: (batchSize: number): Strategy => ({
    kind: 'rolling-with-additional-batch',
    batchSize,
  }),
} as const;

/** AWS's predefined deployment configurations (EC2 and the Lambda/ECS traffic-shifting ones), by name. */
export const PredefinedConfigs: Readonly<Record<string, Strategy>> = {
  'CodeDeployDefault.AllAtOnce': Strategies.allAtOnce(),
  'CodeDeployDefault.HalfAtATime': Strategies.halfAtATime(),
  'CodeDeployDefault.OneAtATime': Strategies.oneAtATime(),
  Canary10Percent5Minutes: Strategies.canary(10, 300),
  Canary10Percent10Minutes: Strategies.canary(10, 600),
  Canary10Percent15Minutes: Strategies.canary(10, 900),
  Canary10Percent30Minutes: Strategies.canary(10, 1800),
  Linear10PercentEvery1Minute: Strategies.linear(10, 60),
  Linear10PercentEvery2Minutes: Strategies.linear(10, 120),
  Linear10PercentEvery3Minutes: Strategies.linear(10, 180),
  Linear10PercentEvery10Minutes: Strategies.linear(10, 600),
};

const canaryName = /^(?:CodeDeployDefault\.)?(?:Lambda|ECS)?Canary(\d+)Percent(\d+)Minutes?$/;
const linearName = /^(?:CodeDeployDefault\.)?(?:Lambda|ECS)?Linear(\d+)PercentEvery(\d+)Minutes?$/;
// AllAtOnce itself is in PredefinedConfigs (EC2's config); the pattern adds the Lambda and ECS spellings.
const allAtOnceName = /^(?:CodeDeployDefault\.)?(?:Lambda|ECS)AllAtOnce$/;

/** Resolves a predefined config name (with or without the `CodeDeployDefault.`, `Lambda`, `ECS` prefixes). */
export function predefinedStrategy(name: string): Strategy | undefined {
  const exact = PredefinedConfigs[name] ?? PredefinedConfigs[`CodeDeployDefault.${name}`];
  if (exact) return exact;
  if (allAtOnceName.test(name)) return Strategies.allAtOnce();
  const canary = canaryName.exec(name);
  if (canary) return Strategies.canary(Number(canary[1]), Number(canary[2]) * 60);
  const linear = linearName.exec(name);
  if (linear) return Strategies.linear(Number(linear[1]), Number(linear[2]) * 60);
  return undefined;
}

function stepFromSpec(spec: StepSpec): TrafficStep {
  if ('setWeight' in spec) return { kind: 'setWeight', percent: spec.setWeight };
  if ('pause' in spec)
    return { kind: 'pause', ...(spec.pause.seconds !== undefined ? { seconds: spec.pause.seconds } : {}) };
  return {
    kind: 'analysis',
    ...(spec.analysis.seconds !== undefined ? { seconds: spec.analysis.seconds } : {}),
  };
}

const SHORT_NAMES = 'all-at-once, one-at-a-time, half-at-a-time, blue-green, immutable, canary, linear';

/** Turns the group file's `strategy` (or `--strategy`) into a Strategy; a bad one is a UsageError naming what is allowed. */
export function resolveStrategy(spec: string | StrategySpec | undefined): Strategy {
  if (spec === undefined) return Strategies.oneAtATime(); // CodeDeploy's default config
  if (typeof spec === 'string') {
    switch (spec) {
      case 'all-at-once':
        return Strategies.allAtOnce();
      case 'one-at-a-time':
        return Strategies.oneAtATime();
      case 'half-at-a-time':
        return Strategies.halfAtATime();
      case 'blue-green':
        return Strategies.blueGreen();
      case 'immutable':
        return Strategies.immutable();
      case 'canary':
        return Strategies.canary(10, 5);
      case 'linear':
        return Strategies.linear(25, 5);
    }
    const predefined = predefinedStrategy(spec);
    if (predefined) return predefined;
    throw new UsageError(
      `unknown strategy '${spec}'`,
      `use one of ${SHORT_NAMES}, or a CodeDeploy config name such as Canary10Percent5Minutes`,
    );
  }
  if (spec.config !== undefined) {
    const predefined = predefinedStrategy(spec.config);
    if (!predefined)
      throw new UsageError(`strategy.config '${spec.config}' is not a CodeDeploy predefined config`);
    return predefined;
  }
  switch (spec.type) {
    case 'all-at-once':
      return Strategies.allAtOnce();
    case 'one-at-a-time':
      return Strategies.oneAtATime();
    case 'half-at-a-time':
      return Strategies.halfAtATime();
    case 'rolling':
      if (!spec.minimumHealthyHosts) {
        throw new UsageError('strategy rolling needs minimumHealthyHosts: {count: N} or {percent: P}');
      }
      return Strategies.minimumHealthy(spec.minimumHealthyHosts);
    case 'rolling-with-additional-batch':
      return Strategies.rollingWithAdditionalBatch(spec.batchSize ?? 1);
    case 'immutable':
      return Strategies.immutable();
    case 'blue-green':
      return Strategies.blueGreen({
        terminateBlueAfterSeconds: spec.terminateBlueAfterSeconds ?? 0,
        ...(spec.readyWait
          ? {
              readyWait: {
                ...(spec.readyWait.seconds !== undefined ? { seconds: spec.readyWait.seconds } : {}),
                actionOnTimeout: spec.readyWait.actionOnTimeout ?? 'stop',
              },
            }
          : {}),
      });
    case 'canary':
      if (spec.steps) return { kind: 'traffic', name: 'canary', steps: spec.steps.map(stepFromSpec) };
      if (spec.percent === undefined || spec.intervalSeconds === undefined) {
        throw new UsageError(
          'strategy canary needs steps, or percent and intervalSeconds (or config: Canary10Percent5Minutes)',
        );
      }
      return Strategies.canary(spec.percent, spec.intervalSeconds);
    case 'linear':
      if (spec.steps) return { kind: 'traffic', name: 'linear', steps: spec.steps.map(stepFromSpec) };
      if (spec.stepPercent === undefined || spec.intervalSeconds === undefined) {
        throw new UsageError(
          'strategy linear needs stepPercent and intervalSeconds (or config: Linear10PercentEvery1Minute)',
        );
      }
      return Strategies.linear(spec.stepPercent, spec.intervalSeconds);
    case 'steps':
      if (!spec.steps) throw new UsageError('strategy steps needs a steps list');
      return Strategies.steps(spec.steps.map(stepFromSpec));
  }
}

export function strategyName(strategy: Strategy): string {
  switch (strategy.kind) {
    // Stryker disable next-line ConditionalExpression: equivalent, falling through to 'traffic' returns the same name
    case 'in-place':
      return strategy.name;
    case 'traffic':
      return strategy.name;
    default:
      return strategy.kind;
  }
}
