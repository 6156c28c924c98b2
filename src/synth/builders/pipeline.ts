import { brand, compact, type PipelineDefinition } from '../definition.js';
import type {
  ActionDeclaration,
  StageCondition as Condition,
  StageFailureConditions as FailureConditions,
  PipelineDeclaration,
  PipelineTrigger as PipelineTriggerDeclaration,
  ConditionRule as RuleDeclaration,
  StageDeclaration,
} from '../documents.js';
import type { Duration } from '../duration.js';

/** Where CodePipeline keeps artifacts: an S3 bucket, optionally encrypted with a KMS key. */
export interface ArtifactStoreProps {
  /** Bucket name (3-63 characters). */
  bucket: string;
  /** KMS key id, ARN or alias ARN. @default the AWS-managed S3 key */
  kmsKeyId?: string;
}

export interface PipelineProps {
  /** Pipeline name (1-100 of `A-Za-z0-9.@_-`); also names `pipelines/<name>.json`. Immutable on AWS. */
  name: string;
  /** Service role CodePipeline assumes. */
  roleArn: string;
  /**
   * Single-region artifact store. Use `artifactStores` instead when any action sets `region`.
   * @see https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_ArtifactStore.html
   */
  artifactStore?: ArtifactStoreProps;
  /**
   * One artifact store per region: the pipeline's region and every action region.
   * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/actions-create-cross-region.html
   */
  artifactStores?: Record<string, ArtifactStoreProps>;
  /** Stages in order; see `stage()`. At least two; the first holds only source actions. */
  stages: StageDeclaration[];
  /**
   * V2 enables triggers, variables, QUEUED/PARALLEL and stage conditions.
   * @default 'V2'
   * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/pipeline-types-planning.html
   */
  pipelineType?: 'V1' | 'V2';
  /** @default 'SUPERSEDED' (by CodePipeline) */
  executionMode?: 'QUEUED' | 'SUPERSEDED' | 'PARALLEL';
  /** Pipeline-level variables (V2), referenced as `#{variables.<name>}`. See `variable()`. */
  variables?: NonNullable<PipelineDeclaration['variables']>;
  /** Git triggers (V2). See `Trigger.push()` and `Trigger.pullRequest()`. */
  triggers?: PipelineTriggerDeclaration[];
}

/**
 * A CodePipeline pipeline. Synth emits `pipelines/<name>.json` as `{"pipeline": ...}`, ready for
 * `aws codepipeline create-pipeline --cli-input-json file://...`.
 * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/reference-pipeline-structure.html
 */
export function definePipeline(props: PipelineProps): PipelineDefinition {
  if (props.artifactStore && props.artifactStores) {
    throw new TypeError(
      `definePipeline '${props.name}': give either artifactStore or artifactStores, not both`,
    );
  }
  if (!props.artifactStore && !props.artifactStores) {
    throw new TypeError(
      `definePipeline '${props.name}': an artifactStore (or artifactStores per region) is required`,
    );
  }
  const stores = props.artifactStores
    ? Object.fromEntries(Object.entries(props.artifactStores).map(([region, s]) => [region, store(s)]))
    : undefined;
  const document: PipelineDeclaration = compact({
    name: props.name,
    roleArn: props.roleArn,
    artifactStore: props.artifactStore && store(props.artifactStore),
    artifactStores: stores,
    stages: props.stages,
    version: 1,
    executionMode: props.executionMode,
    pipelineType: props.pipelineType ?? 'V2',
    variables: props.variables?.length ? props.variables : undefined,
    triggers: props.triggers?.length ? props.triggers : undefined,
  });
  return brand({ kind: 'pipeline' as const, name: props.name, document });
}

function store(s: ArtifactStoreProps) {
  return compact({
    type: 'S3' as const,
    location: s.bucket,
    encryptionKey: s.kmsKeyId ? { id: s.kmsKeyId, type: 'KMS' as const } : undefined,
  });
}

export interface StageOptions {
  /** Conditions checked before the stage runs (V2). */
  beforeEntry?: StageDeclaration['beforeEntry'];
  /** Conditions checked after the stage succeeds (V2). */
  onSuccess?: StageDeclaration['onSuccess'];
  /** What happens when the stage fails (V2): see `rollbackOnFailure()`, `retryOnFailure()`. */
  onFailure?: FailureConditions;
}

