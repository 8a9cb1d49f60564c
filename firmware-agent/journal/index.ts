/** The journal: persistence across reboot (see README.md). */
export { Journal, journalOptions, MIN_MAX_BYTES, type JournalOptions, type JournalReplay, type JournalStats, type AppendOptions, type JournalRecord } from './journal.js';
export { JournalError, JOURNAL_ERROR_CODES, isJournalError, type JournalErrorCode } from './errors.js';
export { FORMAT_VERSION, MAGIC, HEADER_BYTES, RECORD_HEADER_BYTES, MAX_RECORD_BYTES, type ScanStop } from './format.js';
