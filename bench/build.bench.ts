/**
 * Overhead of `conveyor build` (compiled CLI, real processes) over running the same commands in a plain shell
 * script, side by side. Target: under 15 % or 150 ms, whichever is larger.
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
function time(cmd: string, args: string[], cwd: string): number {
  const t = process.hrtime.bigint();
  const r = cpuCounter
    ? spawnSync('/usr/bin/time', ['-f', '%U %S', cmd, ...args], {
        cwd,
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      })
    : spawnSync(cmd, args, { cwd, stdio: 'ignore' });
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  if (cpuCounter) {
    const [user, sys] = String(r.stderr).trim().split('\n').pop()!.split(' ').map(Number);
    lastCpuMs = ((user ?? 0) + (sys ?? 0)) * 1000;
  }
  return wall;
}

export default async function bench(): Promise<void> {
  const cli = distEntry('cli/main.js');
  const rounds = 5;
  console.log(`conveyor build vs plain shell script (median of ${rounds}, wall time, compiled CLI)`);
  console.log(
    `${'case'.padEnd(40)}${'shell'.padStart(10)}${'conveyor'.padStart(11)}${'overhead'.padStart(11)}${'ratio'.padStart(8)}  target`,
  );
  const nodeStart: number[] = [];
  const nodeStartCpu: number[] = [];
  for (let i = 0; i < rounds; i++) {
    nodeStart.push(time(process.execPath, ['-e', ''], tmpdir()));
    nodeStartCpu.push(lastCpuMs);
  }
  console.log(
    `${'(node start-up alone: node -e "")'.padEnd(40)}${''.padStart(10)}${`${median(nodeStart).toFixed(0)} ms`.padStart(11)}${cpuCounter ? `  (cpu ${median(nodeStartCpu).toFixed(0)} ms)` : ''}`,
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
      const conveyor: number[] = [];
      const shellCpu: number[] = [];
      const conveyorCpu: number[] = [];
      for (let i = 0; i < rounds; i++) {
        rmSync(join(dir, 'out.txt'), { force: true });
        shell.push(time('bash', ['script.sh'], dir));
        shellCpu.push(lastCpuMs);
        rmSync(join(dir, 'out.txt'), { force: true });
        conveyor.push(time(process.execPath, [cli, 'build'], dir));
        conveyorCpu.push(lastCpuMs);
      }
      const s = median(shell);
      const v = median(conveyor);
      const over = v - s;
      const allowed = Math.max(0.15 * s, 150);
      console.log(
        `${c.name.padEnd(40)}${`${s.toFixed(0)} ms`.padStart(10)}${`${v.toFixed(0)} ms`.padStart(11)}${`${over.toFixed(0)} ms`.padStart(11)}${`${(v / s).toFixed(2)}x`.padStart(8)}  ${over <= allowed ? 'ok' : 'MISSED'} (allowed ${allowed.toFixed(0)} ms)`,
      );
      if (cpuCounter) {
        const sc = median(shellCpu);
        const vc = median(conveyorCpu);
        console.log(
          `${'  cpu time (user+sys)'.padEnd(40)}${`${sc.toFixed(0)} ms`.padStart(10)}${`${vc.toFixed(0)} ms`.padStart(11)}${`${(vc - sc).toFixed(0)} ms`.padStart(11)}`,
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
