/**
 * The dashboard's live model: the groups' ledgers and the run records, watched (fs.watch, acted on at once, with
 * a once-a-second size check in case a watch misses a write); each ledger read decodes only the appended lines and
 * feeds them to the group's page model one by one (view.ts), and only what changed goes to subscribers (patch.ts);
 * golden signals are sampled from each group's router once a second into bounded history.
 */
import { existsSync, type FSWatcher, readFileSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import { describeLedgerProblems, type GroupContext } from '../deploy/group.js';
import { Ledger } from '../deploy/ledger.js';
import { runsDir } from '../local-ci/run-store.js';
import { RouterClient } from '../router/client.js';
import { routerFiles } from '../router/files.js';
import { findGroups, groupKey } from './groups.js';
import { type GroupChange, groupChange } from './patch.js';
import type { ApprovalView, GroupView, RunView, SignalSample, Snapshot } from './protocol.js';
import { readRuns } from './runs.js';
import { SignalHistory, sampleOf } from './signals.js';
import { GroupFollower, type GroupInfo } from './view.js';

export type LiveMessage =
  | GroupChange
  | { type: 'signal'; group: string; sample: SignalSample }
  | { type: 'runs'; runs: RunView[]; approvals: ApprovalView[] }
  | { type: 'groups'; keys: string[] };

export interface LiveOptions {
  cwd: string;
  configs: string[];
  clock: Clock;
  /** Router sampling interval. @default 1000 */
  sampleMs?: number;
}

interface WatchedGroup {
  ctx: GroupContext;
  key: string;
  watcher?: FSWatcher;
  /** Ledger size and mtime last read, so the fallback check reads only when something was written. */
  seen: string;
  /** The dashboard's own reader of the ledger: each refresh decodes only the lines appended since the last. */
  ledger: Ledger;
  follower: GroupFollower;
  view?: GroupView;
  signals: SignalHistory;
  client: RouterClient;
  sampling: boolean;
}

function fileStamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'none';
  }
}

function infoOf(ctx: GroupContext, problems: string[]): GroupInfo {
  const g = ctx.loaded.group;
  let routerUrl: string | undefined;
  try {
    const pid = JSON.parse(readFileSync(routerFiles(join(ctx.groupDir, 'router')).pidFile, 'utf8')) as {
      host: string;
      port: number;
    };
    routerUrl = `http://${pid.host}:${pid.port}`;
  } catch {
    routerUrl = undefined;
  }
  return {
    key: groupKey(ctx),
    application: g.application,
    deploymentGroup: g.deploymentGroup,
    file: ctx.loaded.file,
    thresholds: {
      ...(g.analysis?.maxErrorRate !== undefined ? { maxErrorRate: g.analysis.maxErrorRate } : {}),
      ...(g.analysis?.maxP99LatencyMs !== undefined ? { maxP99LatencyMs: g.analysis.maxP99LatencyMs } : {}),
      ...(g.analysis?.minRequests !== undefined ? { minRequests: g.analysis.minRequests } : {}),
      ...(g.analysis?.noDataPolicy !== undefined ? { noDataPolicy: g.analysis.noDataPolicy } : {}),
    },
    ...(routerUrl ? { routerUrl } : {}),
    problems,
  };
}

export class LiveModel {
  private groups = new Map<string, WatchedGroup>();
  private problems: string[] = [];
  private runs: { runs: RunView[]; approvals: ApprovalView[] } = { runs: [], approvals: [] };
  private runsJson = '';
  private runsWatchers = new Map<string, FSWatcher>();
  private timers: NodeJS.Timeout[] = [];
  private listeners = new Set<(m: LiveMessage) => void>();
  private runsPending?: NodeJS.Timeout;
  private runsSeen = '';
  private readingRuns = false;
  private closed = false;

  constructor(private readonly opts: LiveOptions) {}

  async start(): Promise<void> {
    this.discover();
    await this.refreshRuns();
    this.watchRuns();
    const sampleMs = this.opts.sampleMs ?? 1000;
    this.timers.push(setInterval(() => this.sample(), sampleMs));
    // Safety net for missed watch events: compare sizes once a second (no read unless something changed).
    this.timers.push(
      setInterval(() => {
        for (const g of this.groups.values()) this.refreshGroup(g);
        const stamp = this.runsStamp();
        if (stamp !== this.runsSeen) this.scheduleRuns();
      }, 1000),
    );
    if (!this.opts.configs.length) this.timers.push(setInterval(() => this.discover(), 3000));
    for (const t of this.timers) t.unref();
  }

