import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../../errors.js';
import { DOWNLOAD_FILES } from '../../downloads/import-files.js';
import { openDownload } from '../../imports/open-download.js';
import { receiveUpload, type UploadDeps } from '../../imports/receive-upload.js';
import { attachmentDisposition } from '../../storage/content-disposition.js';
import { ImportStatusEnum } from '../../imports/import-view.js';
import { documentAs } from '../openapi-schema.js';
import { errorResponses } from '../responses.js';

// The two routes whose authentication is a signed URL instead of an API key: the upload PUT
// and (for local storage) the downloads. Neither takes an Authorization header.

// Not validated here: a missing or malformed part must be a 403 like any other forgery, not a
// 400, so the signature check (verifySignedRequest) is the only validation. Documented as the
// strings a signed URL carries.
const signedPart = (description: string) => documentAs(z.unknown().optional(), { type: 'string', description });
const SignedQuery = z.object({
  import: signedPart('The import id (signed).'),
  expires: signedPart('Expiry, epoch seconds (signed).'),
  kid: signedPart('Id of the signing key.'),
  signature: signedPart('Hex HMAC-SHA256 over method, path, import and expiry.'),
});

const UploadReceipt = z
  .object({
    object: z.literal('upload'),
    import_id: z.string(),
    status: ImportStatusEnum,
    reason: z.string().nullable(),
    bytes: z.number().int(),
    checksum: z.string(),
  })
  .meta({ id: 'UploadReceipt', description: 'The file was received and stored; the import moved on (queued, or failed on a checksum mismatch).' });

/** The path as it arrived, undecoded: what the signature covers. */
const rawPath = (url: string) => url.split('?')[0] ?? url;

export function uploadRoutes(deps: UploadDeps & { onQueued?: () => void }): FastifyPluginAsyncZod {
  return async (app) => {
    // Encapsulated to this plugin: the body is never parsed or buffered by Fastify, whatever
    // its Content-Type claims (the format is sniffed from the bytes), and is handed to the
    // route as the raw stream. Fastify's bodyLimit does not apply; the storage meter does.
    app.addHook('onRequest', async (req) => {
      req.headers['content-type'] = 'application/octet-stream';
    });
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

    app.put(
      '/uploads/:id',
      {
        schema: {
          operationId: 'uploadImportFile',
          summary: "Upload an async import's file (the signed _upload_url)",
          description:
            'The file as the request body: CSV (`,` `;` tab `|`; UTF-8, UTF-16 with BOM, Windows-1252), XLSX (first sheet), a JSON array or NDJSON. ' +
            'The format is read from the content, never from the name or Content-Type. No Authorization header: the URL is signed. ' +
            'Tampered or expired URL → 403; file already received → 409; past the size limit → 413. The import moves to `queued`.',
          tags: ['imports'],
          security: [],
          params: z.object({ id: z.string() }),
          querystring: SignedQuery,
          // The body (any bytes, never parsed here) is documented in openapi.ts.
          response: { 200: UploadReceipt, ...errorResponses(400, 403, 404, 409, 413, 429, '5xx') },
        },
      },
      async (req, reply) => {
        const length = req.headers['content-length'];
        try {
          const receipt = await receiveUpload(
            deps,
            {
              importId: req.params.id,
              path: rawPath(req.url),
              query: req.query as Record<string, unknown>,
              contentLength: length === undefined ? undefined : Number(length),
            },
            req.raw,
          );
          if (receipt.status === 'queued') deps.onQueued?.();
          return receipt;
        } catch (err) {
          // The client may still be sending; close the connection rather than read the rest.
          if (err instanceof AppError && err.code === 'file_too_large') void reply.header('connection', 'close');
          if (!(err instanceof AppError) && (req.raw.destroyed || req.raw.readableAborted)) {
            throw new AppError('invalid_request', 'The upload was interrupted before the whole file arrived. PUT the file again.');
          }
          throw err;
        }
      },
    );
  };
}

export function downloadRoutes(deps: Omit<UploadDeps, 'config'>): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/downloads/:id/:file',
      {
        schema: {
          operationId: 'downloadImportFile',
          summary: "Download an import's original rows or row errors (a signed URL)",
          description:
            'Minted by `GET /v1/imports/{id}?include_upload_csv=true` (and the other `include_*` flags) when files are stored on local disk; ' +
            'S3 storage hands out presigned URLs of the bucket instead. Streamed as an attachment: `text/csv; charset=utf-8` or `application/json`. ' +
            'No Authorization header: the URL is signed. Tampered or expired → 403; file gone (retention) → 404.',
          tags: ['imports'],
          security: [],
          // `file` is checked after the signature: a changed path is a forgery (403), not a 400.
          params: z.object({
            id: z.string(),
            file: documentAs(z.string(), { type: 'string', enum: [...DOWNLOAD_FILES], description: 'Which file.' }),
          }),
          querystring: SignedQuery,
          response: {
            200: {
              description: 'The file, streamed as an attachment: CSV (with a UTF-8 BOM) for the .csv files, a JSON array for the .json ones.',
              content: {
                'text/csv': { schema: z.string().describe('CSV with a header row; the errors file starts with row, phase, code, field, message.') },
                'application/json': { schema: z.array(z.record(z.string(), z.unknown())).describe('The original rows, or the row errors { row, phase, code, field, message, data }, in row order.') },
              },
            },
            ...errorResponses(403, 404, 429, '5xx'),
          },
        },
      },
      async (req, reply) => {
        const dl = await openDownload(
          deps,
          { importId: req.params.id, path: rawPath(req.url), query: req.query as Record<string, unknown> },
          req.params.file,
        );
        return reply
          .header('content-type', dl.contentType)
          .header('content-disposition', attachmentDisposition(dl.filename))
          .header('x-content-type-options', 'nosniff')
          .header('cache-control', 'private, no-store')
          // A stream is piped as is (Fastify never serialises streams); the cast only satisfies
          // the typed reply, whose 200 schema documents the body as text.
          .send(dl.stream as unknown as string);
      },
    );
  };
}
