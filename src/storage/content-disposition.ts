// `Content-Disposition: attachment` for downloads, used by the S3 presigned GET and available to
// the API when it serves a file itself, so both paths name the file the same way.

/**
 * `attachment; filename="<ascii fallback>"`, plus `filename*=UTF-8''<encoded>` (RFC 6266 / 5987)
 * when the name is not plain printable ASCII. Quotes, backslashes, control characters and path
 * separators can never end up inside the quoted fallback.
 */
export function attachmentDisposition(filename: string): string {
  const name = String(filename ?? '')
    .replace(/[\u0000-\u001f\u007f]/g, '') // control characters, incl. CR/LF
    .replace(/[\\/]/g, '_')
    .trim();
  const safe = name.length > 0 ? name : 'download';
  const fallback = safe.replace(/[^\u0020-\u007e]/g, '_').replace(/["%]/g, '_');
  if (fallback === safe) return `attachment; filename="${fallback}"`;
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(safe)}`;
}

function encodeRfc5987(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
