export { HardwareServer, type HardwareServerOptions, type HardwareServerEvents, type ServerStats } from './hardware-server.js';
export type { Device, IslPort, CommandResult } from './device.js';
