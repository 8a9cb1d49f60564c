import type { ValueMap } from '../../hal/index.js';
import type { ParamValue } from '../decide/types.js';

/** One HAL command and how to verify it by read-back. */
export interface ActionStep {
  dev: string;
  op: string;
  args: ValueMap;
  /** The sample of `verify.dev` must show `field` equal to `equals` (numbers within `tolerance`). */
  verify: { dev: string; field: string; equals: ParamValue; tolerance?: number };
  /** Typical time for this step, ms (ack + read-back); the procedure watcher scales it. */
  expectedMs: number;
}

/** How an action moves the satellite's state, for local-safety arbitration. */
export interface Effects {
  /** +1 draws more power, −1 less. */
  load: -1 | 0 | 1;
  /** +1 adds heat, −1 removes it. */
  heat: -1 | 0 | 1;
}

export interface ActionDef {
  name: string;
  description: string;
  effects: Effects;
  steps: (params: Readonly<Record<string, ParamValue>>) => ActionStep[];
}

const num = (p: Readonly<Record<string, ParamValue>>, k: string, d: number): number => (typeof p[k] === 'number' ? (p[k] as number) : d);
const str = (p: Readonly<Record<string, ParamValue>>, k: string, d: string): string => (typeof p[k] === 'string' ? (p[k] as string) : d);

const payloadSet = (on: boolean, duty: number): ActionStep => ({
  dev: 'payload', op: 'set', args: { on, duty }, verify: { dev: 'payload', field: 'on', equals: on }, expectedMs: 300,
});
const heaterSet = (on: boolean): ActionStep => ({
  dev: 'heater', op: 'set', args: { on }, verify: { dev: 'heater', field: 'on', equals: on }, expectedMs: 300,
});
const adcsMode = (mode: string): ActionStep => ({
  dev: 'adcs', op: 'mode', args: { mode }, verify: { dev: 'adcs', field: 'mode', equals: mode }, expectedMs: 300,
});
const throttle = (cpu: number): ActionStep => ({
  dev: 'obc', op: 'throttle', args: { cpu }, verify: { dev: 'obc', field: 'cpu', equals: cpu, tolerance: 1e-6 }, expectedMs: 300,
});

/**
 * The named actions the agent can take, each a sequence of HAL commands verified by
 * read-back. Constellation commands and ground requests name the same actions.
 */
// No prototype: a name from the ground or the constellation such as `toString` or
// `constructor` must not find Object.prototype's members (ACTIONS[name] is undefined for it).
export const ACTIONS: Readonly<Record<string, ActionDef>> = Object.freeze(Object.assign(Object.create(null) as Record<string, ActionDef>, {
  payload_off: { name: 'payload_off', description: 'switch the payload off', effects: { load: -1, heat: -1 }, steps: () => [payloadSet(false, 0)] },
  payload_on: {
    name: 'payload_on', description: 'switch the payload on at a duty cycle', effects: { load: 1, heat: 1 },
    steps: (p) => [payloadSet(true, num(p, 'duty', 0.8))],
  },
  payload_throttle: {
    name: 'payload_throttle', description: 'lower the payload duty cycle', effects: { load: -1, heat: -1 },
    steps: (p) => [{ ...payloadSet(true, num(p, 'duty', 0.3)), verify: { dev: 'payload', field: 'duty', equals: num(p, 'duty', 0.3), tolerance: 1e-6 } }],
  },
  heater_on: { name: 'heater_on', description: 'battery heater on', effects: { load: 1, heat: 1 }, steps: () => [heaterSet(true)] },
  heater_off: { name: 'heater_off', description: 'battery heater off', effects: { load: -1, heat: -1 }, steps: () => [heaterSet(false)] },
  adcs_detumble: { name: 'adcs_detumble', description: 'ADCS to detumble', effects: { load: 0, heat: 0 }, steps: () => [adcsMode('detumble')] },
  adcs_sun_point: { name: 'adcs_sun_point', description: 'ADCS to sun pointing', effects: { load: 0, heat: 0 }, steps: () => [adcsMode('sun_point')] },
  adcs_nadir: { name: 'adcs_nadir', description: 'ADCS to nadir pointing', effects: { load: 0, heat: 0 }, steps: () => [adcsMode('nadir')] },
  throttle_cpu: {
    name: 'throttle_cpu', description: 'throttle the flight computer', effects: { load: -1, heat: -1 },
    steps: (p) => [throttle(num(p, 'cpu', 0.5))],
  },
  unthrottle_cpu: { name: 'unthrottle_cpu', description: 'flight computer to full speed', effects: { load: 1, heat: 1 }, steps: () => [throttle(1)] },
  shed_load: {
    name: 'shed_load', description: 'switch a load off at the EPS', effects: { load: -1, heat: 0 },
    steps: (p) => [{ dev: 'eps', op: 'shed', args: { load: str(p, 'load', 'payload'), on: false }, verify: { dev: str(p, 'load', 'payload'), field: 'on', equals: false }, expectedMs: 300 }],
  },
  enter_safe: {
    name: 'enter_safe', description: 'safe mode: payload off, ADCS sun pointing, OBC throttled', effects: { load: -1, heat: -1 },
    steps: () => [payloadSet(false, 0), adcsMode('sun_point'), throttle(0.5)],
  },
  exit_safe: { name: 'exit_safe', description: 'leave safe mode: OBC back to full speed', effects: { load: 1, heat: 1 }, steps: () => [throttle(1)] },
} satisfies Record<string, ActionDef>));

export type ActionName = keyof typeof ACTIONS;

export function isAction(name: string): boolean {
  return Object.hasOwn(ACTIONS, name);
}
