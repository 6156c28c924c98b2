/**
 * Manual approval actions: the run waits for `conveyor run approve` (or approves at once under --auto-approve),
 * until the action's timeout.
 */
import { waitForApproval } from '../approvals.js';
import type { ActionRecord } from '../run-store.js';
import type { ActionDeclaration, StageDeclaration } from './model.js';
import type { ActionOutcome, RunContext } from './run-types.js';

export async function runApprovalAction(
  ctx: RunContext,
  stage: StageDeclaration,
  action: ActionDeclaration,
  actionRecord: ActionRecord,
  config: Record<string, string>,
  runDir: string,
): Promise<ActionOutcome> {
  const { record, options, emit, save } = ctx;
  if (options.autoApprove) return { status: 'Succeeded', message: 'approved automatically (--auto-approve)' };
  const hint = `conveyor run approve ${record.pipeline} ${stage.name} ${action.name} [--reject] [--summary TEXT]`;
  actionRecord.status = 'Waiting';
  actionRecord.message = `waiting for approval: ${hint}`;
  await save();
  emit({ type: 'approval-waiting', stage: stage.name, action: action.name, hint });
  const timeoutMs = options.approvalTimeoutMs ?? (action.timeoutInMinutes ?? 7 * 24 * 60) * 60_000;
  const answer = await waitForApproval(
    runDir,
    {
      runId: record.id,
      pipeline: record.pipeline!,
      stage: stage.name,
      action: action.name,
      since: new Date().toISOString(),
      ...(config.CustomData ? { customData: config.CustomData } : {}),
      ...(config.ExternalEntityLink ? { externalEntityLink: config.ExternalEntityLink } : {}),
    },
    { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) },
  );
  if (!answer)
    return {
      status: 'Failed',
      message: options.signal?.aborted ? 'stopped while waiting for approval' : 'approval timed out',
    };
  const summary = answer.summary ? `: ${answer.summary}` : '';
  return answer.decision === 'Approved'
    ? { status: 'Succeeded', message: `Approved${summary}` }
    : { status: 'Failed', message: `Rejected${summary}` };
}
