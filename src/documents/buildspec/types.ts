import type { Static } from '@sinclair/typebox';
import type {
  ArtifactsSchema,
  BatchGraphItemSchema,
  BatchListItemSchema,
  BatchSchema,
  BuildspecSchema,
  CacheSchema,
  EnvSchema,
  InstallPhaseSchema,
  PhaseSchema,
  ReportGroupSchema,
  SecondaryArtifactSchema,
} from './schema.js';

/** A buildspec as users write it (commands may be a string or a list). */
export type Buildspec = Static<typeof BuildspecSchema>;
export type BuildspecEnv = Static<typeof EnvSchema>;
export type BuildspecPhase = Static<typeof PhaseSchema>;
export type BuildspecInstallPhase = Static<typeof InstallPhaseSchema>;
export type BuildspecReportGroup = Static<typeof ReportGroupSchema>;
export type BuildspecArtifacts = Static<typeof ArtifactsSchema>;
export type BuildspecSecondaryArtifact = Static<typeof SecondaryArtifactSchema>;
export type BuildspecCache = Static<typeof CacheSchema>;
export type BuildspecBatch = Static<typeof BatchSchema>;
export type BuildspecBatchListItem = Static<typeof BatchListItemSchema>;
export type BuildspecBatchGraphItem = Static<typeof BatchGraphItemSchema>;
export type BuildspecPhaseName = 'install' | 'pre_build' | 'build' | 'post_build';
