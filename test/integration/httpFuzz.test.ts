// Fuzz of the HTTP edge with damaged real payloads: the Claude Code fixtures (protobuf, OTLP/JSON and the
// decoded JSON forms), mutated by a seeded generator (bit flips, truncation, byte insertions, varint
// edits, JSON field mutations with absurd numbers and huge strings), sent plain or gzip to the real
// receiver over loopback with the real StoreClient (worker + journal) in a temp data dir.
// Properties: every answer is 200/400/413/415 (never 5xx, never a dropped connection); the server still
// answers afterwards; no accepted record makes a summary total negative or non-finite.
// Deterministic: the seed fixes every mutation; a failure prints the seed and the case number.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { memoryLogger } from '../../src/core/log';
import type { Signal } from '../../src/core/otlp/records';
import { startLedgerServer, type LedgerServer } from '../../src/server/httpServer';
import { StoreClient } from '../../src/server/storeClient';
import { FIXTURES, fixturePayloads, rawRequest, ROOT } from './mcpHarness';
import { rng } from '../support/compare';

const SEED = Number(process.env.FUZZ_SEED ?? 0x1ed6e4);
const CASES = Number(process.env.FUZZ_CASES ?? 1200);
/** Small enough that the huge-string mutations sometimes cross it (413 is an allowed answer). */
const MAX_BODY = 256 * 1024;
const ALLOWED = new Set([200, 400, 413, 415]);

let dir: string;
let store: StoreClient;
let server: LedgerServer;
const log = memoryLogger();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ledger-fuzz-'));
  store = await StoreClient.open({ dataDir: dir, workerPath: join(ROOT, 'dist', 'dbWorker.js') });
  server = await startLedgerServer({ port: 0, token: 'fuzz-token-0123456789abcdef', store, log, limits: { maxBodyBytes: MAX_BODY, maxDecompressedBytes: 2 * MAX_BODY } });
});

after(async () => {
  await server?.close();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});


interface Base {
  name: string;
  signal: Signal;
  encoding: 'protobuf' | 'json';
  body: Buffer;
}

/** Every fixture body (decompressed) plus the decoded JSON form of each protobuf one. */
function bases(): Base[] {
  const out: Base[] = fixturePayloads().map((p) => ({ name: `${p.scenario}/${p.file}`, signal: p.signal, encoding: p.encoding, body: p.body }));
  for (const scenario of readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const f of readdirSync(join(FIXTURES, scenario.name)).filter((n) => n.endsWith('.decoded.json'))) {
      const signal = f.split('-')[0] as Signal;
      out.push({ name: `${scenario.name}/${f}`, signal, encoding: 'json', body: readFileSync(join(FIXTURES, scenario.name, f)) });
    }
  }
  return out;
}

/** Raw JSON number/value texts JSON.stringify cannot produce (or that are absurd for a count or a cost). */
const RAW_VALUES = [
  '-99999999999999999999',
  '99999999999999999999',
  '1e309',
  '-1e309',
  '"NaN"',
  '"Infinity"',
  '"-Infinity"',
  '"-99999999999999999999"',
  '"1e309"',
  '-5',
  '"-5"',
  '-0',
  '0.5',
  '9007199254740993',
  '"9007199254740993"',
  '-1',
  'null',
  'true',
  '{}',
  '[]',
  '""',
];

type Mutator = (body: Buffer, r: () => number) => Buffer;

const int = (r: () => number, n: number) => Math.floor(r() * n);

const bitFlips: Mutator = (b, r) => {
  const out = Buffer.from(b);
  for (let i = 1 + int(r, 8); i > 0 && out.length > 0; i--) out[int(r, out.length)] ^= 1 << int(r, 8);
  return out;
};

const truncate: Mutator = (b, r) => b.subarray(0, int(r, b.length));

const insertBytes: Mutator = (b, r) => {
  const at = int(r, b.length + 1);
  const bytes = Buffer.from(Array.from({ length: 1 + int(r, 16) }, () => int(r, 256)));
  return Buffer.concat([b.subarray(0, at), bytes, b.subarray(at)]);
};

