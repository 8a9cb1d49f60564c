import type { Clock } from '../../hal/index.js';

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Per-device circuit breaker: opens after `failures` consecutive failures, refuses commands
 * while open, and after `resetMs` lets one probe through (half-open): success closes it,
 * failure opens it again for another `resetMs`.
 */
export class CircuitBreaker {
  private failures = 0;
  private current: BreakerState = 'closed';
  private openedAt = 0;
  private probing = false;
  opens = 0;

  constructor(
    readonly device: string,
    private readonly clock: Clock,
    private readonly threshold: number,
    private readonly resetMs: number,
    private readonly onChange: (dev: string, s: BreakerState) => void = () => {},
  ) {}

  get state(): BreakerState {
    if (this.current === 'open' && this.clock.now() - this.openedAt >= this.resetMs) this.set('half_open');
    return this.current;
  }

  /** May a command go to the device now? In half-open, only one probe at a time. */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'half_open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  /**
   * The attempt that took the half-open probe ended without a verdict on the device (the link
   * went down, the action was abandoned): the probe is given back, so the next attempt may
   * probe. Without this the breaker would stay half-open refusing everything, forever.
   */
  release(): void {
    this.probing = false;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.set('closed');
  }

  failure(): void {
    this.probing = false;
    this.failures++;
    if (this.current === 'half_open' || this.failures >= this.threshold) {
      this.openedAt = this.clock.now();
      if (this.current !== 'open') this.opens++;
      this.set('open');
    }
  }

  private set(s: BreakerState): void {
    if (s === this.current) return;
    this.current = s;
    this.onChange(this.device, s);
  }
}
