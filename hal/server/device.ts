import type { DeviceInfo, ValueMap, WireErrorCode } from '../protocol/messages.js';

/** What a device says to a command: done, refused (with a wire code), or nothing at all. */
export type CommandResult = { ok: true } | { ok: false; code: WireErrorCode | string; msg: string } | undefined;

/**
 * A device as the hardware server sees it. The emulator's device models implement this;
 * so could a driver for real boards. `undefined` from `read` or `command` means the device
 * did not answer (a dropout): the client's timeout must fire.
 */
export interface Device {
  readonly info: DeviceInfo;
  /** Response latency, ms, for answers to `read`/`cmd`. Default 0. */
  readonly latencyMs?: number;
  read(nowMs: number): ValueMap | undefined;
  command?(op: string, args: ValueMap, nowMs: number): CommandResult;
}

/** The radio behind `isl.tx`: accepts bytes for transmission or refuses (`busy`). */
export interface IslPort {
  transmit(to: string, data: Uint8Array, nowMs: number): { ok: true } | { ok: false; code: 'busy' | string; msg: string };
}
