// What one ingest request produced: the one definition the store, the worker protocol, the receiver
// (OTLP partial_success) and any future transport share.

export interface IngestResult {
  /** Records kept (journaled and applied; duplicates of earlier requests count here too). */
  accepted: number;
  /** Items dropped as invalid (reported to the exporter in partial_success). */
  rejected: number;
  /** Why items were rejected (first reason), for partial_success.error_message. */
  rejectMessage?: string;
}
