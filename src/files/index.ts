// The files module's public surface: reading uploads as rows, and writing downloads.

export { parseDataUrl } from './data-url.js';
export { FileReadError, type FileReadErrorCode } from './file-read-error.js';
export { openRows } from './open-rows.js';
export {
  PARSE_ERROR_KEY,
  type FileFormat,
  type OpenedRowSource,
  type ReadLimits,
  type RowSource,
  type SourceRow,
} from './row-source.js';
export { csvSafeCell, csvStream } from './writers/csv-stream.js';
export { jsonArrayStream } from './writers/json-array-stream.js';
