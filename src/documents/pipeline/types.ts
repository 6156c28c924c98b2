import type { Static } from '@sinclair/typebox';
import type {
  ActionDeclarationSchema,
  ActionTypeIdSchema,
  ArtifactStoreSchema,
  ConditionSchema,
  FailureConditionsSchema,
  GitPullRequestFilterSchema,
  GitPushFilterSchema,
  PipelineDeclarationSchema,
  PipelineDocumentSchema,
  PipelineVariableSchema,
  RuleDeclarationSchema,
  StageDeclarationSchema,
  TriggerSchema,
} from './schema.js';

export type { ActionCategoryName } from './schema.js';

/** The `pipeline` object of create-pipeline / update-pipeline. */
export type PipelineDeclaration = Static<typeof PipelineDeclarationSchema>;
/** A pipeline file: `{ pipeline, metadata? }` (metadata as printed by get-pipeline). */
export type PipelineDocument = Static<typeof PipelineDocumentSchema>;
export type StageDeclaration = Static<typeof StageDeclarationSchema>;
export type ActionDeclaration = Static<typeof ActionDeclarationSchema>;
export type ActionTypeId = Static<typeof ActionTypeIdSchema>;
export type ArtifactStore = Static<typeof ArtifactStoreSchema>;
export type PipelineTrigger = Static<typeof TriggerSchema>;
export type GitPushFilter = Static<typeof GitPushFilterSchema>;
export type GitPullRequestFilter = Static<typeof GitPullRequestFilterSchema>;
export type PipelineVariable = Static<typeof PipelineVariableSchema>;
export type StageCondition = Static<typeof ConditionSchema>;
export type StageFailureConditions = Static<typeof FailureConditionsSchema>;
export type ConditionRule = Static<typeof RuleDeclarationSchema>;
