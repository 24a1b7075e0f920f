// Every command contributed in package.json is registered in src/host, and vice versa; the fixed ids
// and category of the surface contract hold; activation and walkthrough media are in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function registeredIds(): Set<string> {
  const ids = new Set<string>();
  for (const f of readdirSync(join(root, 'src', 'host'))) {
    if (!f.endsWith('.ts')) continue;
    const text = readFileSync(join(root, 'src', 'host', f), 'utf8');
    // registerCommand('id', ...) and our `command('id', ...)` wrapper around it.
    for (const m of text.matchAll(/(?:registerCommand|\bcommand)\(\s*'(claudeLedger\.[A-Za-z]+)'/g)) ids.add(m[1]!);
  }
  return ids;
}

test('contributed commands == registered commands', () => {
  const contributed = new Set<string>(pkg.contributes.commands.map((c: { command: string }) => c.command));
  const registered = registeredIds();
  assert.deepEqual([...contributed].filter((c) => !registered.has(c)), [], 'contributed but never registered');
  assert.deepEqual([...registered].filter((c) => !contributed.has(c)), [], 'registered but not contributed');
});

test('the fixed command ids, titles and category of the surface contract', () => {
  const byId = Object.fromEntries(pkg.contributes.commands.map((c: { command: string; title: string; category: string }) => [c.command, c]));
  const expected: Record<string, string> = {
    'claudeLedger.openDashboard': 'Open Dashboard',
    'claudeLedger.exportCsv': 'Export Usage CSV…',
    'claudeLedger.importHistory': 'Import Claude Code History',
    'claudeLedger.showPrices': 'Show Prices Used',
    'claudeLedger.setupEverywhere': 'Set Up Claude Code Everywhere',
    'claudeLedger.removeSetup': 'Remove Claude Code Setup',
    'claudeLedger.copyShellSetup': 'Copy Shell Setup',
    'claudeLedger.connectClaudeCode': 'Connect Claude Code to MCP',
    'claudeLedger.showLog': 'Show Log',
    'claudeLedger.restartReceiver': 'Restart Receiver',
    'claudeLedger.clearData': 'Clear All Data',
    'claudeLedger.setupStatusLine': 'Set Up Status Line',
    'claudeLedger.removeStatusLine': 'Remove Status Line',
    'claudeLedger.setForwardHeader': 'Set Forwarding Header…',
  };
  assert.deepEqual(Object.keys(byId).sort(), Object.keys(expected).sort());
  for (const [id, title] of Object.entries(expected)) {
    assert.equal(byId[id].title, title, id);
    assert.equal(byId[id].category, 'Claude Ledger', id);
  }
});

test('activation, MCP provider id, walkthrough media exist', () => {
  assert.deepEqual(pkg.activationEvents, ['onStartupFinished', 'onWebviewPanel:claudeLedger.dashboard']);
  assert.deepEqual(pkg.contributes.mcpServerDefinitionProviders, [{ id: 'claudeLedger.mcp', label: 'Claude Code Ledger' }]);
  const steps = pkg.contributes.walkthroughs[0].steps as { media: { markdown: string } }[];
  assert.equal(steps.length, 4);
  for (const s of steps) assert.ok(existsSync(join(root, s.media.markdown)), s.media.markdown);
});
