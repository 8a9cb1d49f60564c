/** The hardware-abstraction layer: everything between a flight computer and its hardware. */
export * from './errors.js';
export * from './time/index.js';
export { encodeFrame, SlipDecoder, END, ESC, ESC_END, ESC_ESC, DEFAULT_MAX_PAYLOAD, type FramingDropReason } from './framing/slip.js';
export { crc32 } from './framing/crc32.js';
export { FrameEncoderStream, FrameDecoderStream } from './framing/streams.js';
export * from './protocol/index.js';
export * from './link/index.js';
export * from './client/index.js';
export * from './server/index.js';
export { Emitter, type Listener } from './util/emitter.js';
