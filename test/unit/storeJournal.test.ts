// Journal frame codec and file: round trip, torn tail, bad checksum (the tail is cut, the rest kept).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { decodeFrames, encodeFrame, JournalFile, type JournalFrame } from '../../src/core/store/journal';
import { crc32 } from '../../src/core/store/crc32';

const frame = (n: number, signal: JournalFrame['signal'] = 'logs'): JournalFrame => ({
  signal,
  encoding: n % 2 ? 'json' : 'protobuf',
  receivedMs: 1_795_290_000_000 + n + 0.5,
  payload: new Uint8Array(Array.from({ length: 100 + n }, (_, i) => (i * 7 + n) & 0xff)),
});

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('frames round-trip: signal, encoding, receive time and bytes', () => {
  const frames = [frame(1), frame(2, 'metrics'), frame(3, 'traces')];
  const buf = Buffer.concat(frames.map((f) => encodeFrame(f)));
  const d = decodeFrames(buf);
  assert.equal(d.problem, undefined);
  assert.equal(d.validBytes, buf.length);
  assert.equal(d.frames.length, 3);
  for (let i = 0; i < 3; i++) {
    assert.equal(d.frames[i].signal, frames[i].signal);
    assert.equal(d.frames[i].encoding, frames[i].encoding);
    assert.equal(d.frames[i].receivedMs, frames[i].receivedMs);
    assert.deepEqual([...d.frames[i].payload], [...frames[i].payload]);
  }
});

test('a torn tail (any cut inside the last frame) keeps the complete frames', () => {
  const a = encodeFrame(frame(1));
  const b = encodeFrame(frame(2));
  for (const cut of [1, 5, 11, 12, 13, b.length - 1]) {
    const buf = Buffer.concat([a, b.subarray(0, cut)]);
    const d = decodeFrames(buf);
    assert.equal(d.frames.length, 1, `cut ${cut}`);
    assert.equal(d.validBytes, a.length);
    assert.match(d.problem ?? '', /torn/);
  }
});

test('a bad checksum stops decoding at that frame', () => {
  const a = encodeFrame(frame(1));
  const b = encodeFrame(frame(2));
  b[b.length - 3] ^= 0xff;
  const d = decodeFrames(Buffer.concat([a, b, encodeFrame(frame(3))]));
  assert.equal(d.frames.length, 1);
  assert.equal(d.validBytes, a.length);
  assert.match(d.problem ?? '', /checksum/);
});

test('JournalFile: append, torn tail truncated on read, corrupt copy kept aside', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'journal-'));
  const p = path.join(dir, 'journal.bin');
  const j = new JournalFile(p);
  j.append(frame(1));
  j.append(frame(2));
  const size = statSync(p).size;
  assert.equal(j.bytes, size);
  assert.equal(statSync(p).mode & 0o777, 0o600);
  appendFileSync(p, encodeFrame(frame(3)).subarray(0, 20)); // a crash mid-append
  j.close();
  const logs: string[] = [];
  const j2 = new JournalFile(p);
  const frames = j2.readAll((level, msg) => logs.push(`${level} ${msg}`));
  assert.equal(frames.length, 2);
  assert.equal(statSync(p).size, size, 'torn tail truncated');
  assert.match(logs.join('\n'), /torn frame/);
  assert.equal(readdirSync(dir).filter((f) => f.includes('.bad-')).length, 0, 'a torn tail is expected after a crash: no copy');
  // Corrupt the second frame's payload: decoding stops there and a copy is kept.
  const buf = readFileSync(p);
  buf[buf.length - 2] ^= 0x55;
  writeFileSync(p, buf);
  j2.close();
  const j3 = new JournalFile(p);
  assert.equal(j3.readAll(() => {}).length, 1);
  assert.equal(readdirSync(dir).filter((f) => f.includes('.bad-')).length, 1);
  j3.coveredBySnapshot();
  assert.equal(statSync(p).size, 0);
  j3.close();
});
