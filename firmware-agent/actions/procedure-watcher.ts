/**
 * Flags a running action that has made no progress for `factor` × its expected step time.
 * Flag only (it sends no command), once per stall episode: when the action shows life
 * again the episode ends, and a later stall is a new one. Progress recorded since the last
 * check is folded in before deciding, so an action whose steps are still moving is never
 * flagged.
 */
export interface StallFlag {
  id: string;
  silentMs: number;
  limitMs: number;
}

interface Watch {
  lastProgress: number;
  expectedMs: number;
  flagged: boolean;
}

export class ProcedureWatcher {
  private readonly watches = new Map<string, Watch>();
  flags = 0;

  constructor(private readonly factor: number) {}

  progress(id: string, atMs: number, expectedStepMs: number): void {
    const w = this.watches.get(id);
    if (!w) {
      this.watches.set(id, { lastProgress: atMs, expectedMs: expectedStepMs, flagged: false });
      return;
    }
    w.lastProgress = Math.max(w.lastProgress, atMs);
    w.expectedMs = expectedStepMs;
    w.flagged = false; // signs of life end a stall episode
  }

  finished(id: string): void {
    this.watches.delete(id);
  }

  /** Call once per cycle; returns the actions newly flagged as stalled. */
  check(nowMs: number): StallFlag[] {
    const out: StallFlag[] = [];
    for (const [id, w] of this.watches) {
      const limitMs = this.factor * w.expectedMs;
      const silentMs = nowMs - w.lastProgress;
      if (!w.flagged && silentMs > limitMs) {
        w.flagged = true;
        this.flags++;
        out.push({ id, silentMs, limitMs });
      }
    }
    return out;
  }

  get watching(): number {
    return this.watches.size;
  }
}
