/**
 * What a build leaves behind: the cache (restored at PROVISIONING, saved at UPLOAD_ARTIFACTS), the
 * artifacts collected in UPLOAD_ARTIFACTS, and the test reports. The zip, globbing and cache code is
 * imported only by builds that use it: start-up time is build overhead.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CollectedArtifact } from './artifacts.js';
import type { PhaseLog } from './build-phase-log.js';
import type { ArtifactSpec, BuildPlan } from './buildspec.js';
import type { RunRecord } from './run-store.js';

export interface BuildCache {
  /** Restores the cached paths; returns the ones restored. */
  restore(): Promise<string[]>;
  /** Saves the cached paths; returns the ones saved. */
  save(): Promise<string[]>;
}

const noCache: BuildCache = { restore: async () => [], save: async () => [] };

/** The buildspec's `cache.paths` for this project, kept under `.conveyor/cache/<project>`. */
export async function openBuildCache(
  plan: BuildPlan,
  srcDir: string,
  root: string,
  project: string,
): Promise<BuildCache> {
  if (plan.cachePaths.length === 0) return noCache;
  const { cacheEntries, restoreCache, saveCache } = await import('./cache.js');
  const entries = cacheEntries(plan.cachePaths, srcDir, join(root, '.conveyor', 'cache', project));
  return { restore: () => restoreCache(entries), save: () => saveCache(entries) };
}

/**
 * The UPLOAD_ARTIFACTS phase: collects every artifact into `outDir` (replacing what was there) and saves
 * the cache. Returns the failure message when it fails.
 */
export async function uploadArtifacts(
  phaseLog: PhaseLog,
  upload: {
    specs: ArtifactSpec[];
    /** Artifact names the shell evaluated, by identifier. */
    names: Record<string, string> | undefined;
    srcDir: string;
    outDir: string;
    root: string;
    cache: BuildCache;
  },
  collected: CollectedArtifact[],
): Promise<string | undefined> {
  phaseLog.begin('UPLOAD_ARTIFACTS');
  const { ArtifactError, collectArtifact } = await import('./artifacts.js');
  try {
    await rm(upload.outDir, { recursive: true, force: true });
    for (const spec of upload.specs) {
      const artifact = await collectArtifact(
        spec,
        upload.srcDir,
        upload.outDir,
        upload.names?.[spec.identifier],
        [join(upload.root, '.conveyor')],
      );
      phaseLog.write(`Artifact ${spec.identifier}: ${artifact.files.length} file(s) -> ${artifact.zip}`);
      collected.push(artifact);
    }
    const saved = await upload.cache.save();
    if (saved.length) phaseLog.write(`Saved cache: ${saved.join(', ')}`);
    phaseLog.end('UPLOAD_ARTIFACTS', 'SUCCEEDED');
    return undefined;
  } catch (err) {
    const message =
      err instanceof ArtifactError ? err.message : `UPLOAD_ARTIFACTS: ${(err as Error).message}`;
    phaseLog.end('UPLOAD_ARTIFACTS', 'FAILED', message);
    return message;
  }
}

/** Collects the buildspec's test reports; a report group that fails is noted in the log, not fatal. */
export async function collectReports(
  phaseLog: PhaseLog,
  plan: BuildPlan,
  srcDir: string,
  outDir: string,
): Promise<NonNullable<RunRecord['reports']>> {
  const { collectReport } = await import('./artifacts.js');
  const reports: NonNullable<RunRecord['reports']> = [];
  for (const spec of plan.reports) {
    try {
      const r = await collectReport(spec, srcDir, outDir);
      if (r.files.length === 0)
        phaseLog.write(`Report group ${spec.group}: no report files matched ${spec.files.join(', ')}`);
      reports.push({ group: r.group, fileFormat: r.fileFormat, files: r.files.length, folder: r.folder });
    } catch (err) {
      phaseLog.write(`Report group ${spec.group}: ${(err as Error).message}`);
    }
  }
  return reports;
}
