/**
 * The object asked for does not exist. Storage's own error, not an HTTP one: what it means to a
 * caller (a 404 download, an import whose file is gone) is the caller's to say.
 */
export class StorageNotFound extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`No object "${key}" in storage.`);
    this.name = 'StorageNotFound';
    this.key = key;
  }
}
