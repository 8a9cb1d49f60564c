/**
 * `fsw run --speed`: how virtual time is paced against the wall clock. `max` runs as fast as
 * the machine allows; `realtime` is one virtual second per wall second; `xK` is K virtual
 * seconds per wall second (x10, x0.5).
 */
import { InvalidArgumentError } from 'commander';

export interface Speed {
  /** Virtual seconds per wall second; Infinity for `max`. */
  factor: number;
  /** As the user wrote it, normalised: `max`, `realtime`, `x10`. */
  label: string;
}

export const SPEED_MAX: Speed = { factor: Infinity, label: 'max' };
export const SPEED_HELP = 'max (as fast as possible), realtime, or xK for K virtual seconds per wall second (e.g. x10, x0.5)';
const MAX_FACTOR = 1e6;

/** Parses a `--speed` value; throws commander's InvalidArgumentError (exit 2) naming the allowed values. */
export function parseSpeed(value: string): Speed {
  const v = value.trim().toLowerCase();
  if (v === 'max') return SPEED_MAX;
  if (v === 'realtime') return { factor: 1, label: 'realtime' };
  const m = /^[x×](\d+(?:\.\d+)?)$/.exec(v);
  const k = m ? Number(m[1]) : NaN;
  if (!(k > 0 && k <= MAX_FACTOR)) throw new InvalidArgumentError(`must be ${SPEED_HELP}; K from above 0 to ${MAX_FACTOR}`);
  return { factor: k, label: `x${m![1]}` };
}

/** How long to wait (wall ms) so that `virtualMs` of virtual time has taken at least `virtualMs / factor` of wall time. */
export function paceDelayMs(speed: Speed, virtualMs: number, wallMs: number): number {
  if (!Number.isFinite(speed.factor)) return 0;
  return Math.max(0, virtualMs / speed.factor - wallMs);
}

/**
 * Virtual seconds per step of the run loop. At `max` 5 s (small enough for the report's samples
 * and a smooth progress bar, large enough to cost nothing); paced, about 20 steps per wall second.
 */
export function stepSeconds(speed: Speed): number {
  if (!Number.isFinite(speed.factor)) return 5;
  return Math.min(5, Math.max(0.1, speed.factor / 20));
}
