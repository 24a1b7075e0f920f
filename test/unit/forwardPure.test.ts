// The pure parts of forwarding: endpoint and header parsing, the OTLP retry policy, content stripping,
// the backlog and cursor, and the journal's spool rotation (real files in a temp folder).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { Backlog, parseCursor } from '../../src/core/forward/backlog';
import { checkHeader, parseEndpoint, parseHeaderList, signalUrl } from '../../src/core/forward/endpoint';
import { classifyStatus, DEFAULT_RETRY_OPTIONS, parseRetryAfter, retryDelayMs } from '../../src/core/forward/retryPolicy';
import { quoteBigIntegers, stripContent } from '../../src/core/forward/stripContent';
import { decodeRequest } from '../../src/core/otlp/decode';
import { decodeAndNormalize } from '../../src/core/otlp/ingest';
import { DEFAULT_INGEST_OPTIONS } from '../../src/core/otlp/records';
import { listSegments, removeForwardDir, segmentName, spoolDirOf } from '../../src/core/store/forwardSpool';
import { decodeFrames, JournalFile } from '../../src/core/store/journal';

const FIX = path.join(__dirname, '../fixtures/claude-code-otlp');

test('endpoint: http/https base URLs only, with a clear error; signal paths appended', () => {
  assert.equal(parseEndpoint(' https://collector.example.com:4318/ '), 'https://collector.example.com:4318');
  assert.equal(parseEndpoint('http://127.0.0.1:4318/otlp'), 'http://127.0.0.1:4318/otlp');
  assert.equal(signalUrl('http://h:4318/otlp', 'logs'), 'http://h:4318/otlp/v1/logs');
  assert.throws(() => parseEndpoint('collector:4318'), /only http:\/\/ and https:\/\/|not a URL/);
  assert.throws(() => parseEndpoint('ftp://h'), /only http:\/\/ and https:\/\/ are supported \(got ftp:\)/);
  assert.throws(() => parseEndpoint('not a url'), /is not a URL/);
  assert.throws(() => parseEndpoint('https://u:p@h'), /put credentials in a header/);
  assert.throws(() => parseEndpoint('https://h/?x=1'), /no query or fragment/);
});

test('headers: OTEL_EXPORTER_OTLP_HEADERS format, URL-decoded values, bad entries reported', () => {
  assert.deepEqual(parseHeaderList('Authorization=Basic%20dXNlcjpwYXNz, X-Org = team-a ,,'), {
    headers: { Authorization: 'Basic dXNlcjpwYXNz', 'X-Org': 'team-a' },
    problems: [],
  });
  assert.deepEqual(parseHeaderList('').headers, {});
  assert.deepEqual(parseHeaderList('a=b=c').headers, { a: 'b=c' }, 'only the first = separates');
  const bad = parseHeaderList('novalue,Content-Type=x,Bad Name=1,ok=%E0%A4%A,nl=a%0Ab');
  assert.deepEqual(bad.headers, {});
  assert.equal(bad.problems.length, 5, bad.problems.join(' | '));
  assert.match(bad.problems.join('|'), /Content-Type is set by the forwarder/);
  assert.equal(checkHeader('Authorization', 'Bearer x'), undefined);
  assert.equal(parseHeaderList(Array.from({ length: 40 }, (_, i) => `h${i}=v`).join(',')).problems.length, 1);
});

test('retry policy: 429/502/503/504 retried, every other 4xx/5xx and redirects not', () => {
  for (const s of [200, 202, 204]) assert.equal(classifyStatus(s), 'accepted');
  for (const s of [429, 502, 503, 504]) assert.equal(classifyStatus(s), 'retry', String(s));
  for (const s of [301, 302, 307, 400, 401, 403, 404, 408, 413, 415, 500, 501, 505]) assert.equal(classifyStatus(s), 'reject', String(s));
});

