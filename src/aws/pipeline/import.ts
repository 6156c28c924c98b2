/**
 * `conveyor import --from-aws NAME`: the live pipeline as an editable document. The synth helper turns a
 * PipelineDocument into a TS source; this module only fetches and cleans it.
 */
import { UsageError } from '../../core/errors.js';
import type { PipelineDocument } from '../../documents/pipeline/types.js';
import { type AwsSettings, createCodePipelineClient } from '../clients.js';
import type { Sender } from '../errors.js';
import { MASKED } from './diff.js';
import { getLivePipeline } from './plan.js';

export type { PipelineDocument };

function collectMasked(value: unknown, path: string, out: string[]): void {
  if (value === MASKED) out.push(path);
  else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) collectMasked(value[i], `${path}[${i}]`, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) collectMasked(v, path ? `${path}.${k}` : k, out);
  }
}

/** Paths of values AWS masked (`****`) in a fetched pipeline: the user must supply them before applying. */
export function maskedPathsOf(document: PipelineDocument): string[] {
  const out: string[] = [];
  collectMasked(document.pipeline, 'pipeline', out);
  return out;
}

/**
 * Fetches a live pipeline (GetPipeline) without its server-managed `version` and metadata.
 * `settings` defaults to this process's environment (region, credentials, endpoint).
 */
export async function fetchPipelineForImport(
  name: string,
  settings: AwsSettings | { client: Sender } = { env: process.env },
): Promise<PipelineDocument> {
  const client = 'client' in settings ? settings.client : await createCodePipelineClient(settings);
  const live = await getLivePipeline(client as never, name);
  if (!live?.pipeline) throw new UsageError(`pipeline '${name}' does not exist in this account and region`);
  const { version: _version, ...pipeline } = live.pipeline;
  // GetPipeline returns AWS's own declaration shape, which the pipeline schema is written against.
  return { pipeline } as unknown as PipelineDocument;
}