/** Overwrites the varint starting at a random position with an extreme one (max uint64, negative int64, 10+ bytes). */
const varintEdit: Mutator = (b, r) => {
  if (b.length === 0) return b;
  let start = int(r, b.length);
  // Move to the start of a varint: the byte after one without the continuation bit.
  while (start > 0 && (b[start - 1] & 0x80) !== 0) start--;
  let end = start;
  while (end < b.length && (b[end] & 0x80) !== 0) end++;
  end = Math.min(end + 1, b.length);
  const extremes = [
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], // 2^64 - 1 (-1 as int64)
    [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // -2^63
    [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], // 2^63 - 1
    [0xff, 0xff, 0xff, 0xff, 0x0f], // 2^32 - 1
    [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // an over-long varint
    [0x00],
    [0xff, 0xff, 0xff, 0xff, 0x07], // a length prefix far past the end
  ];
  return Buffer.concat([b.subarray(0, start), Buffer.from(extremes[int(r, extremes.length)]), b.subarray(end)]);
};

/** Collects paths to every leaf of a parsed JSON value. */
function leaves(v: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(v)) v.forEach((x, i) => leaves(x, [...path, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) leaves(x, [...path, k], out);
  else out.push(path);
  return out;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path[path.length - 1]] = value;
}

function getAt(root: unknown, path: (string | number)[]): unknown {
  let o = root as Record<string | number, unknown>;
  for (const k of path) o = o[k] as Record<string | number, unknown>;
  return o;
}

/** Attribute keys that make a record unique in the store (request_id; session + sequence; tool_use_id). */
const IDENTITY_KEYS = new Set(['request_id', 'tool_use_id', 'session.id', 'prompt.id', 'event.sequence']);
/** Attribute keys whose values feed totals: the mutations aim at them first. */
const AMOUNT_KEY = /tokens|cost|duration|count|lines|size|length/;
let fresh = 0;

/**
 * Gives every record new identity values, so the store takes a mutated record as new instead of
 * dropping it as a replay of the fixture (ingest is idempotent): damage must reach the totals.
 */
function freshenIdentity(v: unknown): void {
  if (Array.isArray(v)) return v.forEach(freshenIdentity);
  if (v === null || typeof v !== 'object') return;
  const o = v as Record<string, unknown>;
  if (typeof o.key === 'string' && IDENTITY_KEYS.has(o.key) && o.value && typeof o.value === 'object') {
    fresh++;
    o.value = o.key === 'event.sequence' ? { intValue: String(1_000_000 + fresh) } : { stringValue: `fuzz-${fresh}` };
    return;
  }
  for (const x of Object.values(o)) freshenIdentity(x);
}

/** The attribute key a leaf belongs to ({key, value: {intValue}} -> key), if any. */
function attributeKey(doc: unknown, p: (string | number)[]): string | undefined {
  if (p.length < 3 || p[p.length - 2] !== 'value') return undefined;
  const k = (getAt(doc, p.slice(0, -2)) as { key?: unknown }).key;
  return typeof k === 'string' ? k : undefined;
}

/** Replaces 1-4 leaves (amounts first, then any number or numeric string) with absurd values. */
const jsonFields: Mutator = (b, r) => {
  let doc: unknown;
  try {
    doc = JSON.parse(b.toString('utf8'));
  } catch {
    return bitFlips(b, r);
  }
  if (r() < 0.8) freshenIdentity(doc);
  const all = leaves(doc);
  if (all.length === 0) return b;
  const numeric = all.filter((p) => {
    const v = getAt(doc, p);
    return typeof v === 'number' || (typeof v === 'string' && v !== '' && Number.isFinite(Number(v)));
  });
  const amounts = numeric.filter((p) => AMOUNT_KEY.test(attributeKey(doc, p) ?? ''));
  const raws: string[] = [];
  for (let i = 1 + int(r, 4); i > 0; i--) {
    const dice = r();
    const pool = amounts.length > 0 && dice < 0.5 ? amounts : numeric.length > 0 && dice < 0.85 ? numeric : all;
    const p = pool[int(r, pool.length)];
    const pick = r();
    if (pick < 0.1) {
      // A huge string: sometimes past the body cap (413), sometimes not.
      setAt(doc, p, 'x'.repeat(r() < 0.3 ? MAX_BODY + 1 : 1 + int(r, 50_000)));
    } else {
      raws.push(RAW_VALUES[int(r, RAW_VALUES.length)]);
      setAt(doc, p, `__RAW_${raws.length - 1}__`);
    }
  }
  let text = JSON.stringify(doc);
  raws.forEach((raw, i) => {
    text = text.replace(`"__RAW_${i}__"`, raw);
  });
  return Buffer.from(text);
};

const BYTE_MUTATORS: [string, Mutator][] = [
  ['bitFlips', bitFlips],
  ['truncate', truncate],
  ['insertBytes', insertBytes],
  ['varintEdit', varintEdit],
];

function contentType(encoding: 'protobuf' | 'json'): string {
  return encoding === 'json' ? 'application/json' : 'application/x-protobuf';
}

async function post(signal: Signal, encoding: 'protobuf' | 'json', body: Buffer, gzip: boolean) {
  return rawRequest(server.port, {
    path: `/v1/${signal}`,
    headers: { 'Content-Type': contentType(encoding), ...(gzip && { 'Content-Encoding': 'gzip' }) },
    body: gzip ? gzipSync(body) : body,
  });
}

test(`fuzz: ${CASES} damaged real payloads (seed ${SEED}) get 200/400/413/415, the server stays up, totals stay sane`, async (t) => {
  const all = bases();
  // The undamaged fixtures are accepted: the mutations below start from payloads the receiver takes.
  for (const b of all.filter((x) => !x.name.endsWith('.decoded.json'))) {
    const r = await post(b.signal, b.encoding, b.body, false);
    assert.equal(r.status, 200, `${b.name}: ${r.body}`);
  }
  const r = rng(SEED);
  const statuses = new Map<number, number>();
  for (let i = 0; i < CASES; i++) {
    const base = all[int(r, all.length)];
    const [name, mutate] =
      base.encoding === 'json' && r() < 0.7 ? (['jsonFields', jsonFields] as [string, Mutator]) : BYTE_MUTATORS[int(r, BYTE_MUTATORS.length)];
    const body = mutate(base.body, r);
    const gzip = r() < 0.3;
    const res = await post(base.signal, base.encoding, body, gzip);
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    assert.ok(
      ALLOWED.has(res.status),
      `case ${i} (seed ${SEED}): ${name} of ${base.name}${gzip ? ' (gzip)' : ''} got ${res.status}: ${res.body.slice(0, 300)}`,
    );
  }
  t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  // The mutations reached both sides of the decoder: some damaged payloads were still taken, some refused.
  assert.ok((statuses.get(200) ?? 0) > 0 && (statuses.get(400) ?? 0) > 0, JSON.stringify([...statuses]));

  const health = await rawRequest(server.port, { method: 'GET', path: '/api/health' });
  assert.equal(health.status, 200, 'the server still answers');

  const s = await store.query('summary', { range: { key: 'all' } });
  const totals: Record<string, number> = {
    costUsd: s.costUsd,
    requests: s.requests,
    sessions: s.sessions,
    prompts: s.prompts,
    linesAdded: s.linesAdded,
    linesRemoved: s.linesRemoved,
    accepts: s.accepts,
    rejects: s.rejects,
    cacheSavingsUsd: s.cacheSavingsUsd,
    ...Object.fromEntries(Object.entries(s.tokens).map(([k, v]) => [`tokens.${k}`, v])),
    ...Object.fromEntries(s.byModel.map((m) => [`byModel[${m.model}].costUsd`, m.costUsd])),
  };
  t.diagnostic(`totals: ${JSON.stringify(totals)}`);
  // Needs numeric bounds at normalization (issue 14 finding 12, src/core/otlp/normalize.ts, branch
  // `schema`): without them a damaged payload's -99999999999999999999 input_tokens or 1e309 cost is stored
  // and this fails. It is meant to fail until that lands; do not weaken it.
  const bad = Object.entries(totals).filter(([, v]) => !(Number.isFinite(v) && v >= 0));
  assert.deepEqual(bad, [], 'every summary total is finite and non-negative');
});
