import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CodePipelineClient, GetPipelineCommand } from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { fetchPipelineForImport, maskedPathsOf } from '../../../src/aws/pipeline/import.js';
import { importDocument } from '../../../src/synth/import.js';
import { FIXTURES } from './helpers.js';

const cp = mockClient(CodePipelineClient);
afterAll(() => cp.restore());

describe('import --from-aws', () => {
  it('fetches the live pipeline as a document the synth importer turns into a TS source', async () => {
    cp.on(GetPipelineCommand, { name: 'legacy' }).resolves(
      JSON.parse(readFileSync(join(FIXTURES, 'live', 'legacy.get-pipeline.json'), 'utf8')),
    );
    const document = await fetchPipelineForImport('legacy', { env: { AWS_REGION: 'eu-west-1' } });
    expect(cp.commandCalls(GetPipelineCommand)[0]!.args[0].input).toEqual({ name: 'legacy' });
    expect(document.pipeline.name).toBe('legacy');
    expect('version' in document.pipeline).toBe(false);
    expect(maskedPathsOf(document)).toEqual(['pipeline.stages[0].actions[0].configuration.OAuthToken']);
    const imported = importDocument(JSON.stringify(document, null, 2), 'aws:legacy');
    expect(imported.kind).toBe('pipeline');
    expect(imported.source).toContain("'legacy-build'");
  });
});
