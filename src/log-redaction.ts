import type { LoggerOptions } from 'pino';
import type { Config } from './config.js';

// What the JSON log may hold. No line carries a whole API key or a signed URL's signature:
//  - requests are logged with their URL's secret query parameters replaced (our own signed
//    upload/download URLs: `signature`; S3 presigned ones: X-Amz-Signature, -Credential,
//    -Security-Token), and never with their headers (Authorization);
//  - as a last guard, every line is scrubbed before it is written: anything shaped like one of
//    our keys keeps its first characters only (what `keys list` shows as the prefix), and any
//    signature parameter, wherever it appears (an error message quoting a URL), is replaced.

const SECRET_PARAMS = /([?&](?:signature|x-amz-signature|x-amz-credential|x-amz-security-token)=)[^&\s"'\\]*/gi;
// sk_ then 43 base64url characters; the first 7 stay, as in the listing's prefix.
const API_KEY = /\b(sk_[A-Za-z0-9_-]{7})[A-Za-z0-9_-]{8,}/g;

export function scrubSecrets(text: string): string {
  return text.replace(SECRET_PARAMS, '$1[redacted]').replace(API_KEY, '$1…');
}

interface LoggedRequest {
  method: string;
  url: string;
  hostname?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

export function loggerOptions(level: Config['logLevel']): LoggerOptions {
  return {
    level,
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'api_key', '*.api_key'], censor: '[redacted]' },
    serializers: {
      req: (req: LoggedRequest) => ({
        method: req.method,
        url: scrubSecrets(req.url),
        host: req.hostname,
        remoteAddress: req.ip,
        remotePort: req.socket?.remotePort,
      }),
    },
    hooks: { streamWrite: scrubSecrets },
  };
}
