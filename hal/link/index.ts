export type { Link, LinkEvents, LinkState, LinkStats, BackoffOptions } from './link.js';
export { StreamLink } from './stream-link.js';
export { MemoryLink, MemoryWire, memoryLinkPair, type MemoryLinkOptions } from './memory-link.js';
export { SerialLink, listSerialPorts, type SerialLinkOptions } from './serial-link.js';
