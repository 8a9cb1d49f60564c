import type { ActionState } from './actions/action-machine.js';
import type { ActionRecord } from './actions/executor.js';
import { isFinalActionState } from './actions/final.js';
import { MODES, type Mode, type ParamValue } from './decide/types.js';
import type { JournalRecord } from './journal/index.js';
import { logEntry, type LogEntry } from './swarm/messages.js';

/**
 * What the agent keeps across a reboot, and how journal records fold into it. Records are
 * plain CBOR maps with a `type`; replay ignores types it does not know (forward compatible)
 * and fields of the wrong type (a damaged record never crashes the boot).
 */
export interface Counters {
  boots: number;
  decisions: number;
  actionsDone: number;
  actionsFailed: number;
  safeEntries: number;
}

export interface InFlight {
  id: string;
  action: string;
  params: Record<string, ParamValue>;
  source: ActionRecord['source'];
  /** The step that was running (not yet verified) when the record was written. */
  step: number;
}

/** The swarm layer's durable state (Raft term, vote and log; the ISL send-counter reservation). */
export interface SwarmPersisted {
  term: number;
  votedFor: string | null;
  counterReservedTo: number;
  log: LogEntry[];
}

export interface PersistedState {
  swarm: SwarmPersisted;
  /** Highest ground-command counter accepted, per ground key fingerprint (replay protection across reboots). */
  groundCounters: Map<string, number>;
  mode: Mode | null;
  inFlight: Map<string, InFlight>;
  completed: Map<string, ActionState>;
  recent: string[];
  counters: Counters;
  recurrence: Record<string, number>;
}

/** How many finished action ids and recent decision ids are kept (bounded journal). */
export const KEEP_COMPLETED = 512;
export const KEEP_RECENT = 4;
/** Ground keys whose counter is kept (a key rotation adds one; the oldest goes first). */
export const KEEP_GROUND_KEYS = 8;


export function emptyState(): PersistedState {
  return {
    swarm: { term: 0, votedFor: null, counterReservedTo: 0, log: [] },
    groundCounters: new Map(),
    mode: null,
    inFlight: new Map(),
    completed: new Map(),
    recent: [],
    counters: { boots: 0, decisions: 0, actionsDone: 0, actionsFailed: 0, safeEntries: 0 },
    recurrence: {},
  };
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined);

function bound<K, V>(m: Map<K, V>, max: number): void {
  while (m.size > max) m.delete(m.keys().next().value as K);
}

/**
 * Applies one record to the state (used both at replay and as the agent runs), so the live
 * state and a replayed one are the same by construction: counters are counted here, from the
 * records, never beside them.
 */
export function fold(s: PersistedState, r: JournalRecord): void {
  switch (r.type) {
    case 'boot':
      s.counters.boots++;
      return;
    case 'mode': {
      const m = str(r.mode);
      if (m && (MODES as readonly string[]).includes(m)) {
        if (m === 'safe' && s.mode !== 'safe') s.counters.safeEntries++;
        s.mode = m as Mode;
      }
      return;
    }
    case 'decision': {
      const id = str(r.id);
      if (!id) return;
      s.counters.decisions++;
      s.recent = [...s.recent, id].slice(-KEEP_RECENT);
      return;
    }
    case 'action': {
      const id = str(r.id);
      const state = str(r.state) as ActionState | undefined;
      const action = str(r.action);
      if (!id || !state || !action) return;
      if (isFinalActionState(state)) {
        s.inFlight.delete(id);
        if (!s.completed.has(id)) {
          if (state === 'done') s.counters.actionsDone++;
          else if (state !== 'cancelled') s.counters.actionsFailed++;
        }
        s.completed.set(id, state);
        bound(s.completed, KEEP_COMPLETED);
      } else {
        const params = r.params && typeof r.params === 'object' && !Array.isArray(r.params) ? (r.params as Record<string, ParamValue>) : {};
        const source = (['local', 'constellation', 'ground'] as const).find((x) => x === r.source) ?? 'local';
        s.inFlight.set(id, { id, action, params, source, step: int(r.step) ?? 0 });
      }
      return;
    }
    case 'anomaly': {
      const sig = str(r.signature);
      const n = int(r.recurrence);
      if (sig && n !== undefined) s.recurrence = { ...s.recurrence, [sig]: n };
      return;
    }
    case 'swarm_vote': {
      const term = int(r.term);
      if (term === undefined || term < s.swarm.term) return;
      s.swarm.term = term;
      s.swarm.votedFor = typeof r.votedFor === 'string' ? r.votedFor : null;
      return;
    }
    case 'swarm_counter': {
      const upTo = int(r.upTo);
      if (upTo !== undefined && upTo > s.swarm.counterReservedTo) s.swarm.counterReservedTo = upTo;
      return;
    }
    case 'swarm_log': {
      const from = int(r.fromIndex);
      if (from === undefined || from < 1 || !Array.isArray(r.entries)) return;
      const entries = r.entries.filter((e): e is LogEntry => logEntry.check(e) === undefined);
      if (entries.length !== r.entries.length || from > s.swarm.log.length + 1) return;
      s.swarm.log = [...s.swarm.log.slice(0, from - 1), ...entries];
      return;
    }
    case 'ground_counter': {
      // Only ever moves up: a replayed older record cannot lower it.
      const key = str(r.key);
      const n = int(r.n);
      if (!key || n === undefined || n <= (s.groundCounters.get(key) ?? -1)) return;
      s.groundCounters.delete(key);
      s.groundCounters.set(key, n);
      bound(s.groundCounters, KEEP_GROUND_KEYS);
      return;
    }
    case 'counters': {
      for (const k of Object.keys(s.counters) as (keyof Counters)[]) {
        const v = int(r[k]);
        if (v !== undefined) s.counters[k] = v;
      }
      return;
    }
    case 'snapshot': {
      // A compaction snapshot: everything at once.
      const completed = Array.isArray(r.completed) ? r.completed : [];
      for (const e of completed) {
        if (Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string') s.completed.set(e[0], e[1] as ActionState);
      }
      if (Array.isArray(r.recent)) s.recent = r.recent.filter((x): x is string => typeof x === 'string').slice(-KEEP_RECENT);
      if (r.recurrence && typeof r.recurrence === 'object') {
        s.recurrence = Object.fromEntries(Object.entries(r.recurrence as Record<string, unknown>).filter(([, v]) => int(v) !== undefined)) as Record<string, number>;
      }
      return;
    }
    default:
      return;
  }
}

/** Records that replay to `s` (for compaction). */
export function snapshotRecords(s: PersistedState): JournalRecord[] {
  const out: JournalRecord[] = [];
  if (s.swarm.term > 0 || s.swarm.votedFor !== null) out.push({ type: 'swarm_vote', term: s.swarm.term, votedFor: s.swarm.votedFor });
  if (s.swarm.counterReservedTo > 0) out.push({ type: 'swarm_counter', upTo: s.swarm.counterReservedTo });
  if (s.swarm.log.length > 0) out.push({ type: 'swarm_log', fromIndex: 1, entries: s.swarm.log });
  for (const [key, n] of s.groundCounters) out.push({ type: 'ground_counter', key, n });
  if (s.mode) out.push({ type: 'mode', mode: s.mode });
  out.push({ type: 'counters', ...s.counters });
  out.push({ type: 'snapshot', completed: [...s.completed], recent: s.recent, recurrence: s.recurrence });
  for (const a of s.inFlight.values()) out.push({ type: 'action', ...a, state: 'running' });
  return out;
}
