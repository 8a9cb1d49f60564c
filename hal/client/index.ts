export { HardwareClient, type HardwareClientOptions, type HardwareClientEvents, type ClientStats } from './hardware-client.js';
export { connectionMachine, type ConnectionState, type ConnectionEvent } from './connection-machine.js';
