/** Public library API of Conveyor. Each area adds its exports here. */

export type { AwsSettings } from './aws/clients.js';
export { createCodeBuildClient, createCodeDeployClient, createCodePipelineClient } from './aws/clients.js';
export type { DeploymentGroupPolicyOptions } from './aws/iam/deployment-group-policy.js';
export { deploymentGroupPolicy } from './aws/iam/deployment-group-policy.js';
export type {
  PipelinePolicyOptions,
  PipelinePolicyResult,
  PolicyDocument,
  PolicyStatement,
} from './aws/iam/pipeline-policy.js';
export { pipelinePolicy, pipelinePolicyWithNotes } from './aws/iam/pipeline-policy.js';
export { diffPipelines } from './aws/pipeline/diff.js';
export { fetchPipelineForImport, maskedPathsOf } from './aws/pipeline/import.js';
export { runCli } from './cli/run-cli.js';
export type {
  AnalysisConfig,
  AnalysisState,
  AnalysisVerdict,
  Measurement,
  MeasurementFailure,
} from './deploy/analysis.js';
export { describeVerdict, evaluateAnalysis, initialAnalysisState } from './deploy/analysis.js';
export { checkCodeDeployDeployment, runCodeDeployHeld } from './deploy/codedeploy-run.js';
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
export type {
  AppSpec,
  AppSpecHook,
  Ec2AppSpec,
  EcsAppSpec,
  LambdaAppSpec,
} from './documents/appspec/types.js';
export type { Buildspec } from './documents/buildspec/types.js';
export { rules as ruleCatalog } from './documents/catalog.js';
export type { DeploymentGroup } from './documents/deployment-group/schema.js';
export { DeploymentGroupSchema } from './documents/deployment-group/schema.js';
export type { Diagnostic, Severity } from './documents/diagnostics.js';
export { formatDiagnostic, formatDiagnostics, sortDiagnostics } from './documents/diagnostics.js';
export type { DocumentKind } from './documents/kind.js';
export type { PipelineDeclaration, PipelineDocument } from './documents/pipeline/types.js';
export type { ParsedSource, PathSegment, SourcePosition } from './documents/source.js';
export { parseSource } from './documents/source.js';
export { detectKind, validatePaths, validateText } from './documents/validate.js';
export { approveLocalAction, pendingApprovals } from './local-ci/approvals.js';
export { runBuild } from './local-ci/build-runner.js';
export { runPipeline } from './local-ci/pipeline/runner.js';
export type { PruneOptions, PruneResult } from './local-ci/run-retention.js';
export { pruneRuns } from './local-ci/run-retention.js';
export type { RunRecord } from './local-ci/run-store.js';
export { listRuns, readRun } from './local-ci/run-store.js';
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
// Typed definitions (conveyor synth): builders, helpers, Duration.
export * from './synth/index.js';
