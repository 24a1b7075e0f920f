// Bad transcript input through the real DurableStore (temp data dir) and importTranscriptChunk on temp
// files: a malformed JSON line, a half-written last line, a line over the 16 MiB bound, invalid UTF-8,
// an empty file, a binary file, a file deleted between listing and reading, a file that shrank or was
// replaced. Every case: skipped and counted by reason in the chunk results, never a throw, and the
// good requests around it are there exactly once (never lost, never doubled).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DurableStore } from '../../src/core/store/durableStore';
import { addCounts, emptyCounts, skippedTotal, type ImportChunkResult, type ImportCounts, type TranscriptFileRef } from '../../src/core/transcripts/importSummary';
import { DEFAULT_TRANSCRIPT_LIMITS } from '../../src/core/transcripts/transcriptRecords';
import { groundTruth, sqlJs } from './storeTestSupport';
import { transcriptFiles } from './transcriptFixtures';

const NOW = Date.UTC(2027, 0, 1);
const ALL = { key: 'all' } as const;
const PROJECT = '-home-dev-projects-acme-web';
const SCENARIO = 'b-write-edit-bash';
const g = groundTruth(SCENARIO);
/** Fixture b's lines (4 requests over 5 assistant lines, 1 prompt, 3 tool uses), without their '\n'. */
const LINES = fs.readFileSync(transcriptFiles(SCENARIO)[0], 'utf8').split('\n').filter((l) => l !== '');
const TEXT = `${LINES.join('\n')}\n`;

interface Env {
  dir: string;
  store: DurableStore;
  logs: string[];
  close(): void;
}