  subscribe(listener: (m: LiveMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(m: LiveMessage): void {
    for (const l of this.listeners) l(m);
  }

  snapshot(): Snapshot {
    const groups: GroupView[] = [];
    const signals: Record<string, SignalSample[]> = {};
    for (const g of this.groups.values()) {
      if (g.view) groups.push(g.view);
      signals[g.key] = g.signals.series();
    }
    return { groups, signals, ...this.runs, problems: this.problems, serverTime: this.opts.clock.now() };
  }

  group(key: string): GroupContext | undefined {
    return this.groups.get(key)?.ctx;
  }

  get runRoot(): string {
    return this.opts.cwd;
  }

  /** Finds groups (again): new ones are watched, the page is told when the list changes. */
  discover(): void {
    const found = findGroups({ cwd: this.opts.cwd, configs: this.opts.configs });
    this.problems = found.problems;
    let changed = false;
    for (const ctx of found.groups) {
      const key = groupKey(ctx);
      if (this.groups.has(key)) continue;
      const g: WatchedGroup = {
        ctx,
        key,
        seen: '',
        ledger: new Ledger(ctx.ledger.file, ctx.ledger.limits),
        follower: new GroupFollower(),
        signals: new SignalHistory(),
        client: new RouterClient(routerFiles(join(ctx.groupDir, 'router')).socket, { timeoutMs: 800 }),
        sampling: false,
      };
      this.groups.set(key, g);
      this.watchGroup(g);
      this.refreshGroup(g, true);
      changed = true;
    }
    if (changed) this.emit({ type: 'groups', keys: [...this.groups.keys()] });
  }

  private watchGroup(g: WatchedGroup): void {
    if (g.watcher || !existsSync(g.ctx.groupDir)) return;
    try {
      g.watcher = watch(g.ctx.groupDir, (_event, name) => {
        if (!name || name === 'ledger.ndjson') this.refreshGroup(g);
      });
      g.watcher.on('error', () => {
        g.watcher?.close();
        g.watcher = undefined;
      });
    } catch {
      g.watcher = undefined;
    }
  }

  /** Rebuilds a group's page model when its ledger changed; tells subscribers when the model did. */
  refreshGroup(g: WatchedGroup, force = false): void {
    if (this.closed) return;
    this.watchGroup(g);
    const stamp = fileStamp(g.ctx.ledger.file);
    if (!force && stamp === g.seen) return;
    g.seen = stamp;
    try {
      const { events, problems, restarted } = g.ledger.readNew();
      // A compacted (replaced) ledger is read again from its top.
      if (restarted) g.follower = new GroupFollower();
      for (const e of events) g.follower.add(e);
      const lines = problems.length ? [describeLedgerProblems(g.ctx, problems)] : [];
      const view = g.follower.view(infoOf(g.ctx, lines));
      // Only what changed goes to the page: a growing ledger does not mean a growing message.
      const change = groupChange(g.view, view);
      g.view = view;
      if (change) this.emit(change);
    } catch (err) {
      g.view = { ...infoOf(g.ctx, [errorMessage(err)]), history: [] };
    }
  }

  private async sample(): Promise<void> {
    const at = this.opts.clock.now();
    await Promise.all(
      [...this.groups.values()].map(async (g) => {
        if (g.sampling || !existsSync(g.client.socketPath)) return;
        g.sampling = true;
        try {
          const sample = sampleOf(at, await g.client.metrics(1000));
          g.signals.add(sample);
          this.emit({ type: 'signal', group: g.key, sample });
        } catch {
          // router not running: no sample (the chart shows a gap)
        } finally {
          g.sampling = false;
        }
      }),
    );
  }

  private watchRuns(): void {
    const dir = runsDir(this.opts.cwd);
    const add = (path: string) => {
      if (this.runsWatchers.has(path) || !existsSync(path)) return;
      try {
        const w = watch(path, () => this.scheduleRuns());
        w.on('error', () => {
          w.close();
          this.runsWatchers.delete(path);
        });
        this.runsWatchers.set(path, w);
      } catch {
        // gone already
      }
    };
    add(dir);
    // Runs still going: their folders (run.json is replaced on every change) and their approvals.
    for (const r of this.runs.runs) {
      if (r.status !== 'InProgress' && r.status !== 'Queued') continue;
      add(join(dir, r.id));
      add(join(dir, r.id, 'approvals'));
    }
    for (const [path, w] of this.runsWatchers) {
      const id = path.slice(dir.length + 1).split('/')[0];
      if (
        path !== dir &&
        !this.runs.runs.some((r) => r.id === id && (r.status === 'InProgress' || r.status === 'Queued'))
      ) {
        w.close();
        this.runsWatchers.delete(path);
      }
    }
  }

  /** The runs folder's and the unfinished runs' change stamps: what the fallback check compares. */
  private runsStamp(): string {
    const dir = runsDir(this.opts.cwd);
    const live = this.runs.runs.filter((r) => r.status === 'InProgress' || r.status === 'Queued');
    return [
      fileStamp(dir),
      ...live.flatMap((r) => [
        fileStamp(join(dir, r.id, 'run.json')),
        fileStamp(join(dir, r.id, 'approvals')),
      ]),
    ].join('|');
  }

  private scheduleRuns(): void {
    if (this.runsPending || this.closed) return;
    this.runsPending = setTimeout(() => {
      this.runsPending = undefined;
      void this.refreshRuns().then(() => this.watchRuns());
    }, 30);
  }

  private async refreshRuns(): Promise<void> {
    if (this.readingRuns) {
      this.scheduleRuns();
      return;
    }
    this.readingRuns = true;
    try {
      this.runsSeen = this.runsStamp();
      const next = await readRuns(this.opts.cwd);
      const json = JSON.stringify(next);
      if (json !== this.runsJson) {
        this.runs = next;
        this.runsJson = json;
        this.emit({ type: 'runs', ...next });
      }
    } catch {
      // an unreadable runs folder shows no runs
    } finally {
      this.readingRuns = false;
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    if (this.runsPending) clearTimeout(this.runsPending);
    for (const g of this.groups.values()) {
      g.watcher?.close();
      g.client.close();
    }
    for (const w of this.runsWatchers.values()) w.close();
    this.listeners.clear();
  }
}
