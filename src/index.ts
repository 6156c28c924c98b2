/** Public library API of Conveyor. Each area adds its exports here. */

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
export { runAnalysis, takeMeasurement } from './deploy/health.js';
export * from './deploy/lifecycle-events.js';
export { checkCodeDeployDeployment, runCodeDeployHeld } from './providers/codedeploy/engine.js';
export {
  CodeDeployProvider,
  createCodeDeployProvider,
  createCodeDeployProviderForGroup,
  deployWithCodeDeploy,
} from './providers/codedeploy/index.js';
export type * from './router/api.js';
export { RouterClient, RouterRequestError, RouterUnavailableError } from './router/client.js';
export { ensureRouter, stopRouter } from './router/launch.js';
export type { AppSpec, AppSpecHook, Ec2AppSpec, EcsAppSpec, LambdaAppSpec } from './spec/appspec/types.js';
export type { Buildspec } from './spec/buildspec/types.js';
export { rules as ruleCatalog } from './spec/catalog.js';
export type { Diagnostic, Severity } from './spec/diagnostics.js';
export { formatDiagnostic, formatDiagnostics, sortDiagnostics } from './spec/diagnostics.js';
export type { DocumentKind } from './spec/kind.js';
export type { PipelineDeclaration, PipelineDocument } from './spec/pipeline/types.js';
export type { ParsedSource, PathSegment, SourcePosition } from './spec/source.js';
export { parseSource } from './spec/source.js';
export { detectKind, validatePaths, validateText } from './spec/validate.js';
