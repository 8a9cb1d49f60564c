import { ERROR_CODES, HalError } from '../../hal/errors.js';

/**
 * The journal's error codes: its slice of the central registry (`hal/errors.ts`,
 * `docs/errors.md`). Stable: logs, metrics, tests and docs name the same thing; a retired
 * code is never reused.
 */
export const JOURNAL_ERROR_CODES = {
  E_JOURNAL_IO: ERROR_CODES.E_JOURNAL_IO,
  E_JOURNAL_FORMAT: ERROR_CODES.E_JOURNAL_FORMAT,
  E_JOURNAL_VERSION: ERROR_CODES.E_JOURNAL_VERSION,
  E_JOURNAL_RECORD: ERROR_CODES.E_JOURNAL_RECORD,
  E_JOURNAL_TOO_LARGE: ERROR_CODES.E_JOURNAL_TOO_LARGE,
  E_JOURNAL_COMPACT: ERROR_CODES.E_JOURNAL_COMPACT,
  E_JOURNAL_OPTIONS: ERROR_CODES.E_JOURNAL_OPTIONS,
  E_JOURNAL_CLOSED: ERROR_CODES.E_JOURNAL_CLOSED,
} as const;

export type JournalErrorCode = keyof typeof JOURNAL_ERROR_CODES;

/** Every error the journal throws: a stable `code`, a message and optional detail. */
export class JournalError extends HalError {
  declare readonly code: JournalErrorCode;
  constructor(code: JournalErrorCode, message?: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, detail, options);
    this.name = 'JournalError';
  }
}

export function isJournalError(e: unknown, code?: JournalErrorCode): e is JournalError {
  return e instanceof JournalError && (code === undefined || e.code === code);
}
