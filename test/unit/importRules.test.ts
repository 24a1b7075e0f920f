// Layering (ARCHITECTURE.md): protocol -> nothing; core -> protocol; server -> core, protocol;
// host -> core, server, protocol (the ONLY folder that may import `vscode`); webview -> protocol, plus
// one pure module of core: src/core/format/numbers.ts (the number formatting the status bar and MCP
// share), which therefore must import nothing at all.
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

/** The core modules the webview bundle may import; each must import nothing (checked below). */
const WEBVIEW_SHARED_CORE = ['src/core/format/numbers.ts'];

function layerOf(abs: string): string {
  const rel = relative(ROOT, abs).replace(/\\/g, '/');
  if (WEBVIEW_SHARED_CORE.includes(rel) || WEBVIEW_SHARED_CORE.includes(`${rel}.ts`)) return 'shared';
  if (rel.startsWith('src/protocol/')) return 'protocol';
  if (rel.startsWith('src/core/')) return 'core';
  if (rel.startsWith('src/server/')) return 'server';
  if (rel.startsWith('src/host/')) return 'host';
  if (rel.startsWith('webview/')) return 'webview';
  if (rel === 'src/cli.ts') return 'cli';
  return 'other';
}

// 'shared' is part of core (every layer that may import core may import it) and the webview's exception.
const ALLOWED: Record<string, string[]> = {
  protocol: ['protocol'],
  shared: [],
  core: ['protocol', 'core', 'shared'],
  server: ['protocol', 'core', 'shared', 'server'],
  host: ['protocol', 'core', 'shared', 'server', 'host'],
  webview: ['protocol', 'shared', 'webview'],
  cli: ['protocol', 'core', 'shared', 'server'],
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
      if (layer === 'shared') violations.push(`${relative(ROOT, f)}: a module the webview shares must import nothing (imports ${spec})`);
      if (layer === 'core' && /^(node:)?(http|https|net)$/.test(spec)) violations.push(`${relative(ROOT, f)}: core does network I/O (${spec})`);
    }
  }
  assert.deepEqual(violations, []);
});

test('the webview imports core only through the shared modules, and they exist', () => {
  for (const rel of WEBVIEW_SHARED_CORE) {
    assert.ok(statSync(join(ROOT, rel)).isFile(), rel);
    assert.equal(layerOf(join(ROOT, rel)), 'shared');
  }
  const webviewToCore = files(join(ROOT, 'webview')).flatMap((f) =>
    imports(f)
      .filter((spec) => spec.startsWith('.'))
      .map((spec) => relative(ROOT, resolve(dirname(f), spec)).replace(/\\/g, '/'))
      .filter((rel) => rel.startsWith('src/core/')),
  );
  assert.ok(webviewToCore.length > 0, 'the webview uses the shared formatter');
  assert.deepEqual([...new Set(webviewToCore)], ['src/core/format/numbers']);
});