async function openEnv(): Promise<Env> {
  const root = fs.mkdtempSync(path.join(tmpdir(), 'ledger-badinput-'));
  const dataDir = path.join(root, 'data');
  const dir = path.join(root, 'projects', PROJECT);
  fs.mkdirSync(dir, { recursive: true });
  const logs: string[] = [];
  const store = DurableStore.open(await sqlJs(), { dataDir, log: (l, m) => logs.push(`${l} ${m}`), now: () => NOW });
  return {
    dir,
    store,
    logs,
    close: () => {
      store.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The ref the scanner would list for a file (stat now). */
function refOf(file: string): TranscriptFileRef {
  const st = fs.statSync(file);
  return { path: file, projectDir: PROJECT, isSubagent: false, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

/** Imports a file until done (maxBytes per step), as the runner does; returns the summed counts and the steps. */
function importAll(store: DurableStore, ref: TranscriptFileRef, maxBytes = 1 << 20): { counts: ImportCounts; steps: ImportChunkResult[] } {
  const counts = emptyCounts();
  const steps: ImportChunkResult[] = [];
  for (let i = 0; i < 10_000; i++) {
    const r = store.importTranscriptChunk({ file: ref, maxBytes });
    steps.push(r);
    addCounts(counts, r);
    if (r.done) return { counts, steps };
  }
  throw new Error('import did not finish');
}

function totals(store: DurableStore) {
  const s = store.query('summary', { range: ALL });
  return { requests: s.requests, tokens: s.tokens, prompts: s.prompts };
}
const TRUTH = {
  requests: g.api_requests.count,
  tokens: { input: g.api_requests.tokens.input, output: g.api_requests.tokens.output, cacheRead: g.api_requests.tokens.cache_read, cacheCreation: g.api_requests.tokens.cache_creation },
  prompts: 1,
};

test('a malformed JSON line and invalid UTF-8 between good lines: each skipped by reason, the good requests all there once', async () => {
  const env = await openEnv();
  try {
    const file = path.join(env.dir, 'sess-bad.jsonl');
    const mid = Math.floor(LINES.length / 2);
    const bad = Buffer.concat([
      Buffer.from(`${LINES.slice(0, mid).join('\n')}\n`),
      Buffer.from('{"type":"assistant","message":{"id":"msg_broken","usage":{"input_tokens":5\n'), // truncated JSON
      Buffer.from('{"type":"user","message":{"role":"user","content":"'),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe]), // not UTF-8
      Buffer.from('"}}\n'),
      Buffer.from('[1,2,3]\n'), // JSON, not an object
      Buffer.from(`${LINES.slice(mid).join('\n')}\n`),
    ]);
    fs.writeFileSync(file, bad);
    const { counts } = importAll(env.store, refOf(file));
    assert.deepEqual(counts.skipped, { malformed_json: 1, invalid_utf8: 1, not_an_object: 1 });
    assert.equal(counts.lines, LINES.length + 3, 'skipped lines are read (and counted) once');
    assert.equal(counts.requestsAdded, TRUTH.requests);
    assert.deepEqual(totals(env.store), TRUTH);
    // Read again: nothing new, nothing skipped twice.
    const again = importAll(env.store, refOf(file)).counts;
    assert.equal(again.lines, 0);
    assert.equal(skippedTotal(again), 0);
    assert.deepEqual(totals(env.store), TRUTH);
  } finally {
    env.close();
  }
});

test('a half-written last line is not read until complete, then read once', async () => {
  const env = await openEnv();
  try {
    const file = path.join(env.dir, 'sess-half.jsonl');
    // The last assistant line (a request of its own) is the one being written.
    const last = LINES.map((l, i) => [l, i] as const).filter(([l]) => l.includes('"type":"assistant"')).pop()![1];
    const head = `${LINES.slice(0, last).join('\n')}\n`;
    const line = LINES[last];
    const cut = Math.floor(line.length / 2);
    fs.writeFileSync(file, head + line.slice(0, cut));
    const first = importAll(env.store, refOf(file));
    assert.equal(first.counts.lines, last, 'only complete lines');
    assert.equal(skippedTotal(first.counts), 0, 'a half line is not a malformed line');
    assert.equal(first.steps.at(-1)!.position, Buffer.byteLength(head), 'the position stays at the start of the half line');
    assert.equal(totals(env.store).requests, TRUTH.requests - 1);
    // Nothing more to read while it is incomplete (the position does not move).
    const wait = importAll(env.store, refOf(file));
    assert.equal(wait.counts.lines, 0);
    assert.equal(wait.steps.at(-1)!.position, Buffer.byteLength(head));
    // The rest arrives, then the remaining lines.
    fs.appendFileSync(file, `${line.slice(cut)}\n${LINES.slice(last + 1).join('\n')}\n`);
    const rest = importAll(env.store, refOf(file));
    assert.equal(rest.counts.lines, LINES.length - last);
    assert.equal(rest.counts.requestsAdded, 1);
    assert.equal(skippedTotal(rest.counts), 0);
    assert.deepEqual(totals(env.store), TRUTH);
    assert.equal(importAll(env.store, refOf(file)).counts.lines, 0, 'read once');
  } finally {
    env.close();
  }
});

test(`a line over the ${DEFAULT_TRANSCRIPT_LIMITS.maxLineBytes / 2 ** 20} MiB bound is skipped once (across small reads); the lines after it are read`, async () => {
  const env = await openEnv();
  try {
    const file = path.join(env.dir, 'sess-long.jsonl');
    const big = `{"type":"user","message":{"role":"user","content":"${'x'.repeat(DEFAULT_TRANSCRIPT_LIMITS.maxLineBytes + 3 * 2 ** 20)}"}}\n`;
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, `${LINES.slice(0, 5).join('\n')}\n`);
    fs.writeSync(fd, big);
    fs.writeSync(fd, `${LINES.slice(5).join('\n')}\n`);
    fs.closeSync(fd);
    // 1 MiB per step: a step ends once the over-long line is reported, and the 3 MiB after the bound are
    // dropped in later steps (the splitter's skipping state is stored with the position between steps).
    const { counts, steps } = importAll(env.store, refOf(file), 1 << 20);
    assert.ok(steps.length >= 3, `steps: ${steps.length}`);
    const bigStart = Buffer.byteLength(`${LINES.slice(0, 5).join('\n')}\n`);
    const inside = steps.filter((st) => st.position > bigStart && st.position < bigStart + big.length);
    assert.ok(inside.length >= 1, `a step stopped inside the long line: ${steps.map((st) => st.position).join(', ')}`);
    assert.deepEqual(counts.skipped, { too_long: 1 });
    assert.equal(counts.lines, LINES.length + 1);
    assert.equal(counts.requestsAdded, TRUTH.requests);
    assert.deepEqual(totals(env.store), TRUTH);
    assert.equal(steps.at(-1)!.position, fs.statSync(file).size);
  } finally {
    env.close();
  }
});

test('an empty file and a binary file: nothing imported, every binary line skipped by reason, no throw', async () => {
  const env = await openEnv();
  try {
    const empty = path.join(env.dir, 'sess-empty.jsonl');
    fs.writeFileSync(empty, '');
    const e = importAll(env.store, refOf(empty));
    assert.equal(e.counts.lines, 0);
    assert.equal(e.steps.length, 1);
    assert.equal(e.steps[0].done, true);
    assert.equal(e.steps[0].position, 0);

    const bin = path.join(env.dir, 'sess-binary.jsonl');
    // Deterministic "binary": every byte value, NULs inside lines, a PNG header, and a trailing newline.
    const bytes = Buffer.alloc(64 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
    fs.writeFileSync(bin, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), bytes, Buffer.from('\n')]));
    const b = importAll(env.store, refOf(bin), 4096);
    assert.ok(b.counts.lines > 0);
    assert.equal(skippedTotal(b.counts), b.counts.lines, `every line skipped: ${JSON.stringify(b.counts.skipped)}`);
    assert.ok((b.counts.skipped.binary ?? 0) > 0, 'NUL bytes are reported as binary');
    assert.equal(b.counts.requestsAdded + b.counts.prompts + b.counts.toolUses, 0);
    assert.equal(b.steps.at(-1)!.position, fs.statSync(bin).size);
    assert.deepEqual(totals(env.store), { requests: 0, tokens: { input: 0, output: 0, cacheRead: 0, cacheCreation: 0 }, prompts: 0 });
    // The good file next to them imports normally.
    const good = path.join(env.dir, 'sess-good.jsonl');
    fs.writeFileSync(good, TEXT);
    importAll(env.store, refOf(good));
    assert.deepEqual(totals(env.store), TRUTH);
  } finally {
    env.close();
  }
});

