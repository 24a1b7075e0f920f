// Runs the pure election (src/core/leader.ts) with real effects: probing the port, starting the
// leader services (store + receiver + MCP) or following the leader over /api. It exposes one stable
// QueryApi and one "data changed" event to the rest of the host, whichever role this window has, so
// the status bar, dashboard and MCP provider never hold a reference that a takeover would stale.
// No `vscode` import: the owner (extension.ts) turns problems into notifications.
import type { ImportSummary } from '../../core/transcripts/importSummary';
import type { ImportProgress } from '../transcripts/transcriptImporter';
import type { Logger } from '../../core/log';
import { tagged } from '../../core/log';
import {
  DEFAULT_ELECTION_OPTIONS,
  electionStep,
  initialElection,
  type ElectionAction,
  type ElectionEvent,
  type ElectionOptions,
  type ElectionState,
  type ProbeResult,
} from '../../core/leader';
import type { GrpcListenState, ReceiverState } from '../../core/statusText';
import type { QueryApi, QueryMethods, QueryName, RangeSpec } from '../../protocol/dto';
import { LeaderClient, probePort, type HealthDto } from '../leaderClient';

export type ExportRows = AsyncIterable<Record<string, string | number | null>[]>;

/** What a leader window runs: store + server (+ MCP inside the server). */
/** What the host needs of the transcript importer (TranscriptImporter implements it). */
export interface TranscriptHistory {
  importNow(opts?: { onProgress?: (p: ImportProgress) => void; isCancelled?: () => boolean }): Promise<ImportSummary>;
  onDidImport(fn: (s: ImportSummary) => void): () => void;
}

export interface LeaderServices extends QueryApi {
  onDidChange(fn: (dataVersion: number) => void): () => void;
  rows(dataset: string, range: RangeSpec): ExportRows;
  clearAll(): Promise<void>;
  /** Transcript import and follow (absent when claudeLedger.transcripts.enabled is off). */
  transcripts?: TranscriptHistory;
  /** Current dataVersion (to seed views). */
  dataVersion(): number;
  /** The OTLP/gRPC receiver beside the HTTP one (shown in the tooltip). */
  grpc?: GrpcListenState;
  /** Closes the server, then flushes and closes the store (final snapshot, lock released). */
  close(): Promise<void>;
}

export type LeadFailure = 'portInUse' | 'dataDirLocked' | 'other';

export interface LeadershipDeps {
  log: Logger;
  token: string;
  /** Opens the store (takes the data-dir lock), then binds the port. Throws on failure. */
  startLeader(port: number): Promise<LeaderServices>;
  /** Maps a startLeader error to the election's reasons. */
  classifyFailure(err: unknown): LeadFailure;
  probe?: (port: number) => Promise<{ result: ProbeResult; detail?: string; health?: HealthDto }>;
  election?: Partial<ElectionOptions>;
  /** Called once per conflict / error episode (the host shows one notification). */
  onProblem?: (p: { kind: 'conflict' | 'error'; port: number; message: string }) => void;
}

type Current =
  | { kind: 'leader'; svc: LeaderServices; unsubscribe: () => void }
  | { kind: 'follower'; client: LeaderClient; stopWatch: () => void; dataVersion: number };

export class NotReadyError extends Error {
  override name = 'NotReadyError';
}

export class Leadership implements QueryApi {
  private es: ElectionState;
  private readonly opts: ElectionOptions;
  private readonly log: Logger;
  private current: Current | undefined;
  private closing: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private generation = 0;
  private lastHealth: HealthDto | undefined;
  private readonly stateListeners = new Set<(s: ReceiverState) => void>();
  private readonly dataListeners = new Set<(v: number) => void>();
  private readyWaiters: (() => void)[] = [];

  constructor(private readonly deps: LeadershipDeps) {
    this.opts = { ...DEFAULT_ELECTION_OPTIONS, ...deps.election };
    this.es = initialElection(0);
    this.log = tagged(deps.log, 'leadership');
  }

