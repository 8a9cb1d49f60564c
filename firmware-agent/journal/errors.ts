/**
 * The journal's error codes. Stable: logs, metrics, tests and docs name the same thing; a
 * retired code is never reused. They are to be merged into the central registry
 * (`hal/errors.ts`, `docs/errors.md`) by whoever owns it; until then this is their one home.
 */
export const JOURNAL_ERROR_CODES = {
  E_JOURNAL_IO: 'a journal file operation (open, read, write, fdatasync, rename, truncate) failed; after a failed fdatasync the journal refuses further writes until reopened',
  E_JOURNAL_FORMAT: 'the file is not a journal (bad magic or a header too short to be one); it was not read or modified',
  E_JOURNAL_VERSION: 'the file is a journal of a format version this build does not read; it was not read or modified',
  E_JOURNAL_RECORD: 'a record (appended or from snapshot()) is not a plain object with a text `type` that encodes as plain CBOR; nothing was written',
  E_JOURNAL_TOO_LARGE: 'one record is larger than the journal\u2019s max_bytes; nothing was written',
  E_JOURNAL_COMPACT: 'compaction failed because snapshot() threw; the file is unchanged and the record was not written',
  E_JOURNAL_OPTIONS: 'Journal.open was given invalid options (maxBytes too small or not an integer, snapshot not a function, fsync not a boolean)',
  E_JOURNAL_CLOSED: 'the journal was used after close()',
} as const;

export type JournalErrorCode = keyof typeof JOURNAL_ERROR_CODES;

/** Every error the journal throws: a stable `code`, a message and optional detail. */
export class JournalError extends Error {
  readonly code: JournalErrorCode;
  readonly detail: Record<string, unknown> | undefined;
  constructor(code: JournalErrorCode, message?: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? JOURNAL_ERROR_CODES[code], options);
    this.name = 'JournalError';
    this.code = code;
    this.detail = detail;
  }
}

export function isJournalError(e: unknown, code?: JournalErrorCode): e is JournalError {
  return e instanceof JournalError && (code === undefined || e.code === code);
}
