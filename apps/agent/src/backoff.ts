/** Exponential back-off with jitter: initial, doubled per failure up to max; reset on success. */
export class Backoff {
  private current: number;

  constructor(
    private readonly initialMs = 500,
    private readonly maxMs = 30_000,
  ) {
    this.current = initialMs;
  }

  /** The next delay (±20 % jitter, so hundreds of hollow nodes do not retry in lockstep). */
  next(): number {
    const base = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  reset(): void {
    this.current = this.initialMs;
  }
}