  /** Starts (or restarts, e.g. on a port change) on `port`. */
  start(port: number): void {
    this.dispatch({ type: 'start', port });
  }

  get receiverState(): ReceiverState {
    const r = this.es.role;
    switch (r.kind) {
      case 'leader': {
        const grpc = this.current?.kind === 'leader' ? this.current.svc.grpc : undefined;
        return grpc ? { kind: 'listening', port: this.es.port, grpc } : { kind: 'listening', port: this.es.port };
      }
      case 'follower':
        return { kind: 'follower', port: this.es.port };
      case 'conflict':
      case 'error':
        return { kind: 'error', message: r.message, port: this.es.port };
      default:
        return { kind: 'starting' };
    }
  }

  get role(): 'leader' | 'follower' | undefined {
    return this.current?.kind;
  }

  get port(): number {
    return this.es.port;
  }

  onDidChangeState(fn: (s: ReceiverState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** Fires with the dataVersion after data changed, and when the role changed (views refetch). */
  onDidChangeData(fn: (dataVersion: number) => void): () => void {
    this.dataListeners.add(fn);
    return () => this.dataListeners.delete(fn);
  }

  /** MCP endpoint of whichever window leads (this one or another), when known. */
  endpoint(): { url: string; token: string } | undefined {
    return this.current ? { url: `http://127.0.0.1:${this.es.port}/mcp`, token: this.deps.token } : undefined;
  }

  async query<M extends QueryName>(method: M, params: QueryMethods[M]['params']): Promise<QueryMethods[M]['result']> {
    const c = await this.ready();
    return c.kind === 'leader' ? c.svc.query(method, params) : c.client.query(method, params);
  }

  async *rows(dataset: string, range: RangeSpec): ExportRows {
    const c = await this.ready();
    yield* c.kind === 'leader' ? c.svc.rows(dataset, range) : c.client.rows(dataset, range);
  }

  async clearAll(): Promise<void> {
    const c = await this.ready();
    if (c.kind !== 'leader') {
      // The leader's /api has no clear route: a destructive call stays with the window owning the data.
      throw new Error('Clear All Data runs in the VS Code window that receives the telemetry (the one whose status bar tooltip says "receiving"). Run it there.');
    }
    await c.svc.clearAll();
  }

  /** The leader's transcript importer; undefined in a follower window or when transcripts are off. */
  transcripts(): TranscriptHistory | undefined {
    const c = this.current;
    return c?.kind === 'leader' ? c.svc.transcripts : undefined;
  }

  /** Stops everything; resolves when the store is flushed and the lock released (deactivate awaits this). */
  async dispose(): Promise<void> {
    this.dispatch({ type: 'stop' });
    await this.closing;
  }

  /** Resolves with the current role's services; waits (bounded) while starting or taking over. */
  private ready(timeoutMs = 15_000): Promise<Current> {
    if (this.current) return Promise.resolve(this.current);
    const k = this.es.role.kind;
    // Settled without services: waiting would only delay the error the caller must show.
    if (k === 'error' || k === 'conflict' || k === 'stopped') {
      return Promise.reject(new NotReadyError(`the receiver is not ready (${describe(this.receiverState)})`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== done);
        reject(new NotReadyError(`the receiver is not ready (${describe(this.receiverState)})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        if (this.current) resolve(this.current);
        else reject(new NotReadyError(`the receiver is not ready (${describe(this.receiverState)})`));
      };
      this.readyWaiters.push(done);
    });
  }

  private dispatch(e: ElectionEvent): void {
    const before = this.es.role.kind;
    const { state, actions } = electionStep(this.es, e, this.opts);
    this.es = state;
    if (state.role.kind !== before) this.log.info(`${before} -> ${state.role.kind} (${e.type}) on port ${state.port}`);
    for (const a of actions) this.perform(a);
    if (state.role.kind !== before) {
      const s = this.receiverState;
      for (const fn of this.stateListeners) fn(s);
      if (state.role.kind === 'leader' || state.role.kind === 'follower' || state.role.kind === 'stopped' || state.role.kind === 'error' || state.role.kind === 'conflict') {
        const waiters = this.readyWaiters;
        this.readyWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  private perform(a: ElectionAction): void {
    const gen = this.generation;
    const port = this.es.port;
    switch (a.type) {
      case 'teardown':
        this.teardown();
        return;
      case 'probe': {
        const probe = this.deps.probe ?? ((p: number) => probePort(p));
        // Wait for our own previous leader to close, or the probe would find ourselves.
        void this.closing
          .then(() => probe(port))
          .then(
            (r) => {
              if (gen !== this.generation) return;
              this.lastHealth = r.health;
              this.dispatch({ type: 'probed', result: r.result, detail: r.detail });
            },
            (err: unknown) => {
              if (gen !== this.generation) return;
              this.dispatch({ type: 'probed', result: 'unknown', detail: (err as Error).message });
            },
          );
        return;
      }
      case 'tryLead':
        this.deps.startLeader(port).then(
          (svc) => {
            if (gen !== this.generation) {
              // Abandoned attempt (stop/restart meanwhile): release what it took.
              this.closing = this.closing.then(() => svc.close()).catch((err: unknown) => this.log.error(`closing an abandoned start: ${(err as Error).message}`));
              return;
            }
            const unsubscribe = svc.onDidChange((v) => this.fireData(v));
            this.current = { kind: 'leader', svc, unsubscribe };
            this.dispatch({ type: 'leadSucceeded' });
            this.fireData(svc.dataVersion());
          },
          (err: unknown) => {
            if (gen !== this.generation) return;
            const reason = this.deps.classifyFailure(err);
            const message = (err as Error)?.message ?? String(err);
            (reason === 'other' ? this.log.error : this.log.info)(`could not lead on port ${port} (${reason}): ${message}`);
            this.dispatch({ type: 'leadFailed', reason, message });
          },
        );
        return;
      case 'follow': {
        const client = new LeaderClient({ port, token: this.deps.token });
        const since = this.lastHealth?.dataVersion ?? -1;
        this.log.info(`following the leader on port ${port} (pid ${this.lastHealth?.pid ?? '?'})`);
        const cur: Current = { kind: 'follower', client, stopWatch: () => undefined, dataVersion: since };
        cur.stopWatch = client.watch(
          since,
          (v) => {
            cur.dataVersion = v;
            this.fireData(v);
          },
          (why) => {
            if (gen !== this.generation) return;
            this.log.info(`leader on port ${port} lost (${why.message}); trying to take over`);
            this.dispatch({ type: 'leaderLost' });
          },
        );
        this.current = cur;
        this.fireData(since);
        return;
      }
      case 'scheduleRetry':
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => {
          if (gen === this.generation) this.dispatch({ type: 'retryTimer' });
        }, a.delayMs);
        return;
      case 'reportConflict':
        this.log.error(a.message);
        this.deps.onProblem?.({ kind: 'conflict', port, message: a.message });
        return;
      case 'reportError':
        this.log.error(a.message);
        this.deps.onProblem?.({ kind: 'error', port, message: a.message });
        return;
    }
  }

  private teardown(): void {
    this.generation++;
    clearTimeout(this.retryTimer);
    const c = this.current;
    this.current = undefined;
    if (!c) return;
    if (c.kind === 'follower') {
      c.stopWatch();
      return;
    }
    c.unsubscribe();
    this.closing = this.closing
      .then(() => c.svc.close())
      .then(
        () => this.log.info('leader services closed (store flushed, lock released)'),
        (err: unknown) => this.log.error(`closing the leader services failed: ${(err as Error)?.stack ?? String(err)}`),
      );
  }

  private fireData(v: number): void {
    for (const fn of this.dataListeners) {
      try {
        fn(v);
      } catch (err) {
        this.log.error(`data listener failed: ${(err as Error)?.stack ?? String(err)}`);
      }
    }
  }
}

function describe(s: ReceiverState): string {
  return s.kind === 'error' ? `error: ${s.message}` : s.kind;
}
