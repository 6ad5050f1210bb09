import { describe, expect, it } from 'vitest';
import { AppError } from '../../src/errors.js';
import { attachmentDisposition } from '../../src/storage/content-disposition.js';
import { ByteMeter, fileTooLarge, formatBytes } from '../../src/storage/meter.js';
import { readAll, sha256Hex, streamOf } from './helpers.js';

describe('attachmentDisposition', () => {
  it('plain ASCII names are quoted as is', () => {
    expect(attachmentDisposition('errors.csv')).toBe('attachment; filename="errors.csv"');
    expect(attachmentDisposition('my file (1).json')).toBe('attachment; filename="my file (1).json"');
  });
  it('non-ASCII, quotes and percent signs get an ASCII fallback plus filename*', () => {
    expect(attachmentDisposition('Rapport "été".csv')).toBe(
      `attachment; filename="Rapport __t__.csv"; filename*=UTF-8''Rapport%20%22%C3%A9t%C3%A9%22.csv`,
    );
    expect(attachmentDisposition('100%.csv')).toBe(`attachment; filename="100_.csv"; filename*=UTF-8''100%25.csv`);
  });
  it('control characters, path separators and empty names are neutralised', () => {
    expect(attachmentDisposition('a\r\nb.csv')).toBe('attachment; filename="ab.csv"');
    expect(attachmentDisposition('../../etc/passwd')).toBe('attachment; filename=".._.._etc_passwd"');
    expect(attachmentDisposition('a\\b')).toBe('attachment; filename="a_b"');
    expect(attachmentDisposition('')).toBe('attachment; filename="download"');
  });
});

describe('ByteMeter', () => {
  it('counts and hashes what passes through', async () => {
    const m = new ByteMeter(100);
    streamOf('hello world').pipe(m);
    expect((await readAll(m)).toString()).toBe('hello world');
    expect(m.result()).toEqual({ bytes: 11, sha256: sha256Hex('hello world') });
    expect(m.result()).toEqual({ bytes: 11, sha256: sha256Hex('hello world') }); // idempotent
  });
  it('file_too_large names the limit in bytes and in binary units', () => {
    const e = fileTooLarge(50 * 1024 * 1024);
    expect(e).toBeInstanceOf(AppError);
    expect(e.code).toBe('file_too_large');
    expect(e.status).toBe(413);
    expect(e.message).toBe('The uploaded file exceeds the size limit of 52428800 bytes (50 MiB).');
    expect(e.details).toEqual({ max_bytes: 52428800 });
    expect(fileTooLarge(10).message).toBe('The uploaded file exceeds the size limit of 10 bytes.');
    expect(formatBytes(1536)).toBe('1.5 KiB');
  });
});
