/** Send one file to its presigned S3 POST with XHR, which reports upload progress (fetch
 *  does not). Resolves on 2xx, rejects with a readable message otherwise. */
export function uploadFile(upload: { url: string; fields: Record<string, string> }, file: File,
  onProgress: (fraction: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [key, value] of Object.entries(upload.fields)) form.append(key, value);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve();
      } else reject(new Error(`The upload of ${file.name} was refused (${xhr.status}).`));
    };
    xhr.onerror = () => reject(new Error(`The upload of ${file.name} failed: check your connection and try again.`));
    xhr.send(form);
  });
}
