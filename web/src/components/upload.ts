import { sameOriginUrl } from '../api/client';

// The file goes to the import's signed upload URL by XMLHttpRequest, the one browser API that
// reports upload progress. No API key: the URL's signature is its authentication.

export interface UploadReceipt {
  status: string;
  bytes: number;
}

export function uploadFile(url: string, file: File, onProgress: (sent: number, total: number) => void, signal?: AbortSignal): Promise<UploadReceipt> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', sameOriginUrl(url));
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      let body: { error?: { message?: string } } & Partial<UploadReceipt> = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // not JSON: described by the status below
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve({ status: body.status ?? 'unknown', bytes: body.bytes ?? file.size });
      else reject(new Error(body.error?.message ?? `The upload was refused (${xhr.status} ${xhr.statusText}).`));
    };
    xhr.onerror = () => reject(new Error('The upload failed: the connection to the API was lost. Try again.'));
    xhr.onabort = () => reject(new Error('The upload was cancelled.'));
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
}
