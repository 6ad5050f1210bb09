// Object keys: the single place that decides what a storage key may look like.
//
// Both adapters call `safeKey` (and `safePrefix`, which is built on it) before touching anything,
// so a key that is unsafe on local disk is rejected on S3 too and the two behave alike.
// The local adapter's `safeKeyPath` turns a key accepted here into a path under its root.

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;
const MAX_KEY_LENGTH = 1024; // S3's limit, in bytes (keys here are ASCII)
const MAX_SEGMENT_LENGTH = 255; // common file-name limit

/**
 * Returns `key` unchanged if it is a safe storage key, else throws an `Error`.
 *
 * A key is one or more `/`-separated segments of `[A-Za-z0-9_.-]`; a segment may not be empty
 * (so no leading or trailing `/`, no `//`) and may not start with `.` (so no `.`, `..` or hidden
 * names, which the local adapter reserves for its temp directory).
 */
export function safeKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new Error('Invalid storage key: must be a non-empty string.');
  if (key.length > MAX_KEY_LENGTH) throw new Error(`Invalid storage key: longer than ${MAX_KEY_LENGTH} characters.`);
  for (const segment of key.split('/')) {
    if (segment.length > MAX_SEGMENT_LENGTH || !SEGMENT.test(segment)) {
      throw new Error(
        `Invalid storage key ${JSON.stringify(key)}: keys are "/"-separated segments of [A-Za-z0-9_.-], ` +
          'not empty and not starting with "." (no "..", no absolute paths, no "//").',
      );
    }
  }
  return key;
}

/**
 * Returns `prefix` unchanged if it is a safe key prefix: a safe key, optionally followed by one `/`.
 * The empty prefix ("everything") is refused so a bug can never wipe the whole store.
 */
export function safePrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new Error('Invalid storage prefix: must be a non-empty string (deleting everything is not allowed).');
  }
  safeKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
  return prefix;
}
