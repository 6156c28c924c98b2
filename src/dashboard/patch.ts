/**
 * What changed between two page models of a group, as the live stream sends it: only the fields that changed, for
 * lists that only grew at the end (verdicts, events, the split) only the new items and how many old ones fell off
 * the front, and for a list that kept its length (the plan's steps) only the items that changed. The page applies it to the model it holds, so unchanged parts keep their identity and are not
 * rendered again. Pure, and bundled into the page too (no Node import).
 */
import type { DeploymentView, GroupView } from './protocol.js';

/** A list that kept its items in order: `drop` gone from the front, `items` added at the end. */
export interface ListAppend {
  drop: number;
  items: unknown[];
}

/** Items of a list that kept its length, replaced in place: `[index, item]`. */
export type ListReplace = [number, unknown][];

export interface FieldChanges {
  set: Record<string, unknown>;
  unset: string[];
  append: Record<string, ListAppend>;
  replace: Record<string, ListReplace>;
}

export interface GroupPatch {
  key: string;
  /** The deployment shown before and after: a patch never switches deployments (a full `group` message does). */
  id: string;
  group: FieldChanges;
  current: FieldChanges;
}

export type GroupChange = { type: 'group'; group: GroupView } | { type: 'patch'; patch: GroupPatch };

/** Same value: the same object (the model keeps the items it did not change), else the same JSON. */
function same(x: unknown, y: unknown): boolean {
  return x === y || JSON.stringify(x) === JSON.stringify(y);
}

function listAppend(before: unknown[], after: unknown[]): ListAppend | undefined {
  if (before.length === 0 || after.length === 0) return undefined;
  // The last old item still there marks where the new ones start (searched from the end: usually one step).
  const tail = before[before.length - 1];
  let last = after.length - 1;
  while (last >= 0 && !same(after[last], tail)) last--;
  if (last < 0) return undefined;
  const drop = before.length - (last + 1);
  if (drop < 0) return undefined;
  for (let i = 0; i <= last; i++) if (!same(after[i], before[drop + i])) return undefined;
  return { drop, items: after.slice(last + 1) };
}

function listReplace(before: unknown[], after: unknown[]): ListReplace | undefined {
  if (before.length !== after.length) return undefined;
  const changed: ListReplace = [];
  for (let i = 0; i < after.length; i++) if (!same(before[i], after[i])) changed.push([i, after[i]]);
  // A step starting or finishing changes one or two of a plan's steps; a list mostly rewritten goes whole.
  return changed.length <= after.length / 2 ? changed : undefined;
}

function changes(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  skip: string[],
  lists: boolean,
): FieldChanges {
  const out: FieldChanges = { set: {}, unset: [], append: {}, replace: {} };
  for (const k of Object.keys(before)) if (!(k in after) && !skip.includes(k)) out.unset.push(k);
  for (const [k, v] of Object.entries(after)) {
    if (skip.includes(k)) continue;
    const old = before[k];
    if (old !== undefined && same(old, v)) continue;
    const both = lists && Array.isArray(old) && Array.isArray(v);
    const grown = both ? listAppend(old, v) : undefined;
    const replaced = both && !grown ? listReplace(old, v) : undefined;
    if (grown) out.append[k] = grown;
    else if (replaced) out.replace[k] = replaced;
    else out.set[k] = v;
  }
  return out;
}

function empty(c: FieldChanges): boolean {
  return (
    !Object.keys(c.set).length &&
    !c.unset.length &&
    !Object.keys(c.append).length &&
    !Object.keys(c.replace).length
  );
}

/** The message that brings a page holding `before` to `after`; undefined when nothing it shows changed. */
export function groupChange(before: GroupView | undefined, after: GroupView): GroupChange | undefined {
  if (!before?.current || !after.current || before.current.id !== after.current.id) {
    if (before && JSON.stringify(before) === JSON.stringify(after)) return undefined;
    return { type: 'group', group: after };
  }
  const patch: GroupPatch = {
    key: after.key,
    id: after.current.id,
    group: changes(
      before as unknown as Record<string, unknown>,
      after as unknown as Record<string, unknown>,
      ['current'],
      false,
    ),
    current: changes(
      before.current as unknown as Record<string, unknown>,
      after.current as unknown as Record<string, unknown>,
      [],
      true,
    ),
  };
  return empty(patch.group) && empty(patch.current) ? undefined : { type: 'patch', patch };
}

function apply<T>(target: T, c: FieldChanges): T {
  const out = { ...target } as Record<string, unknown>;
  for (const k of c.unset) delete out[k];
  Object.assign(out, c.set);
  for (const [k, { drop, items }] of Object.entries(c.append)) {
    out[k] = [...((out[k] as unknown[] | undefined) ?? []).slice(drop), ...items];
  }
  for (const [k, items] of Object.entries(c.replace)) {
    const list = [...((out[k] as unknown[] | undefined) ?? [])];
    for (const [i, item] of items) list[i] = item;
    out[k] = list;
  }
  return out as T;
}

/**
 * The group after the patch: fields the patch does not name keep their identity. Undefined when the patch is not
 * about the deployment held (the page then waits for a full model).
 */
export function applyPatch(view: GroupView, patch: GroupPatch): GroupView | undefined {
  if (view.key !== patch.key || view.current?.id !== patch.id) return undefined;
  const current: DeploymentView = apply(view.current, patch.current);
  return { ...apply(view, patch.group), current };
}
