import { COUNTER_MAX } from './replay.js';

/**
 * A replay counter persisted in blocks (ISL-FORMAT.md §4.4): before handing out a value past the
 * reservation, reserve up to it + block − 1 (`reserve(upTo)`, i.e. `SwarmStore.reserveCounter`,
 * must be durable — fsync'd — before it returns; if it throws, no counter is handed out), so a
 * reboot resumes past anything that may have been sent. `reservedTo` is the stored reservation
 * (`load().counterReservedTo`).
 */
export function reservingCounter(reservedTo: number, reserve: (upTo: number) => void, block = 1024): () => number {
  if (!(Number.isInteger(block) && block >= 1)) throw new RangeError('block must be an integer ≥ 1');
  let reserved = reservedTo;
  let next = reservedTo + 1;
  return () => {
    if (next > COUNTER_MAX) throw new RangeError('replay counter exhausted (48 bits): the constellation key must be rotated');
    if (next > reserved) {
      const upTo = Math.min(COUNTER_MAX, next + block - 1);
      reserve(upTo);
      reserved = upTo;
    }
    return next++;
  };
}
