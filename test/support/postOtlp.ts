// POSTs one OTLP body to a receiver on loopback and resolves with the HTTP status (tests only).
import * as http from 'node:http';

export function postOtlp(port: number, path: string, body: Buffer, contentType = 'application/x-protobuf'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'Content-Type': contentType } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
