export type DbErrorCode =
  | 'MIGRATION_CHECKSUM_MISMATCH'
  | 'MIGRATION_MISSING'
  | 'MIGRATION_BAD_NAME'
  | 'MIGRATION_FAILED'
  | 'MIGRATIONS_DIR_NOT_FOUND'
  | 'DB_NOT_FOUND';

/** Broken database infrastructure: start-up stops and prints `code: message`, never a stack. */
export class DbError extends Error {
  override readonly name = 'DbError';
  readonly code: DbErrorCode;

  constructor(code: DbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