/** A stage: a name, its actions (1-50), and optional V2 conditions. */
export function stage(
  name: string,
  actions: ActionDeclaration[],
  options: StageOptions = {},
): StageDeclaration {
  return compact({
    name,
    actions,
    onFailure: options.onFailure,
    onSuccess: options.onSuccess,
    beforeEntry: options.beforeEntry,
  });
}

/**
 * Roll the stage back to the last successful execution's revision when it fails.
 * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/stage-conditions.html
 */
export function rollbackOnFailure(): FailureConditions {
  return { result: 'ROLLBACK' };
}

/** Retry the failed actions (or all actions) of the stage when it fails. */
export function retryOnFailure(mode: 'FAILED_ACTIONS' | 'ALL_ACTIONS' = 'FAILED_ACTIONS'): FailureConditions {
  return { result: 'RETRY', retryConfiguration: { retryMode: mode } };
}

/** A condition rule that watches a CloudWatch alarm. */
export function alarmRule(props: {
  name: string;
  alarmName: string;
  /** @default ['ALARM'] (by CodePipeline) */
  alarmStates?: ('ALARM' | 'OK' | 'INSUFFICIENT_DATA')[];
  /** Wait for a state change before the rule decides. Whole minutes. */
  waitTime?: Duration;
}): RuleDeclaration {
  const configuration: Record<string, string> = { AlarmName: props.alarmName };
  if (props.alarmStates) configuration.AlarmStates = props.alarmStates.join(',');
  if (props.waitTime) configuration.WaitTime = String(props.waitTime.toMinutes());
  return {
    name: props.name,
    ruleTypeId: { category: 'Rule', owner: 'AWS', provider: 'CloudWatchAlarm', version: '1' },
    configuration,
  };
}

/** A condition: `result` applies when its rules fail (on entry, on success) or match (on failure). */
export function condition(result: Condition['result'], rules: RuleDeclaration[]): Condition {
  return compact({ result, rules });
}

/** A pipeline-level variable (V2), referenced as `#{variables.<name>}`. */
export function variable(name: string, options: { defaultValue?: string; description?: string } = {}) {
  return compact({ name, defaultValue: options.defaultValue, description: options.description });
}

/** Include/exclude glob lists for branches, tags or file paths (1-8 patterns each). */
export interface FilterCriteria {
  includes?: string[];
  excludes?: string[];
}

function criteria(c: FilterCriteria | undefined) {
  return c ? compact({ includes: c.includes, excludes: c.excludes }) : undefined;
}

/**
 * V2 git triggers. Valid push filters: `tags`, `branches`, or `branches` + `filePaths`; pull
 * request filters: `branches` or `branches` + `filePaths`. Filters in one trigger are OR-ed; the
 * parts inside a filter are AND-ed.
 * @see https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-filter.html
 */
type PushFilter = { branches?: FilterCriteria; tags?: FilterCriteria; filePaths?: FilterCriteria };
type PullRequestFilter = {
  events?: ('OPEN' | 'UPDATED' | 'CLOSED')[];
  branches: FilterCriteria;
  filePaths?: FilterCriteria;
};

export const Trigger = {
  /**
   * The trigger of one CodeStarSourceConnection source action (one trigger per source action),
   * with up to three push and three pull-request filters.
   */
  git(
    sourceAction: string,
    filters: { push?: PushFilter[]; pullRequest?: PullRequestFilter[] },
  ): PipelineTriggerDeclaration {
    return {
      providerType: 'CodeStarSourceConnection',
      gitConfiguration: compact({
        sourceActionName: sourceAction,
        push: filters.push?.map((f) =>
          compact({
            tags: criteria(f.tags),
            branches: criteria(f.branches),
            filePaths: criteria(f.filePaths),
          }),
        ),
        pullRequest: filters.pullRequest?.map((f) =>
          compact({ events: f.events, branches: criteria(f.branches), filePaths: criteria(f.filePaths) }),
        ),
      }),
    };
  },
  /** Start on pushes to `sourceAction` matching any of the filters. */
  push(sourceAction: string, ...filters: PushFilter[]): PipelineTriggerDeclaration {
    return Trigger.git(sourceAction, { push: filters });
  },
  /** Start on pull request events on `sourceAction` matching any of the filters. */
  pullRequest(sourceAction: string, ...filters: PullRequestFilter[]): PipelineTriggerDeclaration {
    return Trigger.git(sourceAction, { pullRequest: filters });
  },
};
