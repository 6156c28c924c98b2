import { describe, expect, it } from 'vitest';
import {
  appspecSourceFor,
  describeEvent,
  IGNORABLE_STOP_EVENTS,
  isLifecycleEvent,
  isReservedEvent,
  isTrafficEvent,
  LIFECYCLE_EVENTS,
  lifecycleSequence,
  planInstanceEvents,
  SCRIPTABLE_EVENTS,
} from '../../../src/deploy/lifecycle-events.js';

describe('lifecycleSequence', () => {
  it('in-place without a load balancer: stop, download, install, start, validate', () => {
    expect(lifecycleSequence({ deploymentType: 'in-place', withTraffic: false })).toEqual([
      'ApplicationStop',
      'DownloadBundle',
      'BeforeInstall',
      'Install',
      'AfterInstall',
      'ApplicationStart',
      'ValidateService',
    ]);
  });

  it('in-place behind a load balancer: block traffic first, allow traffic last', () => {
    expect(lifecycleSequence({ deploymentType: 'in-place', withTraffic: true })).toEqual([
      'BeforeBlockTraffic',
      'BlockTraffic',
      'AfterBlockTraffic',
      'ApplicationStop',
      'DownloadBundle',
      'BeforeInstall',
      'Install',
      'AfterInstall',
      'ApplicationStart',
      'ValidateService',
      'BeforeAllowTraffic',
      'AllowTraffic',
      'AfterAllowTraffic',
    ]);
  });

  it('in-place rollback is the same full lifecycle (with the last good revision)', () => {
    for (const withTraffic of [true, false]) {
      expect(lifecycleSequence({ deploymentType: 'in-place', withTraffic, rollback: true })).toEqual(
        lifecycleSequence({ deploymentType: 'in-place', withTraffic }),
      );
    }
  });

  it('blue/green replacement instances install and then allow traffic', () => {
    expect(
      lifecycleSequence({ deploymentType: 'blue-green', role: 'replacement', withTraffic: true }),
    ).toEqual([
      'ApplicationStop',
      'DownloadBundle',
      'BeforeInstall',
      'Install',
      'AfterInstall',
      'ApplicationStart',
      'ValidateService',
      'BeforeAllowTraffic',
      'AllowTraffic',
      'AfterAllowTraffic',
    ]);
  });

  it('blue/green original instances only block traffic', () => {
    expect(lifecycleSequence({ deploymentType: 'blue-green', role: 'original', withTraffic: true })).toEqual([
      'BeforeBlockTraffic',
      'BlockTraffic',
      'AfterBlockTraffic',
    ]);
  });

  it('blue/green rollback reverses traffic: originals allow, replacements block', () => {
    expect(
      lifecycleSequence({
        deploymentType: 'blue-green',
        role: 'original',
        withTraffic: true,
        rollback: true,
      }),
    ).toEqual(['BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic']);
    expect(
      lifecycleSequence({
        deploymentType: 'blue-green',
        role: 'replacement',
        withTraffic: true,
        rollback: true,
      }),
    ).toEqual(['BeforeBlockTraffic', 'BlockTraffic', 'AfterBlockTraffic']);
  });

  it('returns a fresh array each time', () => {
    const a = lifecycleSequence({ deploymentType: 'in-place', withTraffic: false });
    a.pop();
    expect(lifecycleSequence({ deploymentType: 'in-place', withTraffic: false })).toHaveLength(7);
  });
});

describe('reserved and scriptable events', () => {
  it('reserves DownloadBundle, Install, BlockTraffic and AllowTraffic for the agent', () => {
    expect(LIFECYCLE_EVENTS.filter(isReservedEvent)).toEqual([
      'BlockTraffic',
      'DownloadBundle',
      'Install',
      'AllowTraffic',
    ]);
    expect(SCRIPTABLE_EVENTS).toEqual([
      'BeforeBlockTraffic',
      'AfterBlockTraffic',
      'ApplicationStop',
      'BeforeInstall',
      'AfterInstall',
      'ApplicationStart',
      'ValidateService',
      'BeforeAllowTraffic',
      'AfterAllowTraffic',
    ]);
  });
});

describe('appspecSourceFor', () => {
  it('takes ApplicationStop and the block-traffic hooks from the last successful revision', () => {
    const lastSuccessful = SCRIPTABLE_EVENTS.filter((e) => appspecSourceFor(e) === 'last-successful');
    expect(lastSuccessful).toEqual(['BeforeBlockTraffic', 'AfterBlockTraffic', 'ApplicationStop']);
    const fromNew = SCRIPTABLE_EVENTS.filter((e) => appspecSourceFor(e) === 'new');
    expect(fromNew).toEqual([
      'BeforeInstall',
      'AfterInstall',
      'ApplicationStart',
      'ValidateService',
      'BeforeAllowTraffic',
      'AfterAllowTraffic',
    ]);
  });

  it('uses the blue/green rollback mapping only for blue/green rollbacks', () => {
    const bg = { rollback: true, deploymentType: 'blue-green' as const };
    expect(appspecSourceFor('BeforeBlockTraffic', bg)).toBe('most-recent');
    expect(appspecSourceFor('AfterBlockTraffic', bg)).toBe('most-recent');
    expect(appspecSourceFor('BeforeAllowTraffic', bg)).toBe('last-successful');
    expect(appspecSourceFor('AfterAllowTraffic', bg)).toBe('last-successful');
    expect(appspecSourceFor('ApplicationStop', bg)).toBe('last-successful');
    expect(appspecSourceFor('ApplicationStart', bg)).toBe('new');
    expect(appspecSourceFor('BeforeAllowTraffic', { rollback: true, deploymentType: 'in-place' })).toBe(
      'new',
    );
  });

  it('describes each event in one line', () => {
    expect(describeEvent('ApplicationStop')).toBe(
      'ApplicationStop: run hook scripts from the last successful revision',
    );
    expect(describeEvent('AllowTraffic')).toContain('router');
  });
});

