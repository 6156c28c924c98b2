import type { Command } from './context.js';

/**
 * The command table. Each command lives in its own module and is imported only when it runs,
 * so `conveyor validate` never pays for loading the AWS SDK or the deploy engine.
 */
export const commands: Record<string, { summary: string; load: () => Promise<{ default: Command }> }> = {
  validate: {
    summary: 'Validate buildspec, appspec, pipeline and deployment-group files',
    load: () => import('./commands/validate.js'),
  },
  synth: {
    summary: 'Build every definition into the files AWS consumes',
    load: () => import('./commands/synth.js'),
  },
  schema: {
    summary: 'Print the JSON Schema of a document kind, for editors',
    load: () => import('./commands/schema.js'),
  },
  import: {
    summary: 'Turn an existing pipeline JSON, appspec or buildspec into a TS source',
    load: () => import('./commands/import.js'),
  },
  build: {
    summary: 'Run a buildspec locally (or on CodeBuild with --remote)',
    load: () => import('./commands/build.js'),
  },
  run: {
    summary: 'Run a pipeline definition locally, stage by stage',
    load: () => import('./commands/run.js'),
  },
  hooks: {
    summary: 'Install or remove git hooks that trigger local pipeline runs',
    load: () => import('./commands/hooks.js'),
  },
  runs: { summary: 'History of local builds and pipeline runs', load: () => import('./commands/runs.js') },
  deploy: { summary: 'Deploy a revision to a deployment group', load: () => import('./commands/deploy.js') },
  status: {
    summary: "Show a deployment's status, step, traffic split and events",
    load: () => import('./commands/status.js'),
  },
  promote: {
    summary: 'Continue a paused deployment (or --full to finish it)',
    load: () => import('./commands/promote.js'),
  },
  abort: { summary: 'Stop a deployment and roll it back', load: () => import('./commands/abort.js') },
  rollback: { summary: 'Redeploy the last good revision', load: () => import('./commands/rollback.js') },
  history: { summary: 'Past deployments of a group', load: () => import('./commands/history.js') },
  down: {
    summary: 'Stop the local router and instances of a group',
    load: () => import('./commands/down.js'),
  },
  up: {
    summary: "Start a group's router and its last good fleet again",
    load: () => import('./commands/up.js'),
  },
  dashboard: {
    summary: 'Local web UI: deployments, traffic, signals, gates, actions, pipeline runs',
    load: () => import('./commands/dashboard.js'),
  },
  plan: {
    summary: 'Compare emitted pipelines with the live ones on AWS',
    load: () => import('./commands/plan.js'),
  },
  apply: { summary: 'Create or update pipelines on AWS', load: () => import('./commands/apply.js') },
  pipeline: {
    summary: 'Start and follow a pipeline execution on AWS; answer approvals',
    load: () => import('./commands/pipeline.js'),
  },
};
