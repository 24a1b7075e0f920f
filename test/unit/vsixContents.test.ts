// Every bundle esbuild.mjs writes is shipped in the .vsix: .vscodeignore excludes everything and
// re-includes files by name, so a new bundle (a worker, a lazily loaded transport) that is not listed
// there would be missing from the packaged extension while every test of the repository passes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const ROOT = path.resolve(__dirname, '../..');

test('.vscodeignore re-includes every bundle that esbuild.mjs writes', () => {
  const build = readFileSync(path.join(ROOT, 'esbuild.mjs'), 'utf8');
  const outfiles = [...build.matchAll(/outfile:\s*'([^']+)'/g)].map((m) => m[1]);
  assert.ok(outfiles.length >= 5, `found only ${outfiles.length} outfile entries in esbuild.mjs`);
  const shipped = new Set(readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l.startsWith('!')).map((l) => l.slice(1)));
  const missing = outfiles.filter((f) => !shipped.has(f));
  assert.deepEqual(missing, [], `bundles missing from .vscodeignore: ${missing.join(', ')}`);
});
