// Sync imports may send a file inline as a base64 data URL. Only the base64 form is accepted:
// percent-encoded data URLs exist but nobody sends a spreadsheet that way, and accepting them
// would mean guessing a charset for bytes that are then sniffed again anyway.

import { FileReadError } from './file-read-error.js';

const EXPECTED = 'data must be an array of objects or a base64 data URL such as data:text/csv;base64,…';

// `data:` + optional media type with optional parameters (e.g. `;charset=utf-8`) + `;base64,`.
const DATA_URL = /^data:([^,;]*(?:;[^,;=]+=[^,;]*)*);base64,/i;
// Standard and URL-safe alphabets, optional padding; whitespace is stripped before the test.
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function parseDataUrl(dataUrl: string): Buffer {
  const match = DATA_URL.exec(dataUrl);
  if (!match) throw new FileReadError('unreadable_file', EXPECTED);
  const payload = dataUrl.slice(match[0].length).replace(/\s+/g, '');
  // Buffer.from(…, 'base64') silently skips invalid characters; check first so that a mangled
  // payload fails here with a clear message instead of as an unreadable file later.
  if (!BASE64.test(payload) || payload.length % 4 === 1) throw new FileReadError('unreadable_file', EXPECTED);
  return Buffer.from(payload, 'base64');
}
