/**
 * Which recorded check process a takeover kills: one that runs and started when its record says. A pid that runs
 * with another start time was given to another program since, and is left alone; without /proc (macOS) a recorded
 * pid that runs is taken for the check's.
 */
import { describe, expect, it } from 'vitest';
import {
  type CheckProcessRecord,
  isRecordedProcess,
  type ProcessProbe,
} from '../../../../src/deploy/checks/check-processes.js';

const record: CheckProcessRecord = {
  pid: 4242,
  startTime: 1_000_500,
  check: 'smoke',
  deploymentId: 'd-1',
  recordedAt: 0,
};

/** One process, 4242, started at `startTime` ticks, or no process at all. */
function probe(startTime: number | undefined, comparesStartTimes = true): ProcessProbe {
  return {
    alive: (pid) => pid === 4242 && startTime !== undefined,
    startTime: (pid) => (pid === 4242 && comparesStartTimes ? startTime : undefined),
    comparesStartTimes,
  };
}

describe('isRecordedProcess', () => {
  it('the recorded pid running with the recorded start time is the check', () => {
    expect(isRecordedProcess(record, probe(1_000_500))).toBe(true);
  });

  it('the recorded pid running with another start time is another program (the pid was reused)', () => {
    expect(isRecordedProcess(record, probe(1_000_501))).toBe(false);
    expect(isRecordedProcess(record, probe(2_000_000))).toBe(false);
  });

  it('a pid that is gone is nothing to kill', () => {
    expect(isRecordedProcess(record, probe(undefined))).toBe(false);
  });

  it('a record without a start time is not trusted where start times can be read', () => {
    const { startTime: _, ...withoutStart } = record;
    expect(isRecordedProcess(withoutStart, probe(1_000_500))).toBe(false);
  });

  it('without /proc a recorded pid that runs is the check, a gone one is not', () => {
    const { startTime: _, ...withoutStart } = record;
    expect(isRecordedProcess(withoutStart, probe(1, false))).toBe(true);
    expect(isRecordedProcess(record, probe(1, false))).toBe(true);
    expect(isRecordedProcess(withoutStart, probe(undefined, false))).toBe(false);
  });
});
