// Layering (ARCHITECTURE.md): protocol -> nothing; core -> protocol; server -> core, protocol;
// host -> core, server, protocol (the ONLY folder that may import `vscode`); webview -> protocol only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

function files(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|mts|tsx)$/.test(name)) out.push(p);
  }
  return out;
}

function imports(file: string): string[] {
  const src = readFileSync(file, 'utf8');
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;
  const out: string[] = [];
  for (const m of src.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3] ?? m[4]);
  return out;
}

function layerOf(abs: string): string {
  const rel = relative(ROOT, abs).replace(/\\/g, '/');
  if (rel.startsWith('src/protocol/')) return 'protocol';
  if (rel.startsWith('src/core/')) return 'core';
  if (rel.startsWith('src/server/')) return 'server';
  if (rel.startsWith('src/host/')) return 'host';
  if (rel.startsWith('webview/')) return 'webview';
  if (rel === 'src/cli.ts') return 'cli';
  return 'other';
}

const ALLOWED: Record<string, string[]> = {
  protocol: ['protocol'],
  core: ['protocol', 'core'],
  server: ['protocol', 'core', 'server'],
  host: ['protocol', 'core', 'server', 'host'],
  webview: ['protocol', 'webview'],
  cli: ['protocol', 'core', 'server'],
};

test('layering: only src/host imports vscode; each layer imports only the layers below it', () => {
  const violations: string[] = [];
  const all = [...files(join(ROOT, 'src')), ...files(join(ROOT, 'webview'))];
  assert.ok(all.length > 10, 'found the sources');
  for (const f of all) {
    const layer = layerOf(f);
    for (const spec of imports(f)) {
      if (spec === 'vscode' && layer !== 'host') violations.push(`${relative(ROOT, f)} imports vscode`);
      if (spec.startsWith('.')) {
        const target = layerOf(resolve(dirname(f), spec));
        if (!ALLOWED[layer]?.includes(target)) violations.push(`${relative(ROOT, f)} (${layer}) imports ${spec} (${target})`);
      }
      if (layer === 'protocol' && !spec.startsWith('.')) violations.push(`${relative(ROOT, f)}: protocol imports package ${spec}`);
      if (layer === 'core' && /^(node:)?(http|https|net)$/.test(spec)) violations.push(`${relative(ROOT, f)}: core does network I/O (${spec})`);
    }
  }
  assert.deepEqual(violations, []);
});
