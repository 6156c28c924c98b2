/** IAM policy documents as the generators here build them: statements merged by Sid, sorted, deduplicated. */

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** Collects statements by Sid (a second `allow` with the same Sid adds to it) and renders them sorted. */
export class PolicyBuilder {
  private readonly statements = new Map<string, PolicyStatement>();

  get empty(): boolean {
    return this.statements.size === 0;
  }

  allow(sid: string, actions: string[], resources: string[], condition?: PolicyStatement['Condition']): void {
    const existing = this.statements.get(sid);
    if (existing) {
      for (const a of actions) if (!existing.Action.includes(a)) existing.Action.push(a);
      for (const r of resources) if (!existing.Resource.includes(r)) existing.Resource.push(r);
      return;
    }
    this.statements.set(sid, {
      Sid: sid,
      Effect: 'Allow',
      Action: [...new Set(actions)],
      Resource: [...new Set(resources)],
      ...(condition ? { Condition: condition } : {}),
    });
  }

  build(): PolicyDocument {
    const Statement = [...this.statements.values()]
      .map((s) => ({ ...s, Action: [...s.Action].sort(), Resource: [...s.Resource].sort() }))
      .sort((a, b) => a.Sid.localeCompare(b.Sid));
    return { Version: '2012-10-17', Statement };
  }
}
