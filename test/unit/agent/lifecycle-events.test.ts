import { describe, expect, it } from 'vitest';
import {
  appspecSourceFor,
  describeEvent,
  isReservedEvent,
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
