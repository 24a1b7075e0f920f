// The one entry the store calls: body bytes (already decompressed) -> normalized batch.
import type { IngestOptions, NormalizedBatch, Signal } from './records';
import { decodeRequest, type Encoding } from './decode';
import { normalize } from './normalize';
import { readProtobufRequest } from './protobufRead';

export { OtlpDecodeError } from './decode';

export function decodeAndNormalize(signal: Signal, encoding: Encoding, body: Uint8Array, opts: IngestOptions): NormalizedBatch {
  // Protobuf: one pass that checks wire types while it reads only what normalize needs (protobufRead.ts);
  // decodeRequest (wire type walk + protobufjs' full decode) stays for the forwarder and as the reference.
  const req = encoding === 'protobuf' ? readProtobufRequest(signal, body) : decodeRequest(signal, encoding, body);
  return normalize(signal, req, opts);
}
