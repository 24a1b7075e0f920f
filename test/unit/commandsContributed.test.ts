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
    // Not "Clear All Data": the palette sorts by title and pre-selected the destructive command first.
    'claudeLedger.clearData': 'Delete All Usage Data…',
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

test('the palette: titles sorted as VS Code lists them start with a harmless command', () => {
  // VS Code's command palette lists a category's commands alphabetically (after recently used ones)
  // and pre-selects the first: it must not be a destructive one.
  const titles = pkg.contributes.commands.map((c: { title: string }) => c.title as string).sort((a: string, b: string) => a.localeCompare(b));
  assert.doesNotMatch(titles[0], /clear|delete|remove|reset/i, `first palette entry: ${titles[0]}`);
});

test('walkthrough: short titles, no literal codicons or backticks, steps complete on events the host raises', () => {
  const hostKeys = readFileSync(join(root, 'src', 'host', 'walkthrough.ts'), 'utf8');
  const keys = new Set([...hostKeys.matchAll(/context: '(claudeLedger\.[A-Za-z]+)'/g)].map((m) => m[1]));
  const hostSteps = new Set([...hostKeys.matchAll(/step: '([A-Za-z]+)'/g)].map((m) => m[1]));
  assert.equal(pkg.contributes.walkthroughs[0].id, /WALKTHROUGH_ID = '([^']+)'/.exec(hostKeys)?.[1]);
  const steps = pkg.contributes.walkthroughs[0].steps as { id: string; title: string; description: string; media: { markdown: string }; completionEvents: string[] }[];
  for (const s of steps) {
    // The step list cut "Let Claude Code ask about its o.." at about 30 characters.
    assert.ok(s.title.length <= 26, `title too long for the step list: ${s.title}`);
    for (const text of [s.title, s.description, readFileSync(join(root, s.media.markdown), 'utf8')]) {
      assert.doesNotMatch(text, /\$\([a-z-~]+\)/, `literal codicon in ${s.id}`);
      assert.doesNotMatch(text, /`/, `backticks in ${s.id} (descriptions show them literally)`);
    }
    // The media pane clipped long code lines: no fenced blocks, no line longer than the pane holds.
    assert.doesNotMatch(readFileSync(join(root, s.media.markdown), 'utf8'), /^```/m, `code block in ${s.media.markdown}`);
    assert.ok(s.completionEvents.length > 0, `${s.id} never ticks`);
    assert.ok(hostSteps.has(s.id), `${s.id}: no host event marks it complete (src/host/walkthrough.ts)`);
    for (const e of s.completionEvents) {
      const m = /^onContext:(.+)$/.exec(e);
      if (m) assert.ok(keys.has(m[1]), `${s.id}: ${m[1]} is not set by src/host/walkthrough.ts`);
    }
  }
});

test('the receiver ports are not auto-forwarded by VS Code (remote.portsAttributes defaults)', () => {
  const pa = pkg.contributes.configurationDefaults['remote.portsAttributes'];
  assert.equal(pa['4318'].onAutoForward, 'ignore');
  assert.equal(pa['4317'].onAutoForward, 'ignore');
  assert.equal(pkg.contributes.configuration.properties['claudeLedger.port'].default, 4318);
});
