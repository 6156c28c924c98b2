/** Public library API of Conveyor. Each area adds its exports here. */

export type { AwsSettings } from './aws/clients.js';
export { createCodeBuildClient, createCodeDeployClient, createCodePipelineClient } from './aws/clients.js';
export type {
  PipelinePolicyOptions,
  PipelinePolicyResult,
  PolicyDocument,
  PolicyStatement,
} from './aws/iam/pipeline-policy.js';
export { pipelinePolicy, pipelinePolicyWithNotes } from './aws/iam/pipeline-policy.js';
export { diffPipelines } from './aws/pipeline/diff.js';
export { fetchPipelineForImport, maskedPathsOf } from './aws/pipeline/import.js';
export { approveLocalAction, pendingApprovals } from './build/approvals.js';
export { runBuild } from './build/build-runner.js';
export { runPipeline } from './build/pipeline/runner.js';
export type { PruneOptions, PruneResult } from './build/run-retention.js';
export { pruneRuns } from './build/run-retention.js';
export type { RunRecord } from './build/run-store.js';
export { listRuns, readRun } from './build/run-store.js';
export { runCli } from './cli/run-cli.js';
export type {
  AnalysisConfig,
  AnalysisState,
  AnalysisVerdict,
  Measurement,
  MeasurementFailure,
} from './deploy/analysis.js';

export { describeVerdict, evaluateAnalysis, initialAnalysisState } from './deploy/analysis.js';
export type { DeploymentStatus, LedgerEvent, RevisionRef, TrafficTable } from './deploy/events.js';
export { runAnalysis, takeMeasurement } from './deploy/health.js';
export { Ledger } from './deploy/ledger.js';
export * from './deploy/lifecycle-events.js';
export { createDeployment, Runner } from './deploy/runner.js';
export type { DeploymentState, GroupState } from './deploy/state.js';
export { reduce } from './deploy/state.js';
export type { Step } from './deploy/steps.js';
export { describeStep } from './deploy/steps.js';
export type { Plan } from './deploy/strategies/plan.js';
export { inPlaceBatchSize, planDeployment } from './deploy/strategies/plan.js';
export type { Strategy } from './deploy/strategies/strategy.js';
export {
  PredefinedConfigs,
  predefinedStrategy,
  resolveStrategy,
  Strategies,
} from './deploy/strategies/strategy.js';
export { checkCodeDeployDeployment, runCodeDeployHeld } from './providers/codedeploy/engine.js';
export {
  CodeDeployProvider,
  createCodeDeployProvider,
  createCodeDeployProviderForGroup,
  deployWithCodeDeploy,
} from './providers/codedeploy/index.js';
export { LocalProvider } from './providers/local/provider.js';
export type { DeployProvider } from './providers/provider.js';
export type * from './router/api.js';
export { ERROR_HEADER, FORCE_SET_HEADER, STICKY_COOKIE, UPSTREAM_HEADER } from './router/api.js';
export { RouterClient, RouterRequestError, RouterUnavailableError } from './router/client.js';
export { ensureRouter, stopRouter } from './router/launch.js';
export type { AppSpec, AppSpecHook, Ec2AppSpec, EcsAppSpec, LambdaAppSpec } from './spec/appspec/types.js';
export type { Buildspec } from './spec/buildspec/types.js';
export { rules as ruleCatalog } from './spec/catalog.js';
export type { DeploymentGroup } from './spec/deployment-group/schema.js';
export { DeploymentGroupSchema } from './spec/deployment-group/schema.js';
export type { Diagnostic, Severity } from './spec/diagnostics.js';
export { formatDiagnostic, formatDiagnostics, sortDiagnostics } from './spec/diagnostics.js';
export type { DocumentKind } from './spec/kind.js';
export type { PipelineDeclaration, PipelineDocument } from './spec/pipeline/types.js';
export type { ParsedSource, PathSegment, SourcePosition } from './spec/source.js';
export { parseSource } from './spec/source.js';
export { detectKind, validatePaths, validateText } from './spec/validate.js';
// Typed definitions (conveyor synth): builders, helpers, Duration.
export * from './synth/index.js';
