/**
 * What the dashboard server sends the page (Server-Sent Events and JSON answers) and what the page sends back.
 * Types only: the server (Node) and the page (browser bundle) both import them.
 */
import type { DeploymentStatus, GateVerdictRecord } from '../deploy/events.js';

export interface StepView {
  index: number;
  kind: string;
  description: string;
  /** `stopped`: the step a failed or rolled-back deployment ended on. */
  state: 'done' | 'current' | 'pending' | 'stopped';
  startedAt?: number;
  completedAt?: number;
}

export interface SplitPoint {
  at: number;
  /** Canary share, 0-100. */
  canary: number;
  stable?: string;
  canaryRevision?: string;
}

export interface VerdictView extends GateVerdictRecord {
  at: number;
  index: number;
}

/** One measurement of a named check, as its row's chart shows it. */
export interface CheckPoint {
  check: string;
  at: number;
  /** The charted number (see `CheckView.metric`); absent when the measurement failed or found no data. */
  value?: number;
  result: GateVerdictRecord['result'];
}

/** One named `analysis.checks` entry of the deployment: its latest verdict and its measurements over time. */
export interface CheckView {
  name: string;
  provider?: string;
  /** The condition it is judged on, as written or the provider's default. */
  condition?: string;
  /**
   * The measured number charted: `result` when the check measures one (prometheus, metric math), else the first
   * it measures (`alarm` 1/0, an HTTP `status`, a command's `exitCode`).
   */
  metric?: string;
  latest: VerdictView & { point?: string; output?: string };
  /** How many of its measurements were verdicts of each kind (its points are in `DeploymentView.checkPoints`). */
  counts: Record<GateVerdictRecord['result'], number>;
}

export interface HookView {
  at: number;
  instance: string;
  event: string;
  status: 'started' | 'succeeded' | 'failed' | 'skipped';
  script?: string;
  durationMs?: number;
  message?: string;
  output?: string;
}

export interface DeploymentSummary {
  id: string;
  status: DeploymentStatus;
  revision: string;
  createdAt: number;
  finishedAt?: number;
  reason?: string;
  rollbackOf?: string;
}

export interface DeploymentView extends DeploymentSummary {
  strategy: string;
  previousRevision?: string;
  steps: StepView[];
  step: number;
  bakeUntil?: number;
  pausedReason?: string;
  pendingPromote?: { full: boolean };
  pendingAbort?: string;
  traffic?: { canaryWeight: number; stable: string[]; canary: string[] };
  trafficRevisions?: { stable?: string; canary?: string };
  split: SplitPoint[];
  verdicts: VerdictView[];
  /** How many verdicts there were in all (the list keeps the latest). */
  verdictCount: number;
  /** The named analysis checks that have measured, in the order they first did. */
  checks: CheckView[];
  /**
   * Every check's measurements, oldest first, the latest ones kept: one list that only grows at the end, so
   * the live stream sends a reading as one new item (patch.ts), not each check's whole series again.
   */
  checkPoints: CheckPoint[];
  hooks: HookView[];
  rollback?: { reason: string; trigger: string; ok?: boolean; message?: string; trafficRestoredMs?: number };
  overrides: string[];
  events: { at: number; text: string }[];
}

export interface Thresholds {
  maxErrorRate?: number;
  maxP99LatencyMs?: number;
  minRequests?: number;
  noDataPolicy?: string;
}

export interface GroupView {
  key: string;
  application: string;
  deploymentGroup: string;
  file: string;
  routerUrl?: string;
  thresholds: Thresholds;
  /** The deployment shown: the unfinished one, else the latest. */
  current?: DeploymentView;
  /** Every deployment of the group, newest first. */
  history: DeploymentSummary[];
  problems: string[];
}

export interface SetSignals {
  rps: number;
  errorRate: number;
  p50: number;
  p99: number;
  requests: number;
}

export interface SignalSample {
  at: number;
  stable: SetSignals;
  canary: SetSignals;
}

export interface ApprovalView {
  runId: string;
  pipeline: string;
  stage: string;
  action: string;
  since: string;
  customData?: string;
}

export interface PhaseView {
  name: string;
  status: string;
  startedAt?: string;
  durationMs?: number;
  message?: string;
}

export interface ActionView {
  name: string;
  category: string;
  provider: string;
  runOrder: number;
  status: string;
  durationMs?: number;
  message?: string;
  hasLog: boolean;
  buildRunId?: string;
}

export interface RunView {
  id: string;
  kind: 'build' | 'pipeline';
  name: string;
  status: string;
  trigger: string;
  commit?: string;
  startedAt: string;
  durationMs?: number;
  message?: string;
  hasLog: boolean;
  phases?: PhaseView[];
  stages?: { name: string; status: string; durationMs?: number; message?: string; actions: ActionView[] }[];
}

export interface Snapshot {
  groups: GroupView[];
  signals: Record<string, SignalSample[]>;
  runs: RunView[];
  approvals: ApprovalView[];
  problems: string[];
  serverTime: number;
}

export type ActionName = 'promote' | 'promote-full' | 'abort' | 'rollback';

export interface ActionRequest {
  group: string;
  deploymentId?: string;
  action: ActionName;
}

export interface ApprovalRequest {
  runId: string;
  pipeline: string;
  stage: string;
  action: string;
  decision: 'Approved' | 'Rejected';
  summary?: string;
}
