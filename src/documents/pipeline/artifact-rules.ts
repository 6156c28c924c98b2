/**
 * Artifact rules: the artifact store(s) a pipeline needs, and how artifacts flow between actions (each
 * input produced once, by an action that runs before its consumer, in a form the consumer can read).
 */
import { isRecord, suggest } from '../report.js';
import { type ActionInfo, actionLabel, runsBefore } from './action-info.js';
import type { PipelineRuleInput } from './rule-input.js';

/** Artifact stores: exactly one of the two forms; cross-region actions need the map form. */
export function checkArtifactStores({ ctx, pipeline, actions, base }: PipelineRuleInput): void {
  const r = ctx.reporter;
  const hasStore = pipeline.artifactStore !== undefined;
  const stores = isRecord(pipeline.artifactStores) ? pipeline.artifactStores : undefined;
  if (hasStore && stores) {
    r.report(
      'pipeline/artifact-store',
      [...base, 'artifactStores'],
      'the pipeline sets both `artifactStore` and `artifactStores`; set exactly one',
      { part: 'key' },
    );
  } else if (Array.isArray(pipeline.artifactStores)) {
    const first = pipeline.artifactStores[0];
    const example = isRecord(first) && typeof first.location === 'string' ? first.location : 'my-bucket';
    r.report(
      'pipeline/artifact-store',
      [...base, 'artifactStores'],
      '`artifactStores` is a list, but CodePipeline takes a map from region to store',
      {
        hint: `write \`"artifactStores": { "us-east-1": { "type": "S3", "location": "${example}" } }\`, one entry per region, or use \`artifactStore\` for a single-region pipeline`,
      },
    );
  } else if (!hasStore && !stores) {
    r.report(
      'pipeline/artifact-store',
      base,
      'the pipeline has neither `artifactStore` nor `artifactStores`; set exactly one (an S3 bucket for artifacts)',
    );
  }
  const regions = [...new Set(actions.flatMap((a) => (a.region ? [a.region] : [])))];
  if (stores) {
    for (const a of actions) {
      if (a.region && !(a.region in stores)) {
        r.report(
          'pipeline/artifact-store',
          [...a.path, 'region'],
          `action ${actionLabel(a)} runs in ${a.region}, but artifactStores has no store for that region (has: ${Object.keys(stores).join(', ')})`,
        );
      }
    }
  } else if (hasStore && regions.length > 1) {
    r.report(
      'pipeline/artifact-store',
      [...base, 'artifactStore'],
      `actions run in ${regions.length} regions (${regions.join(', ')}); cross-region actions need \`artifactStores\` with one store per region`,
      { part: 'key' },
    );
  }
}

/** Each output artifact produced once; each input produced by an action that runs before its consumer. */
export function checkArtifacts({ ctx, actions }: PipelineRuleInput): void {
  const r = ctx.reporter;
  const producers = new Map<string, ActionInfo>();
  for (const a of actions) {
    a.outputs.forEach((name, i) => {
      const prev = producers.get(name);
      if (prev) {
        r.report(
          'pipeline/duplicate-output-artifact',
          [...a.path, 'outputArtifacts', i, 'name'],
          `output artifact \`${name}\` is also produced by ${actionLabel(prev)}; output artifact names must be unique in the pipeline`,
        );
      } else producers.set(name, a);
    });
  }
  for (const a of actions) {
    a.inputs.forEach((name, i) => {
      const p = [...a.path, 'inputArtifacts', i, 'name'];
      const producer = producers.get(name);
      if (!producer) {
        const guess = suggest(name, [...producers.keys()]);
        r.report(
          'pipeline/artifact-not-produced',
          p,
          `input artifact \`${name}\` of ${actionLabel(a)} is not produced by any action; produced: ${[...producers.keys()].join(', ') || 'none'}`,
          guess ? { hint: `did you mean \`${guess}\`?` } : {},
        );
      } else if (!runsBefore(producer, a)) {
        r.report(
          'pipeline/artifact-order',
          p,
          `artifact \`${name}\` is consumed by ${actionLabel(a)} (runOrder ${a.runOrder}) before ${actionLabel(producer)} (runOrder ${producer.runOrder}) produces it`,
        );
      } else if (
        // Both source providers that can hand over a git clone reference instead of a zip (reference §4.4).
        (producer.provider === 'CodeStarSourceConnection' || producer.provider === 'CodeCommit') &&
        producer.configuration.OutputArtifactFormat === 'CODEBUILD_CLONE_REF' &&
        a.provider !== 'CodeBuild'
      ) {
        r.report(
          'pipeline/clone-ref-consumer',
          p,
          `artifact \`${name}\` is a CODEBUILD_CLONE_REF (a git clone reference) that only CodeBuild actions can use; ${actionLabel(a)} is ${a.provider}`,
        );
      }
    });
  }
}
