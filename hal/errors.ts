/**
 * The one registry of error codes used by the HAL (and, later, by everything above it).
 * Codes are stable: logs, metrics, tests and docs name the same thing. A retired code is
 * never reused; `docs/errors.md` lists every code here and a test keeps the three in step.
 */
export const ERROR_CODES = {
  E_FRAME_ESCAPE: 'SLIP frame held an ESC not followed by ESC_END/ESC_ESC; frame dropped',
  E_FRAME_CRC: 'frame CRC-32 did not match its body (or the frame was too short for one); frame dropped',
  E_FRAME_OVERSIZE: 'frame grew past the maximum unescaped payload before an END; frame dropped',
  E_BODY_CBOR: 'body is not exactly one plain CBOR item (tags, indefinite lengths, truncation, trailing bytes, too deep)',
  E_BODY_SCHEMA: 'body is CBOR but breaks the schema of its kind',
  E_BODY_VERSION: 'body carries a protocol version other than 1',
  E_BODY_KIND: 'body names a message kind this side does not know',
  E_ENCODE_SCHEMA: 'an outgoing message broke its own schema; it was not sent',
  E_LINK_DOWN: 'the link is not up (closed, lost or still handshaking); nothing was sent',
  E_LINK_OPEN: 'the link could not be opened (port missing, busy or refused)',
  E_LINK_CLOSED: 'the link was closed while a request was outstanding',
  E_LINK_TIMEOUT: 'no answer to a request within its timeout',
  E_HANDSHAKE_TIMEOUT: 'no hello answer from the hardware within the handshake timeout',
  E_DEVICE_UNKNOWN: 'the device is not in the hardware hello device table',
  E_OP_UNKNOWN: 'the device does not offer that op',
  E_REMOTE_REFUSED: 'the peer answered the request with an error frame',
  E_CLOCK_PAST: 'a virtual clock was asked to run back in time',

  // Raised above the HAL (the one registry serves the whole repository).
  E_CONFIG_INVALID: 'the agent configuration failed validation; each issue names the field and what it allows',
  E_FSW_CONFIG_INVALID: 'the fsw configuration (config file, FSW_ environment variables, flags) failed validation; each issue names the file, variable or flag, the field and what it allows',
  E_SCENARIO_INVALID: 'a scenario file failed to parse or validate; each issue names the field and what it allows',
  E_SOCAT_MISSING: 'socat is not on PATH; serving satellites on pseudo-terminals needs it (apt-get install -y socat)',
  E_SERVE_FAILED: 'the emulator could not start serving (pty directory in use, socat failed, a serial port would not open)',
  E_JOURNAL_IO: 'a journal file operation (open, read, write, fdatasync, rename, truncate) failed; after a failed fdatasync the journal refuses further writes until reopened',
  E_JOURNAL_FORMAT: 'the file is not a journal (bad magic or a header too short to be one); it was not read or modified',
  E_JOURNAL_VERSION: 'the file is a journal of a format version this build does not read; it was not read or modified',
  E_JOURNAL_RECORD: 'a record (appended or from snapshot()) is not a plain object with a text `type` that encodes as plain CBOR; nothing was written',
  E_JOURNAL_TOO_LARGE: 'one record is larger than the journal\u2019s max_bytes; nothing was written',
  E_JOURNAL_COMPACT: 'compaction failed because snapshot() threw; the file is unchanged and the record was not written',
  E_JOURNAL_OPTIONS: 'Journal.open was given invalid options (maxBytes too small or not an integer, snapshot not a function, fsync not a boolean)',
  E_JOURNAL_CLOSED: 'the journal was used after close()',
  E_KEY_FILE: 'the constellation key file is missing, unreadable, of the wrong length, not hex, or all zero',
  E_ISL_CONFIG: 'the ISL codec was given invalid options (key length, member list)',
  E_ISL_ENCODE: 'an ISL message, or its counter, QoS, mid or destination, is invalid or cannot be represented; nothing was sent',
  E_ISL_OVERSIZE: 'an ISL frame would be longer than the codec\u2019s maxBytes; nothing was sent',
  E_GROUND_KEY: 'a ground key file (Ed25519 PEM) is missing, unreadable, not PEM, or not an Ed25519 key',
  E_GROUND_COUNTER: 'the ground console\u2019s command-counter file cannot be read, holds no counter, or cannot be written',
  E_GROUND_KEYGEN: 'fsw ground keygen could not write a key pair: a key is already there (never overwritten), or a key file could not be written',
  E_RECORDING_FORMAT: 'the file is not a flight recording (bad magic, or too short to hold the file header)',
  E_RECORDING_VERSION: 'the file is a flight recording of a format version this build does not read',
  E_RECORDING_TORN: 'the flight recording ends inside a record (a crash or a copy cut it short); what precedes the cut is still read',
  E_RECORDING_CORRUPT: 'a flight-recording record failed its CRC or is not a record this build knows, with data after it; reading stopped there',
  E_RECORDING_IO: 'the flight recorder could not write its file (open, write); the agent flies on without recording',
  E_REPORT_IO: 'the run report could not be written (its charting library is missing from node_modules, or the file could not be created)',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base class: every error we raise carries a stable `code`. */
export class HalError extends Error {
  readonly code: ErrorCode;
  readonly detail: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message?: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ERROR_CODES[code], options);
    this.name = 'HalError';
    this.code = code;
    this.detail = detail;
  }
}

/** A request (read, cmd, isl.tx, hello) that got no answer in time. */
export class TimeoutError extends HalError {
  constructor(code: 'E_LINK_TIMEOUT' | 'E_HANDSHAKE_TIMEOUT', message: string, detail?: Record<string, unknown>) {
    super(code, message, detail);
    this.name = 'TimeoutError';
  }
}

/** The peer refused a request with an `error` frame (`remoteCode` is the wire code). */
export class RemoteError extends HalError {
  readonly remoteCode: string;
  constructor(remoteCode: string, message: string, detail?: Record<string, unknown>) {
    super('E_REMOTE_REFUSED', message, { ...detail, remoteCode });
    this.name = 'RemoteError';
    this.remoteCode = remoteCode;
  }
}

/** A frame or body refused on receipt. */
export class FrameError extends HalError {
  constructor(
    code: 'E_FRAME_ESCAPE' | 'E_FRAME_CRC' | 'E_FRAME_OVERSIZE' | 'E_BODY_CBOR' | 'E_BODY_SCHEMA' | 'E_BODY_VERSION' | 'E_BODY_KIND' | 'E_ENCODE_SCHEMA',
    message: string,
    detail?: Record<string, unknown>,
  ) {
    super(code, message, detail);
    this.name = 'FrameError';
  }
}

export function isHalError(e: unknown): e is HalError {
  return e instanceof HalError;
}
