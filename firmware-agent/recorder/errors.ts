import { ERROR_CODES } from '../../hal/errors.js';

/** The flight recorder's slice of the central error registry (`hal/errors.ts`, `docs/errors.md`). */
export const RECORDING_ERROR_CODES = {
  E_RECORDING_FORMAT: ERROR_CODES.E_RECORDING_FORMAT,
  E_RECORDING_VERSION: ERROR_CODES.E_RECORDING_VERSION,
  E_RECORDING_TORN: ERROR_CODES.E_RECORDING_TORN,
  E_RECORDING_CORRUPT: ERROR_CODES.E_RECORDING_CORRUPT,
  E_RECORDING_IO: ERROR_CODES.E_RECORDING_IO,
} as const;

export type RecordingErrorCode = keyof typeof RECORDING_ERROR_CODES;

export class RecordingError extends Error {
  readonly code: RecordingErrorCode;
  readonly detail: Record<string, unknown> | undefined;
  constructor(code: RecordingErrorCode, message?: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? RECORDING_ERROR_CODES[code], options);
    this.name = 'RecordingError';
    this.code = code;
    this.detail = detail;
  }
}

export function isRecordingError(e: unknown): e is RecordingError {
  return e instanceof RecordingError;
}
