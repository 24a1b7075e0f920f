// The one entry the store calls: body bytes (already decompressed) -> normalized batch.
import type { IngestOptions, NormalizedBatch, Signal } from './records';
import { decodeRequest, type Encoding } from './decode';
import { normalize } from './normalize';

export { OtlpDecodeError } from './decode';

export function decodeAndNormalize(signal: Signal, encoding: Encoding, body: Uint8Array, opts: IngestOptions): NormalizedBatch {
  return normalize(signal, decodeRequest(signal, encoding, body), opts);
}
