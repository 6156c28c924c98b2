/**
 * `#{Namespace.Variable}` references in action configuration, resolved as CodePipeline does: pipeline variables
 * (`#{variables.name}`), the reserved `codepipeline` namespace, and the output variables of earlier actions.
 */
export type VariableScope = Map<string, Record<string, string>>;

const reference = /#\{([A-Za-z0-9@\-_]+)\.([A-Za-z0-9@\-_.]+)\}/g;

export function resolveVariables(text: string, scope: VariableScope): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = text.replace(reference, (whole, ns: string, name: string) => {
    const v = scope.get(ns)?.[name];
    if (v === undefined) {
      missing.push(whole);
      return whole;
    }
    return v;
  });
  return { value, missing };
}

export function resolveConfiguration(
  configuration: Record<string, string> | undefined,
  scope: VariableScope,
): { configuration: Record<string, string>; missing: string[] } {
  const out: Record<string, string> = {};
  const missing: string[] = [];
  for (const [k, v] of Object.entries(configuration ?? {})) {
    const r = resolveVariables(String(v), scope);
    out[k] = r.value;
    missing.push(...r.missing);
  }
  return { configuration: out, missing };
}

/** Namespaces an action's configuration refers to (for the pre-run check). */
export function referencedNamespaces(text: string): { ns: string; name: string }[] {
  return [...text.matchAll(reference)].map((m) => ({ ns: m[1]!, name: m[2]! }));
}