test('Retry-After: seconds or an HTTP date, bounded; backoff exponential with equal jitter, capped', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  assert.equal(parseRetryAfter('3', now, 300_000), 3_000);
  assert.equal(parseRetryAfter('86400', now, 300_000), 300_000, 'bounded');
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 10:00:07 GMT', now, 300_000), 7_000);
  assert.equal(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now, 300_000), 0, 'a date in the past: now');
  assert.equal(parseRetryAfter('soon', now, 300_000), undefined);
  assert.equal(parseRetryAfter(undefined, now, 300_000), undefined);
  const o = DEFAULT_RETRY_OPTIONS;
  assert.equal(retryDelayMs(1, o, () => 0), 500);
  assert.equal(retryDelayMs(1, o, () => 1), 1_000);
  assert.equal(retryDelayMs(3, o, () => 0), 2_000);
  assert.equal(retryDelayMs(3, o, () => 1), 4_000);
  assert.equal(retryDelayMs(50, o, () => 1), o.backoffMaxMs, 'capped');
  assert.equal(retryDelayMs(50, o, () => 0), o.backoffMaxMs / 2, 'at least half the cap');
  assert.equal(retryDelayMs(1, o, () => 0.5, 12_000), 12_000, 'Retry-After wins');
  assert.equal(retryDelayMs(1, o, () => 0.5, 10 * 60_000), o.maxRetryAfterMs);
});

const CONTENT = ['Create hello.py, then improve it', 'I will create the file first', 'greet politely', 'ls -la', 'List files in the working directory', 'print(hello())'];

test('without-content removes prompts, responses, tool inputs, commands (protobuf and JSON) and keeps what the ledger counts', () => {
  const cases: ['logs' | 'traces' | 'metrics', string, 'protobuf' | 'json'][] = [
    ['logs', 'b-write-edit-bash/logs-001.bin', 'protobuf'],
    ['traces', 'b-write-edit-bash/traces-001.bin', 'protobuf'],
    ['metrics', 'b-write-edit-bash/metrics-001.bin', 'protobuf'],
    ['logs', 'f-write-edit-bash-json/logs-001.json', 'json'],
    ['traces', 'f-write-edit-bash-json/traces-001.json', 'json'],
  ];
  for (const [signal, file, encoding] of cases) {
    const raw = readFileSync(path.join(FIX, file));
    const out = Buffer.from(stripContent(signal, encoding, raw));
    for (const c of CONTENT) assert.ok(!out.includes(c), `${file} still has "${c}"`);
    const before = decodeAndNormalize(signal, encoding, raw, { ...DEFAULT_INGEST_OPTIONS, storePromptText: false });
    const after = decodeAndNormalize(signal, encoding, out, { ...DEFAULT_INGEST_OPTIONS, storePromptText: false });
    assert.equal(after.records.length, before.records.length, `${file}: same records`);
    const cost = (b: typeof before) => b.records.reduce((a, r) => a + (((r as unknown as { costUsd?: number }).costUsd) ?? 0), 0);
    assert.equal(cost(after), cost(before), `${file}: same cost`);
    if (signal === 'logs') assert.ok(cost(before) > 0, `${file}: the cost check compares real costs`);
  }
  // The content was there in the first place.
  const raw = readFileSync(path.join(FIX, 'b-write-edit-bash/logs-001.bin'));
  assert.ok(CONTENT.filter((c) => raw.includes(c)).length >= 4);
});

test('without-content: a body that is not the event name is removed; the event-name body stays; big integers keep every digit', () => {
  const json = '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":1795290402002000123,"body":{"stringValue":"secret text"},"attributes":[{"key":"event.name","value":{"stringValue":"x"}},{"key":"api_response_body","value":{"stringValue":"{}"}},{"key":"n","value":{"doubleValue":0.018799999999999997}}]},{"body":{"stringValue":"claude_code.api_request"}}]}]}]}';
  const out = new TextDecoder().decode(stripContent('logs', 'json', new TextEncoder().encode(json)));
  assert.ok(!out.includes('secret text'));
  assert.ok(!out.includes('api_response_body'));
  assert.ok(out.includes('"1795290402002000123"'), out);
  assert.ok(out.includes('claude_code.api_request'));
  assert.ok(out.includes('0.018799999999999997'));
  const d = decodeRequest('logs', 'json', new TextEncoder().encode(out)) as { resourceLogs: { scopeLogs: { logRecords: { timeUnixNano: unknown }[] }[] }[] };
  assert.equal(String(d.resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano), '1795290402002000123');
  assert.equal(quoteBigIntegers('[1,-12345678901234567,1.5e300,"12345678901234567",123456789012345678.5]'), '[1,"-12345678901234567",1.5e300,"12345678901234567",123456789012345678.5]');
});

