/**
 * A length of time that knows its unit, so `timeout: Duration.minutes(5)` can never be read as
 * five seconds. Each AWS field converts with the unit it wants and refuses a lossy conversion
 * (CodeDeploy traffic intervals are whole minutes; appspec hook timeouts are whole seconds).
 */
export class Duration {
  private constructor(private readonly totalSeconds: number) {}

  static seconds(n: number): Duration {
    return Duration.of(n, 1, 'seconds');
  }
  static minutes(n: number): Duration {
    return Duration.of(n, 60, 'minutes');
  }
  static hours(n: number): Duration {
    return Duration.of(n, 3600, 'hours');
  }
  static days(n: number): Duration {
    return Duration.of(n, 86_400, 'days');
  }

  private static of(n: number, factor: number, unit: string): Duration {
    if (!Number.isFinite(n) || n < 0)
      throw new RangeError(`Duration.${unit}(${n}): expected a non-negative number`);
    return new Duration(n * factor);
  }

  /** Whole seconds; throws when the duration has a fractional second. */
  toSeconds(): number {
    return this.whole(1, 'seconds');
  }

  /** Whole minutes; throws when the duration is not a whole number of minutes. */
  toMinutes(): number {
    return this.whole(60, 'minutes');
  }

  private whole(factor: number, unit: string): number {
    const value = this.totalSeconds / factor;
    if (!Number.isInteger(value)) {
      throw new RangeError(`${this.toString()} is not a whole number of ${unit}`);
    }
    return value;
  }

  toString(): string {
    const s = this.totalSeconds;
    if (s % 86_400 === 0 && s > 0) return `${s / 86_400}d`;
    if (s % 3600 === 0 && s > 0) return `${s / 3600}h`;
    if (s % 60 === 0 && s > 0) return `${s / 60}m`;
    return `${s}s`;
  }
}

export function isDuration(value: unknown): value is Duration {
  return value instanceof Duration;
}
