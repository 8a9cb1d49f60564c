import { ERROR_CODES, HalError } from '../../hal/errors.js';

/** The flight recorder's slice of the central error registry (`hal/errors.ts`, `docs/errors.md`). */
export const RECORDING_ERROR_CODES = {
  E_RECORDING_FORMAT: ERROR_CODES.E_RECORDING_FORMAT,
  E_RECORDING_VERSION: ERROR_CODES.E_RECORDING_VERSION,
  E_RECORDING_TORN: ERROR_CODES.E_RECORDING_TORN,
  E_RECORDING_CORRUPT: ERROR_CODES.E_RECORDING_CORRUPT,
  E_RECORDING_IO: ERROR_CODES.E_RECORDING_IO,
} as const;

export type RecordingErrorCode = keyof typeof RECORDING_ERROR_CODES;

export class RecordingError extends HalError {
  declare readonly code: RecordingErrorCode;
  constructor(code: RecordingErrorCode, message?: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(code, message, detail, options);
    this.name = 'RecordingError';
  }
}

export function isRecordingError(e: unknown): e is RecordingError {
  return e instanceof RecordingError;
}
