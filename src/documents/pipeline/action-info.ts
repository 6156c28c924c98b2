/**
 * The actions of a pipeline declaration as one flat list with where each sits (stage, runOrder, path),
 * and the ordering and naming helpers the rule families share.
 */
import { isRecord } from '../report.js';
import type { PathSegment } from '../source.js';

/** One action with where it sits, for ordering rules. */
export interface ActionInfo {
  stage: number;
  index: number;
  stageName: string;
  name: string;
  runOrder: number;
  owner: string;
  category: string;
  provider: string;
  inputs: string[];
  outputs: string[];
  namespace?: string;
  region?: string;
  configuration: Record<string, unknown>;
  raw: Record<string, unknown>;
  path: PathSegment[];
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The actions of a pipeline declaration in a flat list (tolerant of a half-valid document). */
export function collectActions(pipeline: Record<string, unknown>, base: PathSegment[]): ActionInfo[] {
  const out: ActionInfo[] = [];
  const stages = Array.isArray(pipeline.stages) ? pipeline.stages : [];
  stages.forEach((stage, s) => {
    if (!isRecord(stage) || !Array.isArray(stage.actions)) return;
    stage.actions.forEach((action, a) => {
      if (!isRecord(action)) return;
      const type = isRecord(action.actionTypeId) ? action.actionTypeId : {};
      const names = (list: unknown) =>
        Array.isArray(list)
          ? list.flatMap((x) => (isRecord(x) && typeof x.name === 'string' ? [x.name] : []))
          : [];
      out.push({
        stage: s,
        index: a,
        stageName: str(stage.name) ?? `stage ${s + 1}`,
        name: str(action.name) ?? `action ${a + 1}`,
        runOrder: typeof action.runOrder === 'number' ? action.runOrder : 1,
        owner: str(type.owner) ?? '',
        category: str(type.category) ?? '',
        provider: str(type.provider) ?? '',
        inputs: names(action.inputArtifacts),
        outputs: names(action.outputArtifacts),
        ...(str(action.namespace) ? { namespace: str(action.namespace)! } : {}),
        ...(str(action.region) ? { region: str(action.region)! } : {}),
        configuration: isRecord(action.configuration) ? action.configuration : {},
        raw: action,
        path: [...base, 'stages', s, 'actions', a],
      });
    });
  });
  return out;
}

/** Whether `a` finishes before `b` starts: an earlier stage, or a lower runOrder in the same stage. */
export const runsBefore = (
  a: Pick<ActionInfo, 'stage' | 'runOrder'>,
  b: Pick<ActionInfo, 'stage' | 'runOrder'>,
) => a.stage < b.stage || (a.stage === b.stage && a.runOrder < b.runOrder);

/** `Stage/Action`, as messages name an action. */
export const actionLabel = (a: ActionInfo) => `${a.stageName}/${a.name}`;
