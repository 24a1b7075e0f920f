import { test } from 'node:test';
import assert from 'node:assert/strict';
import { electionStep, initialElection, type ElectionAction, type ElectionEvent, type ElectionState } from '../../src/core/leader';

const opts = { maxAttempts: 3, retryDelayMs: 250 };
function run(events: ElectionEvent[], s: ElectionState = initialElection(4318)) {
  const actions: ElectionAction[][] = [];
  for (const e of events) {
    const r = electionStep(s, e, opts);
    s = r.state;
    actions.push(r.actions);
  }
  return { s, actions };
}

test('free port -> lead -> leader', () => {
  const { s, actions } = run([{ type: 'start', port: 4318 }, { type: 'probed', result: 'free' }, { type: 'leadSucceeded' }]);
  assert.equal(s.role.kind, 'leader');
  assert.deepEqual(actions, [[{ type: 'probe' }], [{ type: 'tryLead' }], []]);
});

test('our health answer -> follower; leader lost -> teardown + probe -> take over', () => {
  const { s, actions } = run([
    { type: 'start', port: 4318 },
    { type: 'probed', result: 'ours' },
    { type: 'leaderLost' },
    { type: 'probed', result: 'free' },
    { type: 'leadSucceeded' },
  ]);
  assert.equal(s.role.kind, 'leader');
  assert.deepEqual(actions[1], [{ type: 'follow' }]);
  assert.deepEqual(actions[2], [{ type: 'teardown' }, { type: 'probe' }]);
});

test('two followers race: the loser gets port-in-use, re-probes, follows the winner', () => {
  const { s, actions } = run([
    { type: 'start', port: 4318 },
    { type: 'probed', result: 'ours' },
    { type: 'leaderLost' },
    { type: 'probed', result: 'free' },
    { type: 'leadFailed', reason: 'portInUse', message: 'EADDRINUSE' },
    { type: 'retryTimer' },
    { type: 'probed', result: 'ours' },
  ]);
  assert.equal(s.role.kind, 'follower');
  assert.equal(s.attempts, 0);
  assert.deepEqual(actions[4], [{ type: 'scheduleRetry', delayMs: 250 }]);
  assert.deepEqual(actions[5], [{ type: 'probe' }]);
});

test('data dir still locked by a closing leader: retry, then lead', () => {
  const { s } = run([
    { type: 'start', port: 4318 },
    { type: 'probed', result: 'free' },
    { type: 'leadFailed', reason: 'dataDirLocked', message: 'locked by pid 12' },
    { type: 'retryTimer' },
    { type: 'probed', result: 'free' },
    { type: 'leadSucceeded' },
  ]);
  assert.equal(s.role.kind, 'leader');
});

test('bounded retries end in one error report', () => {
  const locked: ElectionEvent[] = [
    { type: 'probed', result: 'free' },
    { type: 'leadFailed', reason: 'dataDirLocked', message: 'locked by pid 12' },
    { type: 'retryTimer' },
  ];
  const { s, actions } = run([{ type: 'start', port: 4318 }, ...locked, ...locked, ...locked]);
  assert.equal(s.role.kind, 'error');
  const reports = actions.flat().filter((a) => a.type === 'reportError');
  assert.equal(reports.length, 1);
  assert.match((reports[0] as { message: string }).message, /after 3 attempts: locked by pid 12/);
});

test('foreign program on the port -> conflict reported once', () => {
  const { s, actions } = run([{ type: 'start', port: 4318 }, { type: 'probed', result: 'foreign', detail: 'HTTP 404' }]);
  assert.equal(s.role.kind, 'conflict');
  assert.deepEqual(actions[1], [{ type: 'reportConflict', message: 'Port 4318 is used by another program (HTTP 404).' }]);
});

test('other start failure -> error; restart on a new port tears down and probes', () => {
  const { s, actions } = run([
    { type: 'start', port: 4318 },
    { type: 'probed', result: 'free' },
    { type: 'leadFailed', reason: 'other', message: 'schema too new' },
    { type: 'start', port: 4400 },
  ]);
  assert.equal(s.role.kind, 'probing');
  assert.equal(s.port, 4400);
  assert.deepEqual(actions[2], [{ type: 'reportError', message: 'schema too new' }]);
  assert.deepEqual(actions[3], [{ type: 'teardown' }, { type: 'probe' }]);
});

test('late events of an abandoned attempt change nothing', () => {
  const stopped = run([{ type: 'start', port: 4318 }, { type: 'stop' }]).s;
  for (const e of [{ type: 'probed', result: 'free' }, { type: 'leadSucceeded' }, { type: 'leaderLost' }, { type: 'retryTimer' }] as ElectionEvent[]) {
    const r = electionStep(stopped, e, opts);
    assert.equal(r.state, stopped);
    assert.deepEqual(r.actions, []);
  }
  const leader = run([{ type: 'start', port: 1 }, { type: 'probed', result: 'free' }, { type: 'leadSucceeded' }]).s;
  assert.deepEqual(electionStep(leader, { type: 'leaderLost' }, opts).actions, []);
});
