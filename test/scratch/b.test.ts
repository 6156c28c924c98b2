import { afterEach, expect, it } from 'vitest';
import { type GroupFixture, makeGroup, sample } from '../integration/deploy/helpers.js';
import { writeFileSync, readFileSync } from 'node:fs';
const fixtures: GroupFixture[] = [];
afterEach(async () => { for (const f of fixtures.splice(0)) await f.cleanup(); });
for (const strat of ['strategy: one-at-a-time', 'strategy:\n  type: blue-green\n  terminateBlueAfterSeconds: 0']) {
  it(`after down, broken deploy with ${strat.split('\n')[0]}${strat.includes('blue') ? ' bg' : ''}`, async () => {
    const f = makeGroup('strategy: all-at-once', '', { instances: 2 });
    fixtures.push(f);
    expect((await f.cli(['deploy', '--revision', f.rev('v1')])).code).toBe(0);
    expect((await f.cli(['deploy', '--revision', f.rev('v2')])).code).toBe(0);
    expect((await f.cli(['down'])).code).toBe(0);
    f.script('v3', 'validate.sh', 'exit 1');
    const text = readFileSync(f.config, 'utf8').replace('strategy: all-at-once', strat);
    writeFileSync(f.config, text);
    const r = await f.cli(['deploy', '--revision', f.rev('v3')]);
    console.log(strat, r.code, r.stdout.slice(-1500), r.stderr);
    console.log((await f.cli(['status'])).stdout);
    console.log(await sample(f, 4).catch((e) => String(e)));
  }, 60_000);
}
