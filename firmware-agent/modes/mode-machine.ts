import { assign, setup } from 'xstate';
import type { AgentConfig } from '../config/schema.js';
import type { Mode } from '../decide/types.js';

/**
 * The satellite's operating mode:
 *
 *   boot ─▶ nominal ⇄ degraded
 *              │          │
 *              ▼          ▼
 *             safe ──(health stable for safe_exit_stable_s)──▶ recovery ──(dwell, healthy)──▶ nominal
 *                    ◀──────────────(health falls again)────────────┘
 *
 * Driven by one ASSESSED event per cycle. Guards read streaks of consecutive cycles (so a
 * single bad sample does not change the mode) and times taken from the events themselves,
 * so the machine is deterministic and needs no timers. Safe-mode entry runs `enterSafe`.
 */
export type ModeEvent =
  | { type: 'ASSESSED'; at: number; overall: number; critical: boolean; fresh: boolean }
  | { type: 'OVERRIDE'; mode: Mode; at: number; reason: string };

export interface ModeContext {
  cfg: AgentConfig['modes'];
  at: number;
  overall: number;
  /** Consecutive cycles below degraded_below. */
  lowStreak: number;
  /** Consecutive cycles below safe_below or with a critical anomaly. */
  safeStreak: number;
  /** Consecutive healthy cycles (≥ degraded_below, nothing critical). */
  okStreak: number;
  /** Start of the current healthy streak, ms (null while unhealthy). */
  healthySince: number | null;
  enteredAt: number;
}

export const modeMachine = setup({
  types: {
    context: {} as ModeContext,
    events: {} as ModeEvent,
    input: {} as { cfg: AgentConfig['modes']; at: number },
  },
  actions: {
    /** Provided by the agent: start the safe-mode action sequence. */
    enterSafe: () => {},
    markEntry: assign({ enteredAt: ({ context }) => context.at }),
    /** An override: time from the event, streaks and the stable clock start again from it. */
    restartAt: assign(({ event }) => ({ at: event.at, lowStreak: 0, safeStreak: 0, okStreak: 0, healthySince: null })),
  },
  guards: {
    toSafe: ({ context: c }) => c.safeStreak >= c.cfg.persistence_cycles,
    toDegraded: ({ context: c }) => c.lowStreak >= c.cfg.persistence_cycles,
    toNominal: ({ context: c }) => c.okStreak >= c.cfg.persistence_cycles,
    bootDone: ({ context: c }) => c.okStreak >= 1,
    safeStable: ({ context: c }) => c.healthySince !== null && c.at - c.healthySince >= c.cfg.safe_exit_stable_s * 1000,
    // At least one cycle after entering recovery (c.at > enteredAt), even with a zero dwell: the
    // step that enters recovery from safe never also leaves it, so recovery is always seen.
    dwellDone: ({ context: c }) => c.at > c.enteredAt && c.at - c.enteredAt >= c.cfg.recovery_dwell_s * 1000 && c.okStreak >= 1,
  },
}).createMachine({
  id: 'mode',
  context: ({ input }) => ({
    cfg: input.cfg, at: input.at, overall: 1, lowStreak: 0, safeStreak: 0, okStreak: 0, healthySince: null, enteredAt: input.at,
  }),
  initial: 'boot',
  on: {
    ASSESSED: {
      actions: assign(({ context: c, event: e }) => {
        const low = e.fresh && e.overall < c.cfg.degraded_below;
        const safe = e.fresh && (e.critical || e.overall < c.cfg.safe_below);
        const ok = e.fresh && !e.critical && e.overall >= c.cfg.degraded_below;
        return {
          at: e.at,
          overall: e.overall,
          lowStreak: low ? c.lowStreak + 1 : 0,
          safeStreak: safe ? c.safeStreak + 1 : 0,
          okStreak: ok ? c.okStreak + 1 : 0,
          healthySince: ok ? (c.healthySince ?? e.at) : null,
        };
      }),
    },
    // An override holds: the streaks and the stable clock restart at it, so the automatic
    // transitions need their conditions anew (an override to safe after a long healthy run
    // must not bounce straight on to recovery in the same step).
    OVERRIDE: [
      { guard: ({ event }) => event.mode === 'nominal', target: '.nominal', actions: 'restartAt' },
      { guard: ({ event }) => event.mode === 'degraded', target: '.degraded', actions: 'restartAt' },
      { guard: ({ event }) => event.mode === 'safe', target: '.safe', actions: 'restartAt' },
      { guard: ({ event }) => event.mode === 'recovery', target: '.recovery', actions: 'restartAt' },
    ],
  },
  states: {
    boot: {
      always: [
        { guard: 'toSafe', target: 'safe' },
        { guard: 'toDegraded', target: 'degraded' },
        { guard: 'bootDone', target: 'nominal' },
      ],
    },
    nominal: {
      entry: 'markEntry',
      always: [
        { guard: 'toSafe', target: 'safe' },
        { guard: 'toDegraded', target: 'degraded' },
      ],
    },
    degraded: {
      entry: 'markEntry',
      always: [
        { guard: 'toSafe', target: 'safe' },
        { guard: 'toNominal', target: 'nominal' },
      ],
    },
    safe: {
      entry: ['markEntry', 'enterSafe'],
      always: [{ guard: 'safeStable', target: 'recovery' }],
    },
    recovery: {
      entry: 'markEntry',
      always: [
        { guard: 'toSafe', target: 'safe' },
        // Health stuck between safe_below and degraded_below: not recovering, degraded.
        { guard: 'toDegraded', target: 'degraded' },
        { guard: 'dwellDone', target: 'nominal' },
      ],
    },
  },
});
