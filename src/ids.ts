import { uuidv7 } from 'uuidv7';

/** `prefix` + a time-sortable unique id (UUIDv7, hex without dashes). */
export function newId(prefix: string): string {
  return prefix + uuidv7().replace(/-/g, '');
}
