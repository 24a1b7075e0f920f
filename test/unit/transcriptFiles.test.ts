// Transcript discovery on real folders in a temp dir: layout, subagents, symlink loops, missing and
// unreadable roots, non-transcript files, thousands of tiny files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultTranscriptRoots, scanTranscriptRoots } from '../../src/server/transcripts/transcriptFiles';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-scan-'));
}

test('default roots: $CLAUDE_CONFIG_DIR/projects (when set) and ~/.claude/projects, without duplicates', () => {
  assert.deepEqual(defaultTranscriptRoots({}, '/home/u'), ['/home/u/.claude/projects']);
  assert.deepEqual(defaultTranscriptRoots({ CLAUDE_CONFIG_DIR: '/cfg' }, '/home/u'), ['/cfg/projects', '/home/u/.claude/projects']);
  assert.deepEqual(defaultTranscriptRoots({ CLAUDE_CONFIG_DIR: '/home/u/.claude' }, '/home/u'), ['/home/u/.claude/projects']);
  assert.deepEqual(defaultTranscriptRoots({ CLAUDE_CONFIG_DIR: '~/alt' }, '/home/u'), ['/home/u/alt/projects', '/home/u/.claude/projects']);
});

test('finds sessions and subagents, ignores other files, survives a symlink loop, reports missing roots', async () => {
  const root = tmp();
  const proj = path.join(root, '-home-dev-projects-acme');
  fs.mkdirSync(path.join(proj, 'sess-1', 'subagents'), { recursive: true });
  fs.writeFileSync(path.join(proj, 'sess-1.jsonl'), '{}\n');
  fs.writeFileSync(path.join(proj, 'sess-1', 'subagents', 'agent-a.jsonl'), '{}\n');
  fs.writeFileSync(path.join(proj, 'sess-1', 'tool-output.jsonl'), '{}\n'); // not a transcript location
  fs.writeFileSync(path.join(proj, 'notes.txt'), 'x');
  fs.writeFileSync(path.join(root, 'top-level.jsonl'), '{}\n'); // not inside a project folder
  fs.symlinkSync(root, path.join(proj, 'loop')); // a loop back to the root
  fs.symlinkSync(path.join(root, 'nowhere'), path.join(proj, 'dangling.jsonl'));
  fs.mkdirSync(path.join(root, '-other'));
  fs.symlinkSync(path.join(proj, 'sess-1.jsonl'), path.join(root, '-other', 'same-file.jsonl')); // one file, two names: read once
  const missing = path.join(root, 'does-not-exist');
  const r = await scanTranscriptRoots([root, missing]);
  const rel = r.files.map((f) => path.relative(root, f.path)).sort();
  assert.deepEqual(rel, ['-home-dev-projects-acme/sess-1.jsonl', '-home-dev-projects-acme/sess-1/subagents/agent-a.jsonl']);
  const sub = r.files.find((f) => f.isSubagent)!;
  assert.equal(sub.projectDir, '-home-dev-projects-acme');
  assert.deepEqual(r.missingRoots, [missing]);
  assert.deepEqual(r.problems, []);
  fs.rmSync(root, { recursive: true, force: true });
});

test('a root that is a file or unreadable is a problem, not a crash', async (t) => {
  const root = tmp();
  const file = path.join(root, 'file');
  fs.writeFileSync(file, 'x');
  const r = await scanTranscriptRoots([file]);
  assert.match(r.problems.join('\n'), /is not a folder/);
  if (process.getuid?.() === 0) {
    t.diagnostic('running as root: chmod 000 does not stop root from reading, so the unreadable-folder case is not observable here');
  } else {
    const locked = path.join(root, 'locked');
    fs.mkdirSync(locked, { mode: 0o000 });
    const r2 = await scanTranscriptRoots([locked]);
    assert.match(r2.problems.join('\n'), /could not be read/);
  }
  fs.rmSync(root, { recursive: true, force: true });
});

test('thousands of tiny files are listed, bounded by maxFiles with a problem naming the bound', async () => {
  const root = tmp();
  const proj = path.join(root, '-p');
  fs.mkdirSync(proj);
  for (let i = 0; i < 3000; i++) fs.writeFileSync(path.join(proj, `s${i}.jsonl`), '');
  const all = await scanTranscriptRoots([root]);
  assert.equal(all.files.length, 3000);
  const capped = await scanTranscriptRoots([root], { maxFiles: 1000, maxDepth: 3 });
  assert.equal(capped.files.length, 1000);
  assert.match(capped.problems.join('\n'), /more than 1000 transcript files/);
  fs.rmSync(root, { recursive: true, force: true });
});
