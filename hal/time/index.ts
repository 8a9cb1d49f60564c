export * from './clock.js';
export { RealClock } from './real-clock.js';
export { VirtualClock, flushMicrotasks } from './virtual-clock.js';