test('a file deleted between listing and reading: gone, what it imported stays', async () => {
  const env = await openEnv();
  try {
    const never = path.join(env.dir, 'sess-never.jsonl');
    fs.writeFileSync(never, TEXT);
    const ref = refOf(never);
    fs.unlinkSync(never);
    const r = env.store.importTranscriptChunk({ file: ref, maxBytes: 1 << 20 });
    assert.equal(r.gone, true);
    assert.equal(r.done, true);
    assert.equal(r.lines, 0);
    assert.equal(totals(env.store).requests, 0);

    const file = path.join(env.dir, 'sess-deleted.jsonl');
    fs.writeFileSync(file, TEXT);
    const listed = refOf(file);
    importAll(env.store, listed);
    assert.deepEqual(totals(env.store), TRUTH);
    fs.unlinkSync(file);
    const after = env.store.importTranscriptChunk({ file: listed, maxBytes: 1 << 20 });
    assert.equal(after.gone, true);
    assert.equal(after.position, Buffer.byteLength(TEXT), 'the stored position is reported');
    assert.deepEqual(totals(env.store), TRUTH, 'deleted files keep their data');
  } finally {
    env.close();
  }
});

test('a file that shrank or was replaced (new inode) is read again from the start: restarted, no request doubled or lost', async () => {
  const env = await openEnv();
  try {
    const file = path.join(env.dir, 'sess-replaced.jsonl');
    fs.writeFileSync(file, TEXT);
    importAll(env.store, refOf(file));
    assert.deepEqual(totals(env.store), TRUTH);
    const ino = fs.statSync(file).ino;

    // Shrank (same inode, truncated to its first half): restarted, read again, nothing doubled or lost.
    const half = `${LINES.slice(0, Math.floor(LINES.length / 2)).join('\n')}\n`;
    fs.truncateSync(file, Buffer.byteLength(half));
    assert.equal(fs.statSync(file).ino, ino);
    const shrank = importAll(env.store, refOf(file));
    assert.equal(shrank.steps[0].restarted, true);
    assert.equal(shrank.counts.requestsAdded, 0);
    assert.equal(shrank.steps.at(-1)!.position, Buffer.byteLength(half));
    assert.deepEqual(totals(env.store), TRUTH);
    // It grows back to the full text: the rest is read, still once.
    fs.appendFileSync(file, TEXT.slice(half.length));
    const regrown = importAll(env.store, refOf(file));
    assert.equal(regrown.steps[0].restarted, false);
    assert.equal(regrown.counts.requestsAdded, 0);
    assert.deepEqual(totals(env.store), TRUTH);

    // Replaced by another file (write + rename: a new inode) with the same lines and one more request.
    const extra = JSON.parse(LINES.find((l) => l.includes('"type":"assistant"'))!);
    extra.requestId = 'req_extra_after_replace';
    extra.message.id = 'msg_extra_after_replace';
    extra.uuid = 'extra-uuid';
    const tmpFile = path.join(env.dir, 'sess-replaced.jsonl.tmp');
    fs.writeFileSync(tmpFile, `${TEXT}${JSON.stringify(extra)}\n`);
    fs.renameSync(tmpFile, file);
    assert.notEqual(fs.statSync(file).ino, ino);
    const replaced = importAll(env.store, refOf(file));
    assert.equal(replaced.steps[0].restarted, true);
    assert.equal(replaced.counts.requestsAdded, 1, 'only the new request is added');
    assert.equal(replaced.counts.lines, LINES.length + 1);
    const t = totals(env.store);
    assert.equal(t.requests, TRUTH.requests + 1);
    assert.equal(t.tokens.input, TRUTH.tokens.input + extra.message.usage.input_tokens);
    assert.equal(t.prompts, TRUTH.prompts, 'the prompt read again is not counted again');
    const tools = env.store.query('toolStats', { range: ALL }).tools.reduce((a, x) => a + x.calls, 0);
    assert.equal(tools, 3, 'tool uses read again are not counted again');
  } finally {
    env.close();
  }
});

test('the state survives a reopen of the store: positions and rows are one transaction', async () => {
  const env = await openEnv();
  try {
    const file = path.join(env.dir, 'sess-reopen.jsonl');
    fs.writeFileSync(file, TEXT.slice(0, Math.floor(TEXT.length / 2)));
    importAll(env.store, refOf(file));
    const before = totals(env.store);
    // Close (snapshot) and reopen the same data dir, then the rest of the file.
    const dataDir = path.join(path.dirname(path.dirname(env.dir)), 'data');
    env.store.close();
    const store = DurableStore.open(await sqlJs(), { dataDir, log: () => undefined, now: () => NOW });
    env.store = store;
    assert.deepEqual(totals(store), before);
    fs.writeFileSync(file, TEXT); // same inode, grown
    importAll(store, refOf(file));
    assert.deepEqual(totals(store), TRUTH);
  } finally {
    env.close();
  }
});
