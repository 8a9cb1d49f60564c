/** The flight recorder: what an agent received and did, for `fsw replay` (see README.md). */
export { FlightRecorder, DEFAULT_MAX_RECORDING_BYTES, type FlightRecorderOptions, type SessionInfo } from './recorder.js';
export { RecordingLink } from './recording-link.js';
export { TimingClock, ReplayTimingClock } from './timing-clock.js';
export { RecordingError, isRecordingError, RECORDING_ERROR_CODES, type RecordingErrorCode } from './errors.js';
export * from './format.js';
