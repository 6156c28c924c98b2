/**
 * Large `conveyor validate` runs on several threads: the main thread and one worker per further core
 * (`os.availableParallelism()` - 1), each reading, parsing and checking batches of files as it gets to them,
 * so a slow file holds up only its own thread.
 * Outcomes are stored by the file's index, so validatePaths merges them exactly as it merges its own:
 * the same files, diagnostics, order and exit code as on one thread. Cross-file rules run afterwards on
 * the main thread, over the values the workers send back.
 *
 * Used only above PARALLEL_THRESHOLD files (validate.ts); a worker that cannot start or fails leaves the
 * whole run to the main thread, which then checks every file itself.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { GroupChecks } from './kind.js';
import {
  checkFiles,
  type FileJob,
  type FileOutcome,
  type ParallelCheck,
  type PortableTextOptions,
  recordingExists,
} from './validate.js';

/** Files a worker asks for at a time: small enough to balance, large enough that messages cost little. */
const BATCH = 24;

/** Young generation of each worker (V8 sizes it for a browser tab by default). */
const YOUNG_GENERATION_MB = 32;

interface Setup {
  textOpts: PortableTextOptions;
  recordProbes: boolean;
}

/** Worker → main thread. */
type Reply =
  | { type: 'ready' }
  | { type: 'done'; start: number; outcomes: FileOutcome[]; probes: [string, boolean][] };

/** Main thread → worker: the next batch (files [start, end) of the jobs), or none left. */
type Request = { start: number; jobs: FileJob[] } | null;

/**
 * validatePaths' `parallel.check` over the built worker `script` (which calls serveValidation): resolves to
 * one outcome per job, in order, or undefined when the workers could not do the work (the caller then checks
 * on its own thread). `threads` counts this thread: it checks batches too, beside `threads - 1` workers,
 * so a 2-core machine starts one worker, not two (each costs a Node start and the validators'
 * compilation) while this thread would only wait.
 */
export function workerPool(script: string, threads = availableParallelism()): ParallelCheck {
  return (jobs, textOpts, probes, loadGroupChecks) =>
    checkOnWorkers(script, threads, jobs, textOpts, probes, loadGroupChecks);
}

async function checkOnWorkers(
  script: string,
  threads: number,
  jobs: FileJob[],
  textOpts: PortableTextOptions,
  probes: Map<string, boolean> | undefined,
  loadGroupChecks: (() => Promise<GroupChecks>) | undefined,
): Promise<FileOutcome[] | undefined> {
  const count = Math.min(threads - 1, Math.ceil(jobs.length / BATCH) - 1);
  if (count < 1 || !existsSync(script)) return undefined;
  const outcomes: FileOutcome[] = new Array(jobs.length);
  const setup: Setup = { textOpts, recordProbes: probes !== undefined };
  let next = 0;
  let failed = false;
  const workers: Worker[] = [];
  const take = (): Request => {
    if (next >= jobs.length) return null;
    const start = next;
    next = Math.min(jobs.length, next + BATCH);
    return { start, jobs: jobs.slice(start, next) };
  };
  const store = (start: number, checked: FileOutcome[]) => {
    checked.forEach((o, i) => {
      outcomes[start + i] = o;
    });
  };
  const here = async () => {
    const opts = { ...textOpts, ...(probes ? { fileExists: recordingExists(probes) } : {}) };
    for (let request = take(); request && !failed; request = take()) {
      store(request.start, await checkFiles(request.jobs, opts, loadGroupChecks));
      // Between batches, let the workers' replies in (each is then sent its next batch).
      await new Promise((resolveTurn) => setImmediate(resolveTurn));
    }
  };
  try {
    await Promise.all([
      here(),
      ...Array.from({ length: count }, () => {
        const worker = new Worker(script, {
          workerData: setup,
          stdout: false,
          stderr: false,
          // Parsing allocates many short-lived objects: a larger young generation means far fewer scavenges.
          resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
        });
        workers.push(worker);
        return new Promise<void>((resolveWorker, rejectWorker) => {
          // Two batches in flight: the worker has the next one at hand while this thread checks its own.
          let inFlight = 0;
          let closed = false;
          const send = () => {
            const request = closed ? null : take();
            if (request) {
              inFlight++;
              worker.postMessage(request);
            } else if (inFlight === 0 && !closed) {
              closed = true;
              worker.postMessage(null);
              resolveWorker();
            }
          };
          worker.on('message', (reply: Reply) => {
            if (reply.type === 'done') {
              inFlight--;
              store(reply.start, reply.outcomes);
              for (const [path, found] of reply.probes) probes?.set(path, found);
              send();
            } else {
              send();
              send();
            }
          });
          worker.on('error', rejectWorker);
          worker.on('exit', (code) => rejectWorker(new Error(`validation worker exited with code ${code}`)));
        });
      }),
    ]);
  } catch {
    failed = true;
    return undefined;
  } finally {
    for (const w of workers) void w.terminate();
  }
  return outcomes;
}

/**
 * The worker's side: checks each batch it is sent and sends back what the main thread merges. A
 * document's value and text go back only for the kinds cross-file rules read. The deploy core's group
 * checks are loaded the first time a batch holds a deployment-group file.
 */
export function serveValidation(loadGroupChecks: () => Promise<GroupChecks>): void {
  if (isMainThread || !parentPort) throw new Error('serveValidation runs in a worker thread');
  const port = parentPort;
  const setup = workerData as Setup;
  const probes = new Map<string, boolean>();
  const textOpts = {
    ...setup.textOpts,
    ...(setup.recordProbes ? { fileExists: recordingExists(probes) } : {}),
  };
  let groupChecks: Promise<GroupChecks> | undefined;
  const loadOnce = () => {
    groupChecks ??= loadGroupChecks();
    return groupChecks;
  };
  // One batch at a time: the main thread sends the next one only after this one's reply.
  port.on('message', async (request: Request) => {
    if (request === null) {
      port.close();
      return;
    }
    const checked = await checkFiles(request.jobs, textOpts, loadOnce);
    const outcomes = checked.map((o): FileOutcome => {
      const doc = o.doc;
      if (!doc || (doc.kind !== 'pipeline' && doc.kind !== 'buildspec'))
        return { counted: o.counted, diagnostics: o.diagnostics };
      return {
        counted: o.counted,
        diagnostics: o.diagnostics,
        doc: { kind: doc.kind, value: doc.value, ...(doc.text !== undefined ? { text: doc.text } : {}) },
      };
    });
    const reply: Reply = { type: 'done', start: request.start, outcomes, probes: [...probes] };
    probes.clear();
    port.postMessage(reply);
  });
  port.postMessage({ type: 'ready' } satisfies Reply);
}
