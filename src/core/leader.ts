// Leadership across VS Code windows as a pure state machine. Every window runs its own extension
// host; exactly one (the leader) holds the port and the data directory (the store's PID lock makes
// two writers impossible even if this logic were wrong). The host feeds events (probe results, lead
// attempts, a lost leader) and performs the returned actions; it never decides on its own.

export interface ElectionOptions {
  /** Attempts to lead (after "port in use" / "data dir locked") before giving up with an error. */
  maxAttempts: number;
  /** Pause between attempts. Why 250 ms: a closing leader snapshots before it releases the lock
   *  (~0.1 s per 100k rows); 2 s takeover leaves room for ~7 short retries. */
  retryDelayMs: number;
}

export const DEFAULT_ELECTION_OPTIONS: ElectionOptions = { maxAttempts: 40, retryDelayMs: 250 };

export type Role =
  | { kind: 'stopped' }
  | { kind: 'probing' }
  | { kind: 'leading' }
  | { kind: 'leader' }
  | { kind: 'follower' }
  /** The port answers, but not as Claude Code Ledger: another program holds it. */
  | { kind: 'conflict'; message: string }
  | { kind: 'error'; message: string };

export interface ElectionState {
  role: Role;
  port: number;
  /** Failed lead attempts since the last settled role. */
  attempts: number;
}

/** What /api/health on the port said. `unknown`: no clear answer (timeout), try again. */
export type ProbeResult = 'ours' | 'free' | 'foreign' | 'unknown';

export type ElectionEvent =
  | { type: 'start'; port: number }
  | { type: 'probed'; result: ProbeResult; detail?: string }
  | { type: 'leadSucceeded' }
  | { type: 'leadFailed'; reason: 'portInUse' | 'dataDirLocked' | 'other'; message: string }
  | { type: 'leaderLost' }
  | { type: 'retryTimer' }
  | { type: 'stop' };

export type ElectionAction =
  | { type: 'probe' }
  | { type: 'tryLead' }
  | { type: 'follow' }
  | { type: 'scheduleRetry'; delayMs: number }
  | { type: 'reportConflict'; message: string }
  | { type: 'reportError'; message: string }
  /** Stop whatever runs now (leader services or follower client). */
  | { type: 'teardown' };

export function initialElection(port: number): ElectionState {
  return { role: { kind: 'stopped' }, port, attempts: 0 };
}

/**
 * One transition. Events that do not fit the current role (late results of an abandoned attempt)
 * change nothing and return no action: the host may deliver them without tracking epochs.
 */
export function electionStep(
  s: ElectionState,
  e: ElectionEvent,
  o: ElectionOptions = DEFAULT_ELECTION_OPTIONS,
): { state: ElectionState; actions: ElectionAction[] } {
  const role = s.role.kind;
  const to = (r: Role, actions: ElectionAction[], attempts = s.attempts) => ({ state: { ...s, role: r, attempts }, actions });
  const same = { state: s, actions: [] as ElectionAction[] };
  switch (e.type) {
    case 'start': {
      // A (re)start always tears down what runs: the port may have changed.
      const actions: ElectionAction[] = role === 'stopped' ? [{ type: 'probe' }] : [{ type: 'teardown' }, { type: 'probe' }];
      return { state: { role: { kind: 'probing' }, port: e.port, attempts: 0 }, actions };
    }
    case 'stop':
      return role === 'stopped' ? same : to({ kind: 'stopped' }, [{ type: 'teardown' }], 0);
    case 'probed':
      if (role !== 'probing') return same;
      switch (e.result) {
        case 'ours':
          return to({ kind: 'follower' }, [{ type: 'follow' }], 0);
        case 'free':
          return to({ kind: 'leading' }, [{ type: 'tryLead' }]);
        case 'foreign': {
          const message = `Port ${s.port} is used by another program${e.detail ? ` (${e.detail})` : ''}.`;
          return to({ kind: 'conflict', message }, [{ type: 'reportConflict', message }], 0);
        }
        case 'unknown':
          return retryOrFail(s, o, `no clear answer on port ${s.port}${e.detail ? ` (${e.detail})` : ''}`);
      }
    // falls through: unreachable (every ProbeResult handled), kept for noFallthroughCasesInSwitch
    case 'leadSucceeded':
      return role === 'leading' ? to({ kind: 'leader' }, [], 0) : same;
    case 'leadFailed':
      if (role !== 'leading') return same;
      if (e.reason === 'other') {
        return to({ kind: 'error', message: e.message }, [{ type: 'reportError', message: e.message }], 0);
      }
      // Port in use: another window won the race (or a foreign program): re-probe tells which.
      // Data dir locked: another window is still closing (snapshot) or leads on another port.
      return retryOrFail(s, o, e.message);
    case 'retryTimer':
      return role === 'probing' ? { state: s, actions: [{ type: 'probe' }] } : same;
    case 'leaderLost':
      // Take over at once; if another follower is faster, our bind fails and we follow it.
      return role === 'follower' ? to({ kind: 'probing' }, [{ type: 'teardown' }, { type: 'probe' }], 0) : same;
  }
}

function retryOrFail(s: ElectionState, o: ElectionOptions, why: string): { state: ElectionState; actions: ElectionAction[] } {
  const attempts = s.attempts + 1;
  if (attempts >= o.maxAttempts) {
    const message = `Could not start the receiver on port ${s.port} after ${attempts} attempts: ${why}`;
    return { state: { ...s, role: { kind: 'error', message }, attempts: 0 }, actions: [{ type: 'reportError', message }] };
  }
  return { state: { ...s, role: { kind: 'probing' }, attempts }, actions: [{ type: 'scheduleRetry', delayMs: o.retryDelayMs }] };
}
