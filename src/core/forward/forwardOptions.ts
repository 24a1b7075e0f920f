// Every limit of forwarding in one place, each with its default and the reason for it.
import type { ForwardContent } from '../../protocol/dto';
import { DEFAULT_RETRY_OPTIONS, type RetryOptions } from './retryPolicy';

export interface ForwardSettings {
  /** OTLP/HTTP base URL, checked by parseEndpoint. */
  endpoint: string;
  /** Header name -> value (secret values: never logged, never in argv). */
  headers: Record<string, string>;
  content: ForwardContent;
  /** Past this the oldest frames are dropped (counted, logged, shown). */
  maxBacklogBytes: number;
}

export interface ForwardLimits extends RetryOptions {
  /** A request not answered in this time is cut and retried (a stalled upstream cannot hold the queue). */
  requestTimeoutMs: number;
  /** Bytes of an upstream's answer read (a partial_success or an error message); the rest is discarded. */
  maxResponseBytes: number;
  /** Backstop poll of the spool when no wake-up came (the leader wakes the forwarder after each ingest). */
  idlePollMs: number;
  /**
   * After a wake-up the forwarder waits this long before reading: Claude Code exports its three signals in
   * a burst, which is then journaled without the forwarder competing for the CPU, and sent back to back.
   */
  lingerMs: number;
  /** The cursor file is rewritten at most this often while a backlog drains (always when it empties). */
  cursorWriteMs: number;
}

export const DEFAULT_FORWARD_LIMITS: ForwardLimits = {
  ...DEFAULT_RETRY_OPTIONS,
  requestTimeoutMs: 30_000, // the OTLP SDK exporters' default timeout is 10 s; a slow collector gets 30 s
  maxResponseBytes: 64 * 1024, // a google.rpc.Status or partial_success is a few hundred bytes
  idlePollMs: 5_000,
  lingerMs: 100,
  cursorWriteMs: 250, // a crash re-sends at most ~250 ms of requests more (at least once either way)
};

/** The default of claudeLedger.forward.maxBacklogMB: hours of a busy team member's telemetry. */
export const DEFAULT_MAX_BACKLOG_MB = 512;
