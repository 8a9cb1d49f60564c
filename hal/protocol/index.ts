export * from './messages.js';
export * from './schema.js';
export { validateBody, type Validation } from './validate.js';
export { checkPlainCbor, MAX_NESTING } from './plain-cbor.js';
export { encodeBody, encodeMessageFrame, encodePlain, decodeBody, decodePlain, type BodyResult } from './codec.js';
export { FrameReceiver, DROP_REASONS, zeroDrops, type DropCounts, type DropReason, type Refusal, type ReceiverHandlers } from './receiver.js';
export { Endpoint, type EndpointEvents } from './endpoint.js';
