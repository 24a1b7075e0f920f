// A raw gRPC unary call over node:http2, for bad input the real exporters never send (a gzip bomb
// built as bytes, a foreign :authority, a truncated message, an unknown method). Test code only: the
// good paths use the real OpenTelemetry gRPC exporters and @grpc/grpc-js' own client.
import * as http2 from 'node:http2';
import { gzipSync } from 'node:zlib';

export interface GrpcRawAnswer {
  /** grpc-status from the trailers (or the headers, for a trailers-only answer). */
  code: number;
  message: string;
  /** The response message (without the 5-byte frame header), when one came. */
  body: Buffer;
}

export interface GrpcRawOptions {
  /** gzip the message and flag it compressed; or `compressed` to send bytes that are already gzip. */
  gzip?: boolean;
  compressed?: Buffer;
  authority?: string;
  /** Send only this many bytes of the message, then nothing more (a stalled sender). */
  stallAfter?: number;
}

export function grpcRaw(port: number, path: string, message: Buffer, o: GrpcRawOptions = {}): Promise<GrpcRawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const payload = o.compressed ?? (o.gzip ? gzipSync(message) : message);
    const compressed = o.compressed !== undefined || o.gzip === true;
    const head = Buffer.alloc(5);
    head.writeUInt8(compressed ? 1 : 0, 0);
    head.writeUInt32BE(payload.length, 1);
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': path,
      ':authority': o.authority ?? `127.0.0.1:${port}`,
      'content-type': 'application/grpc',
      te: 'trailers',
    };
    if (compressed) headers['grpc-encoding'] = 'gzip';
    const req = session.request(headers);
    let status: { code?: number; message?: string } = {};
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h['grpc-status'] !== undefined) status = { code: Number(h['grpc-status']), message: decodeURIComponent(String(h['grpc-message'] ?? '')) };
    };
    req.on('response', take);
    req.on('trailers', take);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const finish = () => {
      // destroy, not close: a stalled sender's stream is still open on our side.
      session.destroy();
      if (status.code === undefined) {
        reject(new Error('no grpc-status'));
        return;
      }
      const all = Buffer.concat(chunks);
      resolve({ code: status.code, message: status.message ?? '', body: all.length >= 5 ? all.subarray(5, 5 + all.readUInt32BE(1)) : Buffer.alloc(0) });
    };
    req.on('end', finish);
    req.on('error', (err) => (status.code !== undefined ? finish() : reject(err)));
    // The server may answer (RESOURCE_EXHAUSTED) and reset the stream before it read everything.
    req.write(head);
    if (o.stallAfter !== undefined) req.write(payload.subarray(0, o.stallAfter));
    else req.end(payload);
  });
}
