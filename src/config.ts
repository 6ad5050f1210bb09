import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_LIMITS, type ReadLimits } from './files/row-source.js';
import { parseSigningKeys } from './storage/signed-urls.js';

// Environment → one frozen, typed object. Every default lives here, and a bad variable fails
// the start with a message naming it (all bad variables at once, not the first one only).

const int = (def: number) => z.coerce.number().int().nonnegative().default(def);
const ratio = (def: number) => z.coerce.number().min(0).max(1).default(def);

/** A PostgreSQL size as WORKER_WORK_MEM takes it; it is inlined into SET LOCAL, so nothing else may pass. */
export const WORK_MEM_PATTERN = /^\d+(kB|MB|GB)$/;

const EnvSchema = z.object({
  PORT: int(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z.string().url().optional(),
  PUBLIC_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SYNC_MAX_ROWS: int(10_000),
  SYNC_MAX_BYTES: int(10 * 1024 * 1024),
  UPLOAD_MAX_BYTES: int(512 * 1024 * 1024),
  UPLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).default(3600),
  // S3 presigned URLs cannot live longer than 7 days.
  DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(7 * 24 * 3600).default(900),
  RETENTION_DAYS: int(30),
  MASS_DELETE_MAX_RATIO: ratio(0.5),
  // Rows per COPY batch; default by engine (see batchRowsFor in src/pipeline/chunked-phase.ts).
  BATCH_ROWS: z.coerce.number().int().min(1).optional(),
  // Rows per range in the phases that work range by range; default by engine, sized from how
  // long the last range took (see rangeSizesFor in src/pipeline/chunked-phase.ts).
  PHASE_CHUNK_ROWS: z.coerce.number().int().min(1).optional(),
  WORKER_POLL_MS: int(1_000),
  WORKER_LEASE_SECONDS: z.coerce.number().int().min(2).default(60),
  PROCESSING_TIMEOUT_SECONDS: int(3600),
  // Attempts of one import that may end without a result (an error, or a worker that died
  // holding it) before it ends failed with internal_error.
  WORKER_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  // Memory Postgres may use per sort or hash in a phase's statements (Postgres' default, 4MB,
  // makes the joins and window functions of a million-row import spill to disk).
  WORKER_WORK_MEM: z
    .string()
    .regex(WORK_MEM_PATTERN, 'a size such as 64MB (units kB, MB or GB)')
    .default('64MB'),
  SHUTDOWN_GRACE_SECONDS: int(30),
  RUN_WORKER: z.enum(['true', 'false']).optional(),
  SIGNING_KEYS: z.string().optional(),
  STORAGE: z.enum(['local', 's3']).default('local'),
  S3_BUCKET: z.string().optional(),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  S3_PREFIX: z.string().optional(),
  // Unset: a demo organization only for the embedded database (a fresh `npm start`).
  DEMO_ORG: z.enum(['true', 'false']).optional(),
  RATE_LIMIT_PER_MINUTE: int(1200),
  // Reader limits (src/files/row-source.ts): each reader works within these whatever the file says.
  XLSX_MAX_SHARED_STRINGS: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.maxXlsxSharedStrings),
  XLSX_MAX_SHARED_STRING_BYTES: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.maxXlsxSharedStringBytes),
  MAX_COLUMNS: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.maxColumns),
  MAX_CELL_CHARS: z.coerce.number().int().min(1).default(DEFAULT_LIMITS.maxCellChars),
  MAX_JSON_DEPTH: z.coerce.number().int().min(2).default(DEFAULT_LIMITS.maxJsonDepth),
  // Which proxies' X-Forwarded-For / -Proto / -Host are believed: unset or "false" none,
  // "true" any (only when nothing but a proxy can reach the port), a hop count, or addresses/CIDRs.
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d+|[0-9A-Fa-f.:/]+(\s*,\s*[0-9A-Fa-f.:/]+)*)$/, 'true, false, a hop count, or comma-separated addresses/CIDRs')
    .optional(),
  // HTTP time-outs (slow clients must not hold connections): the whole header, the whole
  // request with its body, an idle keep-alive connection, any socket without traffic.
  HEADERS_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(10),
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(120),
  KEEP_ALIVE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(5),
  IDLE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).default(60),
  // Webhooks (README "Webhooks"): outbound requests refuse private, loopback and link-local
  // addresses unless allowed; a short time-out; retries back off from the base for 24 hours.
  WEBHOOK_ALLOW_PRIVATE_ADDRESSES: z.enum(['true', 'false']).default('false'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(10).default(30_000),
  WEBHOOK_GIVE_UP_HOURS: z.coerce.number().positive().default(24),
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  publicUrl: string | undefined;
  logLevel: Env['LOG_LEVEL'];
  limits: {
    syncMaxRows: number;
    syncMaxBytes: number;
    uploadMaxBytes: number;
    massDeleteMaxRatio: number;
  };
  /** What the file readers may spend on one file (see ReadLimits). */
  fileLimits: ReadLimits;
  ttl: { uploadUrlSeconds: number; downloadUrlSeconds: number; retentionDays: number };
  batchRows?: number;
  worker: {
    pollMs: number;
    leaseSeconds: number;
    processingTimeoutSeconds: number;
    /** Attempts that may end without a result before the import fails (WORKER_MAX_FAILURES). */
    maxFailures: number;
    shutdownGraceSeconds: number;
    workMem: string;
    /** Unset: chosen by engine. */
    chunkRows?: number;
  };
  signingKeys: string | undefined;
  storage: Env['STORAGE'];
  s3: { bucket?: string; endpoint?: string; region: string; accessKeyId?: string; secretAccessKey?: string; prefix?: string };
  demoOrg: boolean;
  /** Requests per minute per API key (per client IP without one); 0 turns the limit off. */
  rateLimitPerMinute: number;
  /** Fastify's trustProxy: false (default), true, a hop count, or addresses/CIDRs. */
  trustProxy: boolean | number | string;
  http: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number; idleTimeoutMs: number };
  webhooks: { allowPrivateAddresses: boolean; timeoutMs: number; retryBaseMs: number; giveUpHours: number };
}

