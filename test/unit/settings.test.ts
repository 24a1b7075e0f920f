import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSettings, readSettings, SETTING_SPECS } from '../../src/core/settings';
import { memoryLogger } from '../../src/core/log';

test('defaults', () => {
  const d = defaultSettings();
  assert.equal(d.port, 4318);
  assert.equal(d.capturePrompts, false);
  assert.equal(d.captureToolDetails, true);
  assert.equal(d.statusBarShow, 'today');
  assert.equal(d.retentionRawDays, 90);
  assert.equal(d.retentionRollupDays, 730);
  assert.equal(d.retentionMaxDbMB, 1024);
  assert.equal(d.mcpRateLimitPerMinute, 120);
  assert.deepEqual(d.pricingOverrides, {});
});

test('bad values -> default + a log line naming the key', () => {
  const log = memoryLogger();
  const values: Record<string, unknown> = {
    port: 80,
    'capture.prompts': 'yes',
    'statusBar.show': 'week',
    'budget.dailyUsd': -1,
    'retention.rawDays': 1.5,
    'mcp.rateLimitPerMinute': 60,
    'pricing.overrides': { 'claude-x': { input: 1, output: 2, cacheWrite5m: 3, cacheWrite1h: 4, cacheRead: 0.1 }, bad: { input: 'x' } },
  };
  const s = readSettings((k) => values[k], log);
  assert.equal(s.port, 4318);
  assert.equal(s.capturePrompts, false);
  assert.equal(s.statusBarShow, 'today');
  assert.equal(s.budgetDailyUsd, 0);
  assert.equal(s.retentionRawDays, 90);
  assert.equal(s.mcpRateLimitPerMinute, 60);
  assert.deepEqual(Object.keys(s.pricingOverrides), ['claude-x']);
  const text = log.lines.join('\n');
  for (const key of ['port', 'capture.prompts', 'statusBar.show', 'budget.dailyUsd', 'retention.rawDays', 'pricing.overrides']) {
    assert.match(text, new RegExp(`^warn setting claudeLedger\\.${key.replace('.', '\\.')}: `, 'm'), key);
  }
  assert.equal(log.lines.length, 6);
  assert.match(text, /claudeLedger\.port: 80 is outside 1024\.\.65535/);
});

test('package.json contributes the same settings with the same defaults and bounds', () => {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const props = pkg.contributes.configuration.properties as Record<string, Record<string, unknown>>;
  const contributed = Object.keys(props).filter((k) => k.startsWith('claudeLedger.')).map((k) => k.slice('claudeLedger.'.length));
  assert.deepEqual(contributed.sort(), Object.keys(SETTING_SPECS).sort());
  const d = defaultSettings() as unknown as Record<string, unknown>;
  for (const [key, { field, spec }] of Object.entries(SETTING_SPECS)) {
    const p = props[`claudeLedger.${key}`]!;
    assert.ok(typeof p.description === 'string' || typeof p.markdownDescription === 'string', `${key} has a description`);
    assert.deepEqual(p.default, d[field], `${key} default`);
    if (spec.kind === 'int' || spec.kind === 'number') {
      assert.equal(p.minimum, spec.min, `${key} minimum`);
      assert.equal(p.maximum, spec.max, `${key} maximum`);
    }
    if (spec.kind === 'enum') assert.deepEqual(p.enum, spec.values);
    if (spec.kind === 'paths') assert.equal(p.maxItems, spec.maxItems, `${key} maxItems`);
  }
});

test('transcripts.paths: a list of folders; anything else falls back to the defaults with a log line', () => {
  const log = memoryLogger();
  assert.deepEqual(readSettings((k) => (k === 'transcripts.paths' ? ['~/a', ' /b ', ''] : undefined), log).transcriptsPaths, ['~/a', '/b']);
  assert.match(log.lines.join('\n'), /claudeLedger\.transcripts\.paths: entries that are not folder paths were ignored/);
  assert.deepEqual(readSettings((k) => (k === 'transcripts.paths' ? '/x' : undefined), log).transcriptsPaths, []);
  assert.deepEqual(defaultSettings().transcriptsPaths, []);
  assert.equal(defaultSettings().transcriptsEnabled, true);
});

test('forward.*: endpoint checked (a bad URL keeps forwarding off with a log line), header names only, content, bound', () => {
  const log = memoryLogger();
  const read = (v: Record<string, unknown>) => readSettings((k) => v[k], log);
  const d = defaultSettings();
  assert.equal(d.forwardEndpoint, '');
  assert.deepEqual(d.forwardHeaders, []);
  assert.equal(d.forwardContent, 'as-received');
  assert.equal(d.forwardMaxBacklogMB, 512);
  const s = read({ 'forward.endpoint': 'https://collector.example.com:4318/', 'forward.headers': ['Authorization', 'stream-name'], 'forward.content': 'without-content', 'forward.maxBacklogMB': 64 });
  assert.equal(s.forwardEndpoint, 'https://collector.example.com:4318');
  assert.deepEqual(s.forwardHeaders, ['Authorization', 'stream-name']);
  assert.equal(s.forwardContent, 'without-content');
  assert.equal(s.forwardMaxBacklogMB, 64);
  assert.equal(log.lines.length, 0);
  const bad = read({ 'forward.endpoint': 'ftp://x', 'forward.headers': ['Authorization', 'Content-Type', 'bad name'], 'forward.content': 'all' });
  assert.equal(bad.forwardEndpoint, '');
  assert.deepEqual(bad.forwardHeaders, ['Authorization']);
  assert.equal(bad.forwardContent, 'as-received');
  const text = log.lines.join('\n');
  assert.match(text, /claudeLedger\.forward\.endpoint: forward endpoint "ftp:\/\/x": only http:\/\/ and https:\/\/ are supported .*forwarding stays off/);
  assert.match(text, /claudeLedger\.forward\.headers: entries that are not valid header names/);
  assert.match(text, /claudeLedger\.forward\.content: "all" is not one of as-received, without-content/);
});
