/**
 * The parts of a CodePipeline declaration (create-pipeline JSON / YAML) the local runner reads. Kept structural so
 * both the emitted JSON and hand-written YAML fit; the full schema lives in src/documents/pipeline.
 */
export interface ActionTypeId {
  category: string;
  owner: string;
  provider: string;
  version: string;
}

export interface ArtifactRef {
  name: string;
}

export interface ActionDeclaration {
  name: string;
  actionTypeId: ActionTypeId;
  runOrder?: number;
  configuration?: Record<string, string>;
  inputArtifacts?: ArtifactRef[];
  outputArtifacts?: ArtifactRef[];
  namespace?: string;
  region?: string;
  timeoutInMinutes?: number;
  /** Compute/Commands actions (V2). */
  commands?: string[];
  outputVariables?: string[];
  environmentVariables?: { name: string; value: string; type?: string }[];
}

export interface RuleDeclaration {
  name: string;
  ruleTypeId: { category: string; owner?: string; provider: string; version?: string };
  configuration?: Record<string, string>;
}

export interface Condition {
  result?: string;
  rules?: RuleDeclaration[];
}

export interface StageDeclaration {
  name: string;
  actions: ActionDeclaration[];
  beforeEntry?: { conditions: Condition[] };
  onSuccess?: { conditions: Condition[] };
  onFailure?: { result?: string; retryConfiguration?: { retryMode?: string }; conditions?: Condition[] };
}

export interface GitFilter {
  includes?: string[];
  excludes?: string[];
}

export interface PipelineTrigger {
  providerType: string;
  gitConfiguration: {
    sourceActionName: string;
    push?: { tags?: GitFilter; branches?: GitFilter; filePaths?: GitFilter }[];
    pullRequest?: { events?: string[]; branches?: GitFilter; filePaths?: GitFilter }[];
  };
}

export interface PipelineDeclaration {
  name: string;
  roleArn?: string;
  stages: StageDeclaration[];
  pipelineType?: string;
  executionMode?: 'QUEUED' | 'SUPERSEDED' | 'PARALLEL';
  variables?: { name: string; defaultValue?: string; description?: string }[];
  triggers?: PipelineTrigger[];
}

export function actionKey(stage: string, action: string): string {
  return `${stage}/${action}`;
}

export function providerLabel(a: ActionDeclaration): string {
  return `${a.actionTypeId.owner}/${a.actionTypeId.category}/${a.actionTypeId.provider}`;
}
