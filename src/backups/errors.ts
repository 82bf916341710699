/** Why a backup operation could not be done (the message says what to do about it). */
export type BackupErrorKind = 'not_found' | 'tool_missing' | 'in_use' | 'unsupported' | 'failed';

export class BackupError extends Error {
  constructor(
    readonly kind: BackupErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}