test('backlog: oldest dropped first to fit the bound; cursor files are checked', () => {
  const b = new Backlog();
  for (let i = 0; i < 10; i++) b.push({ seq: 1 + Math.floor(i / 5), offset: (i % 5) * 100, length: 100 });
  assert.equal(b.bytes, 1000);
  assert.deepEqual(b.dropToFit(650), { requests: 4, bytes: 400 });
  assert.deepEqual(b.peek(), { seq: 1, offset: 400, length: 100 });
  assert.equal(b.requests, 6);
  assert.deepEqual(b.dropToFit(10_000), { requests: 0, bytes: 0 });
  b.shift();
  assert.deepEqual(b.peek(), { seq: 2, offset: 0, length: 100 });
  const good = JSON.stringify({ v: 1, endpoint: 'http://h', seq: 3, offset: 12, sent: 1, rejected: 0, dropped: 2, droppedBytes: 9 });
  assert.equal(parseCursor(good, 'http://h')?.seq, 3);
  assert.equal(parseCursor(good, 'http://other'), undefined, 'another upstream\'s cursor is not used');
  assert.equal(parseCursor('{"v":1,"endpoint":"http://h","seq":-1}', 'http://h'), undefined);
  assert.equal(parseCursor('garbage', 'http://h'), undefined);
});

test('journal with a spool: linked as the highest segment, rotated (not truncated) at a snapshot, repaired after a crash mid-rotation; without: truncated as before', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-spool-'));
  const spool = spoolDirOf(dir);
  const file = path.join(dir, 'journal.bin');
  const frame = (n: number) => ({ signal: 'logs' as const, encoding: 'json' as const, receivedMs: n, payload: new TextEncoder().encode(`{"n":${n}}`) });
  let j = new JournalFile(file, { spoolDir: spool });
  assert.deepEqual(listSegments(spool), [1]);
  j.append(frame(1));
  j.append(frame(2));
  assert.equal(statSync(path.join(spool, segmentName(1))).size, j.bytes, 'the live journal is segment 1 (same inode)');
  j.coveredBySnapshot();
  assert.equal(j.bytes, 0);
  assert.deepEqual(listSegments(spool), [1, 2]);
  assert.equal(decodeFrames(readFileSync(path.join(spool, segmentName(1)))).frames.length, 2, 'segment 1 keeps its frames');
  j.append(frame(3));
  assert.equal(decodeFrames(readFileSync(path.join(spool, segmentName(2)))).frames.length, 1, 'appends go to segment 2');
  assert.equal(j.readAll(() => {}).length, 1, 'replay reads the live journal only');
  j.coveredBySnapshot();
  j.coveredBySnapshot(); // empty: no new segment
  assert.deepEqual(listSegments(spool), [1, 2, 3]);
  j.close();
  // Reopen: the live journal is already segment 3.
  j = new JournalFile(file, { spoolDir: spool });
  assert.deepEqual(listSegments(spool), [1, 2, 3]);
  j.append(frame(4));
  j.close();
  // A crash after the rename and before the link: journal.bin is a new file not in the spool.
  const { renameSync, writeFileSync, rmSync } = require('node:fs') as typeof import('node:fs');
  writeFileSync(`${file}.next`, '');
  renameSync(`${file}.next`, file);
  j = new JournalFile(file, { spoolDir: spool });
  assert.deepEqual(listSegments(spool), [1, 2, 3, 4], 'the unlinked journal becomes the next segment');
  assert.equal(decodeFrames(readFileSync(path.join(spool, segmentName(3)))).frames.length, 1, 'segment 3 kept frame 4');
  j.close();
  // A crash before the rename: a stray journal.bin.next is removed, journal.bin stays the live segment.
  writeFileSync(`${file}.next`, 'x');
  j = new JournalFile(file, { spoolDir: spool });
  assert.ok(!existsSync(`${file}.next`));
  assert.deepEqual(listSegments(spool), [1, 2, 3, 4]);
  j.close();
  // Forwarding off: the folder goes, the journal truncates in place.
  assert.equal(removeForwardDir(dir)?.segments, 4);
  assert.ok(!existsSync(path.join(dir, 'forward')));
  j = new JournalFile(file);
  j.append(frame(5));
  j.coveredBySnapshot();
  assert.equal(statSync(file).size, 0);
  assert.deepEqual(readdirSync(dir).sort(), ['journal.bin']);
  j.close();
  rmSync(dir, { recursive: true, force: true });
});
