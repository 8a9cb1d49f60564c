import { assign, fromPromise, setup } from 'xstate';
import type { ActionStep } from './catalog.js';

/** Why a step attempt failed, and whether another attempt may help. */
export class StepFailure extends Error {
  constructor(readonly reason: string, readonly retryable: boolean) {
    super(reason);
  }
}

export interface ActionContext {
  steps: ActionStep[];
  index: number;
  /** Attempts of the current step so far. */
  attempt: number;
  retries: number;
  backoffMs: number;
  timeoutMs: number;
  lastError: string | null;
}

export type ActionState = 'pending' | 'running' | 'verifying' | 'backoff' | 'done' | 'failed' | 'timed_out' | 'cancelled';

/**
 * One action's life: pending → running (command) → verifying (read-back) → next step or done.
 * A failed attempt waits 100/200/400 ms (doubling) and tries again up to `retries` times, then
 * the action fails; the whole action times out after `timeoutMs`. The command and the
 * verification are actors the executor provides (they talk to the hardware). CANCEL (from the
 * ground) ends a pending or active action in the final state `cancelled`: leaving `active`
 * stops the step's actor, whose abort signal gives back any breaker probe it holds.
 */
export const actionMachine = setup({
  types: {
    context: {} as ActionContext,
    input: {} as { steps: ActionStep[]; retries: number; backoffMs: number; timeoutMs: number },
    events: {} as { type: 'START' } | { type: 'CANCEL' },
  },
  actors: {
    command: fromPromise<void, { step: ActionStep }>(async () => {}),
    verify: fromPromise<void, { step: ActionStep }>(async () => {}),
  },
  delays: {
    backoff: ({ context }) => context.backoffMs * 2 ** Math.max(0, context.attempt - 1),
    timeout: ({ context }) => context.timeoutMs,
  },
  guards: {
    moreSteps: ({ context }) => context.index + 1 < context.steps.length,
    canRetry: ({ context, event }) => {
      const err = (event as { error?: unknown }).error;
      return context.attempt <= context.retries && !(err instanceof StepFailure && !err.retryable);
    },
  },
}).createMachine({
  id: 'action',
  context: ({ input }) => ({ ...input, index: 0, attempt: 0, lastError: null }),
  initial: 'pending',
  states: {
    pending: { on: { START: 'active', CANCEL: 'cancelled' } },
    active: {
      initial: 'running',
      after: { timeout: 'timed_out' },
      on: { CANCEL: 'cancelled' },
      states: {
        running: {
          entry: assign({ attempt: ({ context }) => context.attempt + 1 }),
          invoke: {
            src: 'command',
            input: ({ context }) => ({ step: context.steps[context.index]! }),
            onDone: 'verifying',
            onError: [
              { guard: 'canRetry', target: 'backoff', actions: assign({ lastError: ({ event }) => String((event.error as Error)?.message ?? event.error) }) },
              { target: '#action.failed', actions: assign({ lastError: ({ event }) => String((event.error as Error)?.message ?? event.error) }) },
            ],
          },
        },
        verifying: {
          invoke: {
            src: 'verify',
            input: ({ context }) => ({ step: context.steps[context.index]! }),
            onDone: [
              { guard: 'moreSteps', target: 'running', reenter: true, actions: assign({ index: ({ context }) => context.index + 1, attempt: 0 }) },
              { target: '#action.done' },
            ],
            onError: [
              { guard: 'canRetry', target: 'backoff', actions: assign({ lastError: ({ event }) => String((event.error as Error)?.message ?? event.error) }) },
              { target: '#action.failed', actions: assign({ lastError: ({ event }) => String((event.error as Error)?.message ?? event.error) }) },
            ],
          },
        },
        backoff: { after: { backoff: 'running' } },
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
    timed_out: { type: 'final' },
    cancelled: { type: 'final' },
  },
});
