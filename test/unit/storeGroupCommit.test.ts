// Group commit (DurableStore.ingestMany, what the DB worker calls for the ingests queued together):
// one journal write for the group, a bad body refused alone with nothing journaled for it, every
// answer the same as ingesting the bodies one by one, and the whole group replayed after a crash.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { OtlpDecodeError } from '../../src/core/otlp/ingest';
import { DurableStore, FILES, type IngestRequest } from '../../src/core/store/durableStore';
import { decodeFrames } from '../../src/core/store/journal';
import { groundTruth, nowOf, payloads, records, sqlJs } from './storeTestSupport';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'ledger-group-'));
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

async function openStore(dir: string, logs: string[] = []) {
  const now = nowOf(records('h-long-session'));
  return DurableStore.open(await sqlJs(), { dataDir: dir, log: (l, m) => logs.push(`${l} ${m}`), now: () => now });
}

/** A SIGKILL: the store object is abandoned (no snapshot) and the lock names a dead process. */
function crash(dir: string) {
  writeFileSync(path.join(dir, FILES.lock), `${deadPid()}\n`);
}

test('ingestMany: one group = the same answers and data as one by one; a bad body is refused alone, nothing journaled for it', async () => {
  const gt = groundTruth('h-long-session');
  const good: IngestRequest[] = payloads('h-long-session').map((p) => ({ signal: p.signal, encoding: p.encoding, body: p.body }));
  const traces = good.find((p) => p.signal === 'traces' && p.encoding === 'protobuf');
  assert.ok(traces, 'the scenario has a protobuf traces request');
  const bad: IngestRequest[] = [
    { signal: 'logs', encoding: 'json', body: Buffer.from('{"resourceLogs": [') }, // torn JSON
    { signal: 'logs', encoding: 'protobuf', body: traces.body }, // a trace export sent to /v1/logs
  ];
  // The bad bodies in the middle and at the end of the group.
  const group = [...good.slice(0, 5), bad[0], ...good.slice(5), bad[1]];

  const one = await openStore(tmp());
  const oneByOne = good.map((p) => one.ingest(p.signal, p.encoding, p.body));

  const dir = tmp();
  const s1 = await openStore(dir);
  const journalBefore = readFileSync(path.join(dir, FILES.journal)).length;
  const answers = s1.ingestMany(group);
  assert.equal(answers.length, group.length);
  const goodAnswers = answers.filter((a, i) => !bad.includes(group[i]));
  assert.deepEqual(goodAnswers, oneByOne, 'each good request gets the answer it gets alone');
  for (const b of bad) {
    const a = answers[group.indexOf(b)];
    assert.ok(a instanceof OtlpDecodeError, `a bad body gets its decode error, got ${JSON.stringify(a)}`);
  }
  assert.match(String((answers[group.indexOf(bad[1])] as Error).message), /wrong path/);

  // The journal holds exactly the good bodies with records, in order; nothing of the bad ones.
  const frames = decodeFrames(readFileSync(path.join(dir, FILES.journal)).subarray(journalBefore)).frames;
  const withRecords = good.filter((_, i) => oneByOne[i].accepted > 0);
  assert.equal(frames.length, withRecords.length);
  frames.forEach((f, i) => {
    assert.equal(f.signal, withRecords[i].signal);
    assert.deepEqual(Buffer.from(f.payload), Buffer.from(withRecords[i].body));
  });

  // Same data as one by one, and the group survives a crash (replayed from the journal).
  const expected = one.query('summary', { range: { key: 'all' } });
  assert.deepEqual(s1.query('summary', { range: { key: 'all' } }), expected);
  crash(dir);
  const logs: string[] = [];
  const s2 = await openStore(dir, logs);
  assert.match(logs.join('\n'), new RegExp(`journal replay: ${withRecords.length} frames`));
  const sum = s2.query('summary', { range: { key: 'all' } });
  assert.deepEqual(sum, expected);
  assert.equal(sum.requests, gt.api_requests.count);
  assert.equal(sum.costUsd.toFixed(12), gt.api_requests.cost_usd.toFixed(12));
  s2.close();
  one.close();
});

test('ingestMany: a group of only bad bodies journals nothing; an empty request is answered without a frame', async () => {
  const dir = tmp();
  const s = await openStore(dir);
  const answers = s.ingestMany([
    { signal: 'metrics', encoding: 'json', body: Buffer.from('not json') },
    { signal: 'traces', encoding: 'json', body: Buffer.from('{}') }, // valid, empty: nothing to store
  ]);
  assert.ok(answers[0] instanceof OtlpDecodeError);
  assert.deepEqual(answers[1], { accepted: 0, rejected: 0 });
  assert.equal(readFileSync(path.join(dir, FILES.journal)).length, 0);
  s.close();
});
