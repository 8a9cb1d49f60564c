import { decodeBody, encodeBody } from '../../hal/protocol/codec.js';
import type { Message } from '../../hal/protocol/messages.js';
import { canonical } from '../../firmware-agent/decide/decision-id.js';
import type { EventRecord } from '../../firmware-agent/recorder/format.js';

/** A sent frame and its recorded twin must go out this close in time to be the same request, ms. */
const MATCH_WINDOW_MS = 1000;

/** What a sent message asks for, without its seq and time. */
function signature(m: Message): string {
  const { seq: _s, time: _t, v: _v, ...rest } = m as Message & { seq: number; time: number; v: number };
  return canonical(mapBytes(rest));
}

function mapBytes(x: unknown): unknown {
  if (x instanceof Uint8Array) return Buffer.from(x).toString('hex');
  if (Array.isArray(x)) return x.map(mapBytes);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, mapBytes(v)]));
  return x;
}

/**
 * Answers find their requests by `seq`/`ref`. A faithful replay sends the same frames in the
 * same order, so the seqs are the recording's. When it does not (a real-time recording where two
 * timers due within a millisecond ran in the other order, or a replay that diverged), a recorded
 * answer would reach a different request. So each frame the replay sends is matched to the
 * recorded frame with the same content sent at about the same time (the earliest not yet
 * matched), and each recorded answer is re-addressed to the replay's seq for it. In a faithful
 * replay every seq maps to itself and no byte changes.
 */
export class SeqMap {
  /** Unmatched recorded sends by content: [recorded seq, time] in order. */
  private readonly waiting = new Map<string, { seq: number; t: number }[]>();
  private readonly map = new Map<number, number>();
  /** Answers given another ref than recorded (the replay's seq differed). */
  readdressed = 0;
  /** Answers to requests the replay did not make (or not yet), delivered as recorded. */
  unmatched = 0;

  constructor(events: readonly EventRecord[]) {
    for (const e of events) {
      if (e.type !== 'tx' || e.ok === false) continue;
      const r = decodeBody(e.b);
      if (!r.ok) continue;
      const key = signature(r.msg);
      const list = this.waiting.get(key) ?? [];
      list.push({ seq: (r.msg as { seq: number }).seq, t: e.t });
      this.waiting.set(key, list);
    }
  }

  /** The replay sent `body` at `now`. */
  sent(body: Uint8Array, now: number): void {
    const r = decodeBody(body);
    if (!r.ok) return;
    const list = this.waiting.get(signature(r.msg));
    if (!list) return;
    while (list.length > 0 && list[0]!.t < now - MATCH_WINDOW_MS) list.shift();
    const first = list[0];
    if (first && first.t <= now + MATCH_WINDOW_MS) {
      list.shift();
      this.map.set(first.seq, (r.msg as { seq: number }).seq);
    }
  }

  /** A recorded body about to be delivered: the same bytes, or re-encoded with its ref re-addressed. */
  received(body: Uint8Array): Uint8Array {
    const r = decodeBody(body);
    if (!r.ok) return body;
    const m = r.msg as Message & { ref?: number };
    if (m.ref === undefined || (m.kind !== 'ack' && m.kind !== 'sample' && m.kind !== 'error')) return body;
    const to = this.map.get(m.ref);
    if (to === m.ref) return body;
    // Not matched (an answer to a previous boot's request, or the replay diverged): as recorded,
    // so that it meets whatever the recorded agent had under that seq; the HAL client checks it fits.
    if (to === undefined) {
      this.unmatched++;
      return body;
    }
    this.readdressed++;
    return Uint8Array.from(encodeBody({ ...m, ref: to } as Message));
  }
}
