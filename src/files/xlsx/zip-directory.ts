// Reads a zip's central directory: the authoritative list of entries with their sizes. Checked
// against the limits before anything is inflated, so a zip bomb that declares its size honestly
// is refused without doing any work; one that lies is caught while inflating (zip-entries.ts).

import { FileReadError } from '../file-read-error.js';
import type { RandomAccess } from './random-access.js';

export interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  maxUncompressedBytes: number;
  maxEntries: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;

export const corrupted = (detail: string): FileReadError =>
  new FileReadError('unreadable_file', `The XLSX file is corrupted or not an XLSX file (${detail}).`);

export const tooBig = (maxBytes: number): FileReadError =>
  new FileReadError('unreadable_file', `XLSX expands to more than ${maxBytes} bytes.`);

export async function readCentralDirectory(file: RandomAccess, limits: ZipLimits): Promise<ZipEntry[]> {
  const { count, offset, size } = await readEndOfDirectory(file);
  if (count > limits.maxEntries) throw tooManyEntries(limits.maxEntries);
  if (size > MAX_DIRECTORY_BYTES) throw corrupted('central directory too large');
  if (offset + size > file.size) throw corrupted('central directory outside the file');

  const dir = await file.read(offset, size);
  const entries: ZipEntry[] = [];
  let total = 0;
  for (let p = 0; p < dir.length; ) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== CENTRAL_HEADER_SIGNATURE) throw corrupted('bad central directory');
    const nameLength = dir.readUInt16LE(p + 28);
    const extraLength = dir.readUInt16LE(p + 30);
    const commentLength = dir.readUInt16LE(p + 32);
    const next = p + 46 + nameLength + extraLength + commentLength;
    if (next > dir.length) throw corrupted('bad central directory');
    const entry: ZipEntry = {
      name: dir.toString('utf8', p + 46, p + 46 + nameLength),
      flags: dir.readUInt16LE(p + 8),
      method: dir.readUInt16LE(p + 10),
      crc32: dir.readUInt32LE(p + 16),
      compressedSize: dir.readUInt32LE(p + 20),
      uncompressedSize: dir.readUInt32LE(p + 24),
      localHeaderOffset: dir.readUInt32LE(p + 42),
    };
    applyZip64Extra(entry, dir.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    entries.push(entry);
    // Checked as we go: a directory that under-reports its count in the end record still
    // cannot get more entries or bytes past the limits.
    if (entries.length > limits.maxEntries) throw tooManyEntries(limits.maxEntries);
    total += entry.uncompressedSize;
    if (total > limits.maxUncompressedBytes) throw tooBig(limits.maxUncompressedBytes);
    p = next;
  }
  return entries;
}

function tooManyEntries(max: number): FileReadError {
  return new FileReadError('unreadable_file', `XLSX contains more than ${max} files.`);
}

async function readEndOfDirectory(file: RandomAccess): Promise<{ count: number; offset: number; size: number }> {
  const tailLength = Math.min(file.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = file.size - tailLength;
  const tail = await file.read(tailStart, tailLength);
  let at = -1;
  for (let p = tail.length - EOCD_SIZE; p >= 0; p--) {
    if (tail.readUInt32LE(p) === EOCD_SIGNATURE && p + EOCD_SIZE + tail.readUInt16LE(p + 20) <= tail.length) {
      at = p;
      break;
    }
  }
  if (at < 0) throw corrupted('no end of central directory; the file may be truncated');
  if (tail.readUInt16LE(at + 4) !== 0 || tail.readUInt16LE(at + 6) !== 0) throw corrupted('multi-disk zip');
  let count = tail.readUInt16LE(at + 10);
  let size = tail.readUInt32LE(at + 12);
  let offset = tail.readUInt32LE(at + 16);

  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    // ZIP64: the real values are in a ZIP64 end record, found through the locator just before.
    const locatorAt = tailStart + at - 20;
    if (locatorAt < 0) throw corrupted('missing ZIP64 locator');
    const locator = await file.read(locatorAt, 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) throw corrupted('missing ZIP64 locator');
    const recordAt = toSafeNumber(locator.readBigUInt64LE(8));
    const record = await file.read(recordAt, 56);
    if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) throw corrupted('bad ZIP64 end record');
    count = toSafeNumber(record.readBigUInt64LE(32));
    size = toSafeNumber(record.readBigUInt64LE(40));
    offset = toSafeNumber(record.readBigUInt64LE(48));
  }
  return { count, offset, size };
}

// In the ZIP64 extra field (id 1), 8-byte values appear only for the fields that hold
// 0xFFFFFFFF in the fixed header, in this order.
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  const needs = [
    entry.uncompressedSize === 0xffffffff,
    entry.compressedSize === 0xffffffff,
    entry.localHeaderOffset === 0xffffffff,
  ];
  if (!needs.some(Boolean)) return;
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    if (id === 1) {
      let q = p + 4;
      const take = (): number => {
        if (q + 8 > p + 4 + length) throw corrupted('bad ZIP64 extra field');
        const v = toSafeNumber(extra.readBigUInt64LE(q));
        q += 8;
        return v;
      };
      if (needs[0]) entry.uncompressedSize = take();
      if (needs[1]) entry.compressedSize = take();
      if (needs[2]) entry.localHeaderOffset = take();
      return;
    }
    p += 4 + length;
  }
  throw corrupted('missing ZIP64 extra field');
}

function toSafeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupted('size out of range');
  return Number(v);
}
