import type { ActionState } from './action-machine.js';

/**
 * The states an action's life ends in: the action machine's final states (a test keeps them
 * equal). One list for the executor, the journal fold and the agent's reporting. Kept apart
 * from action-machine.ts so that readers of the journal need not load xstate.
 */
export const FINAL_ACTION_STATES = ['done', 'failed', 'timed_out', 'cancelled'] as const satisfies readonly ActionState[];
export type FinalActionState = (typeof FINAL_ACTION_STATES)[number];

export function isFinalActionState(s: ActionState): s is FinalActionState {
  return (FINAL_ACTION_STATES as readonly ActionState[]).includes(s);
}
