/** The emulator's world models: one satellite's physical environment. See README.md. */
export * from './vec.js';
export * from './rng.js';
export * from './orbit.js';
export * from './attitude.js';
export * from './power.js';
export * from './thermal.js';
export * from './radiation.js';
export * from './world.js';