describe('planInstanceEvents', () => {
  it('lists the scripts each event runs and from which revision', () => {
    const plan = planInstanceEvents(lifecycleSequence({ deploymentType: 'in-place', withTraffic: false }), {
      newHooks: { ApplicationStart: [{ location: ' scripts/start.sh ' }], BeforeInstall: null },
      lastHooks: { ApplicationStop: [{ location: 'scripts/stop.sh' }] },
    });
    expect(plan.map((p) => [p.event, p.source ?? 'agent', p.scripts.join(',')])).toEqual([
      ['ApplicationStop', 'last-successful', 'scripts/stop.sh'],
      ['DownloadBundle', 'agent', ''],
      ['BeforeInstall', 'new', ''],
      ['Install', 'agent', ''],
      ['AfterInstall', 'new', ''],
      ['ApplicationStart', 'new', 'scripts/start.sh'],
      ['ValidateService', 'new', ''],
    ]);
  });

  it('skips previous-revision hooks on a first deployment', () => {
    const plan = planInstanceEvents(['ApplicationStop'], {
      newHooks: { ApplicationStop: [{ location: 'x.sh' }] },
    });
    expect(plan[0]!.scripts).toEqual([]);
  });
});

describe('event names and kinds', () => {
  it('knows the thirteen EC2 events and nothing else', () => {
    expect(LIFECYCLE_EVENTS.every(isLifecycleEvent)).toBe(true);
    expect(isLifecycleEvent('Validate')).toBe(false);
    expect(isLifecycleEvent('applicationstop')).toBe(false);
  });

  it('only BlockTraffic and AllowTraffic move traffic', () => {
    expect(LIFECYCLE_EVENTS.filter(isTrafficEvent)).toEqual(['BlockTraffic', 'AllowTraffic']);
  });

  it('ignoreApplicationStopFailures covers exactly the scripted events that run the previous revision', () => {
    const previous = SCRIPTABLE_EVENTS.filter((e) => appspecSourceFor(e) === 'last-successful');
    expect([...IGNORABLE_STOP_EVENTS].sort()).toEqual([...previous].sort());
  });

  it('describes every event in one line', () => {
    expect(LIFECYCLE_EVENTS.map(describeEvent)).toEqual([
      'BeforeBlockTraffic: run hook scripts from the last successful revision',
      'BlockTraffic: take the instance out of the router',
      'AfterBlockTraffic: run hook scripts from the last successful revision',
      'ApplicationStop: run hook scripts from the last successful revision',
      'DownloadBundle: copy the revision to the instance',
      'BeforeInstall: run hook scripts from the new revision',
      'Install: copy appspec files into place and apply permissions',
      'AfterInstall: run hook scripts from the new revision',
      'ApplicationStart: run hook scripts from the new revision',
      'ValidateService: run hook scripts from the new revision',
      'BeforeAllowTraffic: run hook scripts from the new revision',
      'AllowTraffic: put the instance back in the router',
      'AfterAllowTraffic: run hook scripts from the new revision',
    ]);
  });

  it('an in-place rollback or a plain blue/green deployment reads hooks as a deployment does', () => {
    for (const options of [
      {},
      { rollback: true, deploymentType: 'in-place' as const },
      { deploymentType: 'blue-green' as const },
    ]) {
      expect(appspecSourceFor('BeforeBlockTraffic', options)).toBe('last-successful');
      expect(appspecSourceFor('AfterAllowTraffic', options)).toBe('new');
    }
  });
});

describe('planInstanceEvents in a blue/green rollback', () => {
  it("runs the replacement's block-traffic hooks from the failed revision and the originals' allow hooks from the good one", () => {
    const hooks = {
      newHooks: {
        BeforeBlockTraffic: [{ location: 'new-block.sh' }],
        BeforeAllowTraffic: [{ location: 'new-allow.sh' }],
      },
      lastHooks: {
        BeforeBlockTraffic: [{ location: 'good-block.sh' }],
        BeforeAllowTraffic: [{ location: 'good-allow.sh' }],
      },
      mostRecentHooks: { BeforeBlockTraffic: [{ location: 'failed-block.sh' }] },
    };
    const bg = { rollback: true, deploymentType: 'blue-green' as const };
    const replacement = planInstanceEvents(
      lifecycleSequence({
        deploymentType: 'blue-green',
        role: 'replacement',
        withTraffic: true,
        rollback: true,
      }),
      hooks,
      bg,
    );
    expect(replacement).toEqual([
      { event: 'BeforeBlockTraffic', reserved: false, source: 'most-recent', scripts: ['failed-block.sh'] },
      { event: 'BlockTraffic', reserved: true, scripts: [] },
      { event: 'AfterBlockTraffic', reserved: false, source: 'most-recent', scripts: [] },
    ]);
    const original = planInstanceEvents(
      lifecycleSequence({
        deploymentType: 'blue-green',
        role: 'original',
        withTraffic: true,
        rollback: true,
      }),
      hooks,
      bg,
    );
    expect(original[0]).toEqual({
      event: 'BeforeAllowTraffic',
      reserved: false,
      source: 'last-successful',
      scripts: ['good-allow.sh'],
    });
  });
});
