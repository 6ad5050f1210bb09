import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

// The JSON body parser for the API, replacing Fastify's default one for three reasons
// (issue 18 items 4 and 8):
//  - depth: the text's nesting is measured before parsing, so a body nested 10,000 deep is a
//    400 naming the limit rather than a value that later steps recurse through (a 500);
//  - "__proto__": JSON.parse keeps such a key as an own property (no prototype is touched), so
//    a row keeps it and the errors file shows the row as uploaded; Fastify's default refuses
//    the whole body instead;
//  - the sync checksum is computed over the bytes of `data` as sent, so the raw text of the
//    top-level "data" member is kept for the request (rawSyncData).

const rawData = new WeakMap<FastifyRequest, string>();

/** The text of the body's top-level "data" member exactly as sent, if the body had one. */
export function rawSyncData(req: FastifyRequest): string | undefined {
  return rawData.get(req);
}

/** `maxDepth`: levels a body may nest (the body object is level 1). */
export function registerJsonBody(app: FastifyInstance, maxDepth: number): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new AppError('invalid_request', 'The request body is empty; send a JSON object with Content-Type: application/json.'), undefined);
      return;
    }
    try {
      const span = scanBody(text, maxDepth);
      const parsed: unknown = JSON.parse(text);
      if (span) rawData.set(req, text.slice(span.start, span.end));
      done(null, parsed);
    } catch (err) {
      if (err instanceof AppError) done(err, undefined);
      else done(new AppError('invalid_request', `The request body is not valid JSON: ${(err as Error).message}.`), undefined);
    }
  });
}

/**
 * Walks the text once: fails past `maxDepth`, and finds where the value of the top-level
 * "data" member starts and ends (the last one, as JSON.parse keeps the last of duplicates).
 */
export function scanBody(text: string, maxDepth: number): { start: number; end: number } | undefined {
  let depth = 0;
  let inString = false;
  let escaped = false;
  let stringStart = -1;
  let expectKey = false;
  let key: string | undefined;
  let valueStart = -1;
  let span: { start: number; end: number } | undefined;
  const endValue = (at: number) => {
    if (key === 'data' && valueStart >= 0) {
      let s = valueStart;
      let e = at;
      while (s < e && /\s/.test(text[s]!)) s++;
      while (e > s && /\s/.test(text[e - 1]!)) e--;
      span = { start: s, end: e };
    }
    key = undefined;
    valueStart = -1;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 0x5c) escaped = true;
      else if (c === 0x22) {
        inString = false;
        if (depth === 1 && expectKey) {
          key = JSON.parse(text.slice(stringStart, i + 1)) as string;
          expectKey = false;
        }
      }
      continue;
    }
    switch (c) {
      case 0x22:
        inString = true;
        stringStart = i;
        break;
      case 0x7b: // {
      case 0x5b: // [
        depth++;
        if (depth > maxDepth) {
          throw new AppError('invalid_request', `The request body nests arrays/objects deeper than ${maxDepth} levels (the limit MAX_JSON_DEPTH counts from the rows).`, [
            { field: 'data', message: `nested deeper than ${maxDepth} levels` },
          ]);
        }
        if (depth === 1) expectKey = c === 0x7b;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        if (depth === 1) endValue(i);
        depth--;
        break;
      case 0x3a: // :
        if (depth === 1) valueStart = i + 1;
        break;
      case 0x2c: // ,
        if (depth === 1) {
          endValue(i);
          expectKey = true;
        }
        break;
    }
  }
  return span;
}
