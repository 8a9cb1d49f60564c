import { HardwareClient, HardwareServer, memoryLinkPair, VirtualClock, type Device, type MemoryLinkOptions, type ValueMap } from '../../hal/index.js';

/** A small device set in the shape of PROTOCOL.md §4, with switchable misbehaviour. */
export function testDevices() {
  const state = { heaterOn: false, dropout: false, refuse: false, silentCmd: false, gyro: [0.01, -0.02, 0.03] };
  const imu: Device = {
    info: { id: 'imu', type: 'sensor', rate_hz: 10, fields: { gyro: 'rad/s' }, ops: [] },
    read: () => (state.dropout ? undefined : { gyro: state.gyro }),
  };
  const heater: Device = {
    info: { id: 'heater', type: 'actuator', rate_hz: 1, fields: { on: 'bool' }, ops: ['set'] },
    latencyMs: 5,
    read: () => ({ on: state.heaterOn }),
    command: (op: string, args: ValueMap) => {
      if (state.silentCmd) return undefined;
      if (state.refuse) return { ok: false, code: 'op', msg: 'actuator refuses' };
      if (typeof args.on !== 'boolean') return { ok: false, code: 'schema', msg: 'set needs {on: bool}' };
      state.heaterOn = args.on;
      return { ok: true };
    },
  };
  return { state, devices: [imu, heater] };
}

/** Client and server on a memory link pair driven by a virtual clock. */
export function memoryRig(linkOpts: MemoryLinkOptions = {}) {
  const clock = new VirtualClock();
  const [fc, hw, wire] = memoryLinkPair(clock, linkOpts, ['fc', 'hw']);
  const { state, devices } = testDevices();
  const radio: { sent: { to: string; data: Uint8Array }[]; busy: boolean } = { sent: [], busy: false };
  const server = new HardwareServer({
    link: hw,
    clock,
    sat: 'SAT-1',
    watchdogMs: 2000,
    devices,
    isl: {
      transmit: (to, data) => {
        if (radio.busy) return { ok: false, code: 'busy', msg: 'radio queue full' };
        radio.sent.push({ to, data });
        return { ok: true };
      },
    },
  });
  const client = new HardwareClient({ link: fc, clock, sw: 'test/0', requestTimeoutMs: 200, helloRetryMs: 500 });
  return { clock, fcLink: fc, hwLink: hw, wire, server, client, state, radio };
}