export class ConfigError extends Error {}

function parseTrustProxy(v: string | undefined): boolean | number | string {
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((a) => a.trim()).join(',');
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Readonly<Config> {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.STORAGE === 's3' && !e.S3_BUCKET) throw new ConfigError('Invalid configuration:\n  S3_BUCKET: required when STORAGE=s3');
  if (e.SIGNING_KEYS !== undefined) {
    try {
      parseSigningKeys(e.SIGNING_KEYS);
    } catch (err) {
      throw new ConfigError(`Invalid configuration:\n  SIGNING_KEYS: ${(err as Error).message}`);
    }
  }
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    publicUrl: e.PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    limits: {
      syncMaxRows: e.SYNC_MAX_ROWS,
      syncMaxBytes: e.SYNC_MAX_BYTES,
      uploadMaxBytes: e.UPLOAD_MAX_BYTES,
      massDeleteMaxRatio: e.MASS_DELETE_MAX_RATIO,
    },
    fileLimits: {
      maxXlsxSharedStrings: e.XLSX_MAX_SHARED_STRINGS,
      maxXlsxSharedStringBytes: e.XLSX_MAX_SHARED_STRING_BYTES,
      maxColumns: e.MAX_COLUMNS,
      maxCellChars: e.MAX_CELL_CHARS,
      maxJsonDepth: e.MAX_JSON_DEPTH,
    },
    ttl: {
      uploadUrlSeconds: e.UPLOAD_URL_TTL_SECONDS,
      downloadUrlSeconds: e.DOWNLOAD_URL_TTL_SECONDS,
      retentionDays: e.RETENTION_DAYS,
    },
    ...(e.BATCH_ROWS === undefined ? {} : { batchRows: e.BATCH_ROWS }),
    worker: {
      pollMs: e.WORKER_POLL_MS,
      leaseSeconds: e.WORKER_LEASE_SECONDS,
      processingTimeoutSeconds: e.PROCESSING_TIMEOUT_SECONDS,
      maxFailures: e.WORKER_MAX_FAILURES,
      shutdownGraceSeconds: e.SHUTDOWN_GRACE_SECONDS,
      workMem: e.WORKER_WORK_MEM,
      ...(e.PHASE_CHUNK_ROWS === undefined ? {} : { chunkRows: e.PHASE_CHUNK_ROWS }),
    },
    signingKeys: e.SIGNING_KEYS,
    storage: e.STORAGE,
    s3: {
      bucket: e.S3_BUCKET,
      endpoint: e.S3_ENDPOINT,
      region: e.S3_REGION,
      accessKeyId: e.S3_ACCESS_KEY_ID,
      secretAccessKey: e.S3_SECRET_ACCESS_KEY,
      prefix: e.S3_PREFIX,
    },
    demoOrg: e.DEMO_ORG === undefined ? !e.DATABASE_URL : e.DEMO_ORG === 'true',
    rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    http: {
      headersTimeoutMs: e.HEADERS_TIMEOUT_SECONDS * 1000,
      requestTimeoutMs: e.REQUEST_TIMEOUT_SECONDS * 1000,
      keepAliveTimeoutMs: e.KEEP_ALIVE_TIMEOUT_SECONDS * 1000,
      idleTimeoutMs: e.IDLE_TIMEOUT_SECONDS * 1000,
    },
    webhooks: {
      allowPrivateAddresses: e.WEBHOOK_ALLOW_PRIVATE_ADDRESSES === 'true',
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      retryBaseMs: e.WEBHOOK_RETRY_BASE_MS,
      giveUpHours: e.WEBHOOK_GIVE_UP_HOURS,
    },
    ...overrides,
  };
  return Object.freeze(config);
}
