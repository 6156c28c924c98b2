/**
 * npm run soak: many seeded operator sequences against a real local fleet under steady load (test/model/).
 *
 *   npm run soak -- [--count 200] [--seed 1] [--length 8] [--minutes 50] [--quiet] [--subset npm-test]
 *   SEED=1234 npm run soak          replays one sequence (the seed a failure printed)
 *
 * Sequence i uses seed + i. Prints each failing sequence (seed, commands, what broke) and a summary; exits 1
 * when an invariant was violated. Ctrl-C stops after the current command and cleans up.
 */
import { parseArgs } from 'node:util';
import type { SequenceResult } from '../test/model/runner.js';
import { describeFailure, runSequence, upAvailable } from '../test/model/runner.js';
import { NPM_TEST_SUBSET } from '../test/model/subset.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    seed: { type: 'string' },
    length: { type: 'string', default: '8' },
    minutes: { type: 'string' },
    quiet: { type: 'boolean', default: false },
    subset: { type: 'string' },
  },
});

const fromEnv = process.env.SEED;
const seed = Number(values.seed ?? fromEnv ?? Date.now() % 1_000_000);
const count = Number(values.count ?? (fromEnv ? 1 : 200));
const length = Number(values.length);
const deadline = values.minutes ? Date.now() + Number(values.minutes) * 60_000 : Infinity;
if (![seed, count, length].every(Number.isInteger) || count < 1 || length < 1) {
  console.error('usage: npm run soak -- [--count N] [--seed S] [--length L] [--minutes M] [--quiet]');
  process.exit(2);
}

const stop = new AbortController();
const interrupt = () => {
  if (stop.signal.aborted) process.exit(130);
  console.error(
    '\ninterrupted: finishing the current command and cleaning up (Ctrl-C again to quit at once)',
  );
  stop.abort();
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

if (values.subset !== undefined && values.subset !== 'npm-test') {
  console.error("--subset: only 'npm-test' (the commands and strategies npm test generates)");
  process.exit(2);
}
const subset = values.subset ? NPM_TEST_SUBSET : {};
const up = upAvailable();
console.log(
  `soak: ${count} sequences of ${length} commands from seed ${seed}${up ? '' : " ('up' not in this build: left out)"}`,
);
const started = Date.now();
const results: SequenceResult[] = [];
for (let i = 0; i < count && !stop.signal.aborted && Date.now() < deadline; i++) {
  const s = seed + i;
  const log = values.quiet ? undefined : (line: string) => console.log(line);
  if (!values.quiet) console.log(`sequence ${i + 1}/${count}, seed ${s}`);
  const r = await runSequence({
    seed: s,
    length,
    upAvailable: up,
    ...subset,
    signal: stop.signal,
    ...(log ? { log } : {}),
  });
  results.push(r);
  if (r.violations.length)
    console.log(
      describeFailure(
        r,
        `npm run soak -- --length ${length}${values.subset ? ` --subset ${values.subset}` : ''}`,
      ),
    );
  else if (values.quiet) process.stdout.write('.');
}

/** A violation's kind: its message with revisions, instances, ids and numbers taken out. */
function signature(v: { invariant: string; command: string; message: string }): string {
  const command = v.command.replace(/ --detach$/, '').replace(/^deploy (\w+) .*/, 'deploy $1 …');
  const message = v.message
    .replace(/\(answers: [^)]*\)/g, '')
    .replace(/\br\d+-(good|err|broken)\b/g, 'R')
    .replace(/\bd-\w+/g, 'D')
    .replace(/\b[ab]-\d\b/g, 'I')
    .replace(/\d+(\.\d+)?/g, 'N')
    .replace(/(I,)+I/g, 'I…');
  return `(${v.invariant}) after ${command}: ${message}`;
}

const sum = (f: (r: SequenceResult) => number) => results.reduce((s, r) => s + f(r), 0);
const kinds = new Map<string, number>();
for (const r of results)
  for (const v of r.violations) kinds.set(v.invariant, (kinds.get(v.invariant) ?? 0) + 1);
console.log('');
console.log(
  `sequences run: ${results.length} (seeds ${seed}..${seed + results.length - 1}), ${((Date.now() - started) / 60_000).toFixed(1)} min`,
);
console.log(
  `requests sent: ${sum((r) => r.requests)} (a failing revision's own 500s: ${sum((r) => r.ownErrors)})`,
);
console.log(
  `commands run: ${sum((r) => r.commands.length)}; after ${sum((r) => r.shareChecks)} of them the answering revisions were sampled against status`,
);
console.log(
  `invariant violations: ${sum((r) => r.violations.length)} in ${results.filter((r) => r.violations.length).length} sequences${
    kinds.size
      ? ` (${[...kinds]
          .sort()
          .map(([k, c]) => `${k}: ${c}`)
          .join(', ')})`
      : ''
  }`,
);
console.log(`failed requests outside a failing revision's share: ${sum((r) => r.failedRequests)}`);
const distinct = new Map<string, { count: number; seeds: Set<number> }>();
for (const r of results)
  for (const v of r.violations) {
    const k = signature(v);
    const d = distinct.get(k) ?? { count: 0, seeds: new Set<number>() };
    d.count += 1;
    d.seeds.add(r.seed);
    distinct.set(k, d);
  }
if (distinct.size) {
  console.log(`distinct violations (${distinct.size}), most frequent first:`);
  for (const [k, d] of [...distinct].sort((x, y) => y[1].count - x[1].count))
    console.log(
      `  ${d.count} × ${k}  [seeds ${[...d.seeds].slice(0, 5).join(', ')}${d.seeds.size > 5 ? ', …' : ''}]`,
    );
}
process.exit(results.some((r) => r.violations.length) ? 1 : 0);
