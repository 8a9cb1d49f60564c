/**
 * What a replay is checked on: the agent's decisions (id, action, rule, refused or not), mode
 * changes (from, to) and hardware commands (dev, op, args), each stream compared in order.
 * Times are reported, not compared: a replay on the virtual clock may run a late real-time
 * timer on time, and what matters is what the agent did, in what order.
 */
import { decodeBody } from '../../hal/protocol/codec.js';
import { canonical } from '../../firmware-agent/decide/decision-id.js';
import type { DecisionRecord, EventRecord, ModeRecord } from '../../firmware-agent/recorder/format.js';

export type Stream = 'decision' | 'mode' | 'cmd';

export interface Output {
  stream: Stream;
  /** Agent clock, ms. */
  t: number;
  /** What is compared. */
  key: string;
  /** What a person reads. */
  text: string;
}

export interface Difference {
  stream: Stream;
  /** changed: both runs have one here and they differ; missing: only the recording; extra: only the replay. */
  kind: 'changed' | 'missing' | 'extra';
  /** Agent clock, ms: the recording's time when it has one, else the replay's. */
  t: number;
  expected?: string;
  actual?: string;
  expected_t?: number;
  actual_t?: number;
}

export function decisionOutput(r: Pick<DecisionRecord, 't' | 'id' | 'action' | 'rule' | 'ok'>): Output {
  return {
    stream: 'decision', t: r.t, key: `${r.id}|${r.action}|${r.rule}|${r.ok}`,
    text: `decision ${r.id} ${r.action ?? 'none'} (rule ${r.rule})${r.ok ? '' : ', refused by arbitration'}`,
  };
}

export function modeOutput(r: Pick<ModeRecord, 't' | 'from' | 'to'>): Output {
  return { stream: 'mode', t: r.t, key: `${r.from}>${r.to}`, text: `mode ${r.from} -> ${r.to}` };
}

/** A sent body as a command output, when it is a `cmd` frame. */
export function cmdOutput(t: number, body: Uint8Array): Output | undefined {
  const r = decodeBody(body);
  if (!r.ok || r.msg.kind !== 'cmd') return undefined;
  const args = canonical(r.msg.args ?? {});
  return { stream: 'cmd', t, key: `${r.msg.dev}.${r.msg.op} ${args}`, text: `cmd ${r.msg.dev}.${r.msg.op} ${args}` };
}

/** The outputs a recorded session holds, in order. */
export function recordedOutputs(events: readonly EventRecord[]): Output[] {
  const out: Output[] = [];
  for (const e of events) {
    if (e.type === 'decision') out.push(decisionOutput(e));
    else if (e.type === 'mode') out.push(modeOutput(e));
    else if (e.type === 'tx' && e.ok !== false) {
      const c = cmdOutput(e.t, e.b);
      if (c) out.push(c);
    }
  }
  return out;
}

/** How far ahead the diff looks for the two runs to agree again after a difference. */
const RESYNC_WINDOW = 32;

/** Differences of one stream: a diff with bounded look-ahead (an insertion is one difference, not a cascade). */
export function diffStream(expected: readonly Output[], actual: readonly Output[]): Difference[] {
  const diffs: Difference[] = [];
  const changed = (e: Output, a: Output): void => void diffs.push({ stream: e.stream, kind: 'changed', t: e.t, expected: e.text, actual: a.text, expected_t: e.t, actual_t: a.t });
  const missing = (e: Output): void => void diffs.push({ stream: e.stream, kind: 'missing', t: e.t, expected: e.text, expected_t: e.t });
  const extra = (a: Output): void => void diffs.push({ stream: a.stream, kind: 'extra', t: a.t, actual: a.text, actual_t: a.t });
  let i = 0;
  let j = 0;
  while (i < expected.length || j < actual.length) {
    if (i < expected.length && j < actual.length && expected[i]!.key === actual[j]!.key) {
      i++;
      j++;
      continue;
    }
    let skip: [number, number] | undefined;
    for (let d = 1; d <= RESYNC_WINDOW && !skip; d++) {
      for (let a = 0; a <= d; a++) {
        const b = d - a;
        if (i + a < expected.length && j + b < actual.length && expected[i + a]!.key === actual[j + b]!.key) {
          skip = [a, b];
          break;
        }
      }
    }
    if (!skip) skip = [i < expected.length ? 1 : 0, j < actual.length ? 1 : 0];
    const [a, b] = skip;
    const both = Math.min(a, b);
    for (let k = 0; k < both; k++) changed(expected[i + k]!, actual[j + k]!);
    for (let k = both; k < a; k++) missing(expected[i + k]!);
    for (let k = both; k < b; k++) extra(actual[j + k]!);
    i += a;
    j += b;
  }
  return diffs;
}

/** Every difference between a recording's outputs and a replay's, ordered by time. */
export function compareOutputs(expected: readonly Output[], actual: readonly Output[]): Difference[] {
  const diffs: Difference[] = [];
  for (const s of ['decision', 'mode', 'cmd'] as const) {
    diffs.push(...diffStream(expected.filter((o) => o.stream === s), actual.filter((o) => o.stream === s)));
  }
  return diffs.sort((x, y) => x.t - y.t);
}
