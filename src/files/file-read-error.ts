// The one exception the file readers throw for a problem with the file itself (as opposed to
// an I/O failure of the stream that carries it, which propagates untouched). Its `code` is
// the import failure the caller should end the import with: `unreadable_file` when the bytes
// cannot be read as any supported format, `invalid_header` when the header row is unusable.

export type FileReadErrorCode = 'unreadable_file' | 'invalid_header';

export class FileReadError extends Error {
  readonly code: FileReadErrorCode;

  constructor(code: FileReadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FileReadError';
    this.code = code;
  }
}
