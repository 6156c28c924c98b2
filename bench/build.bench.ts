/**
 * Overhead of `conveyor build` (compiled CLI, real processes) over running the same commands in a plain shell
 * script, side by side. Target: under 15 % or 150 ms, whichever is larger. The overhead counts Node's own
 * start-up: it is part of what a user waits for.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { distEntry } from '../src/core/paths.js';

interface Case {
  name: string;
  phases: Record<string, string[]>;
}

const cases: Case[] = [
  {
    name: 'one command',
    phases: { build: ['echo hello > /dev/null'] },
  },
  {
    name: '40 trivial commands',
    phases: {
      install: Array.from({ length: 10 }, (_, i) => `export V${i}=${i}`),
      pre_build: Array.from({ length: 10 }, (_, i) => `echo pre ${i} > /dev/null`),
      build: Array.from({ length: 10 }, (_, i) => `echo "build $V${i}" >> out.txt`),
      post_build: Array.from({ length: 10 }, (_, i) => `test -f out.txt && echo ${i} > /dev/null`),
    },
  },
  {
    name: 'realistic (1 s of work, 12 commands)',
    phases: {
      install: ['export NAME=app', 'mkdir -p dist'],
      pre_build: ['sleep 0.2', 'for i in $(seq 1 200); do echo $i; done > dist/list.txt'],
      build: [
        'sleep 0.5',
        'cd dist',
        'sort -n list.txt > sorted.txt',
        'cd ..',
        'sha256sum dist/sorted.txt > dist/sum.txt',
      ],
      post_build: ['sleep 0.3', 'echo "$NAME done"', 'ls dist > /dev/null'],
    },
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const cpuCounter = existsSync('/usr/bin/time');
let lastCpuMs = Number.NaN;

/** Wall time in ms; the CPU time (user + sys, children included) is left in lastCpuMs when /usr/bin/time exists. */
function time(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): number {
  const t = process.hrtime.bigint();
  const r = cpuCounter
    ? spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], {
        cwd,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      })
    : spawnSync(cmd, args, { cwd, env, stdio: 'ignore' });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  if (cpuCounter) {
    const [user, sys] = String(r.stderr).trim().split('\n').pop()!.split(' ').map(Number);
    lastCpuMs = ((user ?? 0) + (sys ?? 0)) * 1000;
  }
  return wall;
}

/**
 * NODE_EXTRA_CA_CERTS makes Node 20 parse the whole certificate file before any JavaScript runs (this
 * machine sets it for its proxy: ~100 ms more for every Node process, `node -e ""` included). When it
 * is set, every case is also run without it, side by side, so the figures show what is Conveyor's
 * own overhead and what is the environment's.
 */
const caVariable = process.env.NODE_EXTRA_CA_CERTS;
const environments: { label: string; env: NodeJS.ProcessEnv }[] = [{ label: 'as is', env: process.env }];
if (caVariable) {
  const { NODE_EXTRA_CA_CERTS: _ca, ...rest } = process.env;
  environments[0]!.label = 'env as is (NODE_EXTRA_CA_CERTS set)';
  environments.push({ label: 'without NODE_EXTRA_CA_CERTS', env: rest });
}

const ROUNDS = 7;
const col = (text: string, width: number) => text.padStart(width);

export default async function bench(): Promise<void> {
  const cli = distEntry('cli/main.js');
  console.log(
    `conveyor build vs the same commands as a plain bash script (median of ${ROUNDS}, interleaved, wall time, compiled CLI)`,
  );
  for (const { label, env } of environments) {
    const nodeStart: number[] = [];
    const nodeStartCpu: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      nodeStart.push(time(process.execPath, ['-e', ''], tmpdir(), env));
      nodeStartCpu.push(lastCpuMs);
    }
    console.log(
      `node start-up alone (node -e ""), ${label}: ${median(nodeStart).toFixed(0)} ms${cpuCounter ? ` (cpu ${median(nodeStartCpu).toFixed(0)} ms)` : ''}`,
    );
  }
  console.log(
    `${'case'.padEnd(40)}${col('environment', 30)}${col('shell', 9)}${col('conveyor', 10)}${col('overhead', 10)}${col('ratio', 7)}  target`,
  );
  for (const c of cases) {
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-bench-'));
    try {
      const yaml = ['version: 0.2', 'phases:'];
      const script = ['set -e'];
      for (const [phase, commands] of Object.entries(c.phases)) {
        yaml.push(`  ${phase}:`, '    commands:', ...commands.map((cmd) => `      - ${JSON.stringify(cmd)}`));
        script.push(...commands);
      }
      writeFileSync(join(dir, 'buildspec.yml'), `${yaml.join('\n')}\n`);
      writeFileSync(join(dir, 'script.sh'), `${script.join('\n')}\n`);
      const shell: number[] = [];
      const shellCpu: number[] = [];
      const conveyor = environments.map(() => [] as number[]);
      const conveyorCpu = environments.map(() => [] as number[]);
      // One unmeasured build first: it validates the buildspec and remembers it, as any later build does.
      time(process.execPath, [cli, 'build'], dir);
      for (let i = 0; i < ROUNDS; i++) {
        rmSync(join(dir, 'out.txt'), { force: true });
        shell.push(time('bash', ['script.sh'], dir));
        shellCpu.push(lastCpuMs);
        environments.forEach(({ env }, e) => {
          rmSync(join(dir, 'out.txt'), { force: true });
          conveyor[e]!.push(time(process.execPath, [cli, 'build'], dir, env));
          conveyorCpu[e]!.push(lastCpuMs);
        });
      }
      const s = median(shell);
      const allowed = Math.max(0.15 * s, 150);
      environments.forEach(({ label }, e) => {
        const v = median(conveyor[e]!);
        const over = v - s;
        console.log(
          `${c.name.padEnd(40)}${col(label, 30)}${col(`${s.toFixed(0)} ms`, 9)}${col(`${v.toFixed(0)} ms`, 10)}${col(`${over.toFixed(0)} ms`, 10)}${col(`${(v / s).toFixed(2)}x`, 7)}  ${over <= allowed ? 'ok' : 'MISSED'} (allowed ${allowed.toFixed(0)} ms)`,
        );
        if (cpuCounter) {
          const sc = median(shellCpu);
          const vc = median(conveyorCpu[e]!);
          console.log(
            `${'  cpu time (user+sys)'.padEnd(40)}${col('', 30)}${col(`${sc.toFixed(0)} ms`, 9)}${col(`${vc.toFixed(0)} ms`, 10)}${col(`${(vc - sc).toFixed(0)} ms`, 10)}`,
          );
        }
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
