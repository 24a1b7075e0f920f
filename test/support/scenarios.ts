// Claude Code scenarios as data: prompts, CLI arguments, the fake model's script, the working
// directory set-up, the telemetry options, and the truth each run must produce.
//
// The expected token totals are literal numbers (from usageForAnswer in fakeAnthropic.ts) so a change
// in the fake's arithmetic is caught too; tests still compare the telemetry against the fake's
// usageLog of the actual run, never against our own decoder.
// Expectations follow what Claude Code 2.1.197 was observed to do (INVENTORY.md), e.g. a Write refused
// in print mode produces no tool_decision event in that version.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FakeAnthropic, RecordedRequest, ScriptedTurn, UsageLogEntry } from './fakeAnthropic';
import type { RunClaudeResult, TelemetryOptions } from './claudeRunner';
import { REPO_ROOT, makeScratch, runClaude } from './claudeRunner';

export interface ScenarioContext {
  /** The project directory the CLI runs in (absolute). */
  cwd: string;
  home: string;
  /** Where the fixture MCP server appends one JSON line per call. */
  mcpCallLog: string;
}

export interface TokenTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheCreation: number;
}

export interface ScenarioExpect {
  exitCode: number;
  /** Successful /v1/messages answers = api_request events (no side requests with the flag set). */
  apiRequests: number;
  tokens: TokenTotals;
  /** tool_result events by tool_name (as Claude Code names it on events) and success. */
  toolResults: Record<string, { ok: number; failed: number }>;
  /** tool_decision events by `${decision}/${source}`. */
  decisions: Record<string, number>;
  /** Files changed, relative to cwd, with Claude Code's own line counts (lines_of_code metric). */
  files: Array<{ path: string; linesAdded: number; linesRemoved: number }>;
  /** Files that must exist in cwd after the run, with their exact content. */
  fileContents?: Record<string, string>;
  /** Files that must still exist (e.g. a denied delete). */
  filesKept?: string[];
  /** user_prompt events. */
  prompts: number;
  /** Max `attempt` over llm_request spans and the number of gen_ai.request.attempt span events. */
  llmAttempts?: { maxAttempt: number; attemptEvents: number };
  /** Calls the fixture MCP server logged, in order. */
  mcpCalls?: Array<{ tool: string; result: string }>;
  /** Substrings that must appear in the tool_result content Claude Code sent back to the fake API. */
  toolResultContains?: string[];
  /** Every metric export uses this temporality (1 delta, 2 cumulative). */
  temporality: 1 | 2;
  /** At least this many metric payloads (multi-prompt runs export several times). */
  minMetricPayloads?: number;
  /** subagent requests (query_source agent:builtin:claude on api_request). */
  subagentRequests?: number;
  /** Claude Code's claude_code.commit.count / pull_request.count totals (0 when absent). */
  commits?: number;
  pullRequests?: number;
}

export interface Scenario {
  name: string;
  description: string;
  /** One prompt -> `claude -p`; several -> one process with stream-json input. */
  prompts: string[];
  /** Pause between prompts (ms) so periodic metric exports happen in between. */
  pauseMs?: number;
  args: string[];
  /** The fake model's script; a function because tool inputs need absolute paths in cwd. */
  turns(ctx: ScenarioContext): ScriptedTurn[];
  /** Prepare cwd (files, .mcp.json) before the run. */
  setup?(ctx: ScenarioContext): void;
  telemetry: TelemetryOptions;
  env?: Record<string, string>;
  expect: ScenarioExpect;
}

/**
 * Declares project MCP servers the way print mode uses them without a prompt: `.mcp.json` in cwd
 * plus `.claude/settings.local.json` with enableAllProjectMcpServers. Servers may be stdio
 * (`{type:'stdio', command, args, env}`) or HTTP (`{type:'http', url, headers}`); `${VAR}` in
 * them is expanded by Claude Code from its environment (keep tokens out of the file that way).
 */
export function writeProjectMcpConfig(cwd: string, mcpServers: Record<string, Record<string, unknown>>): void {
  writeFileSync(join(cwd, '.mcp.json'), JSON.stringify({ mcpServers }, null, 2));
  mkdirSync(join(cwd, '.claude'), { recursive: true });
  writeFileSync(join(cwd, '.claude', 'settings.local.json'), JSON.stringify({ enableAllProjectMcpServers: true }, null, 2));
}

const HELLO_V1 = 'def hello():\n    return "hi"\n\n\nprint(hello())\n';
const HELLO_OLD = '    return "hi"\n';
const HELLO_NEW = '    # greet politely\n    greeting = "hello, world"\n    return greeting\n';

/** Write (new file), Edit, Bash `ls -la`, final text: the fixture scenario b. */
function writeEditBashTurns(ctx: ScenarioContext): ScriptedTurn[] {
  const file = join(ctx.cwd, 'hello.py');
  return [
    { kind: 'tool_use', text: 'I will create the file first.', name: 'Write', input: { file_path: file, content: HELLO_V1 } },
    { kind: 'tool_use', name: 'Edit', input: { file_path: file, old_string: HELLO_OLD, new_string: HELLO_NEW } },
    { kind: 'tool_use', name: 'Bash', input: { command: 'ls -la', description: 'List files in the working directory' } },
    { kind: 'text', text: 'Created hello.py, edited it, and listed the directory.' },
  ];
}

// Tokens of n answers: sum of usageForAnswer(0..n-1).
const TOKENS_1: TokenTotals = { input: 1000, output: 40, cacheRead: 0, cacheCreation: 2048 };
const TOKENS_3: TokenTotals = { input: 3411, output: 153, cacheRead: 9728, cacheCreation: 2560 };
const TOKENS_4: TokenTotals = { input: 4822, output: 226, cacheRead: 15360, cacheCreation: 2816 };
const TOKENS_5: TokenTotals = { input: 6370, output: 310, cacheRead: 21504, cacheCreation: 3072 };
const TOKENS_7: TokenTotals = { input: 9877, output: 511, cacheRead: 35328, cacheCreation: 3584 };

const writeEditBashExpect: ScenarioExpect = {
  exitCode: 0,
  apiRequests: 4,
  tokens: TOKENS_4,
  toolResults: { Write: { ok: 1, failed: 0 }, Edit: { ok: 1, failed: 0 }, Bash: { ok: 1, failed: 0 } },
  decisions: { 'accept/config': 3 },
  // Claude Code counts a Write of a new file as content.split('\n').length lines (6 here, the
  // trailing newline included) and an Edit as a line diff (+3 -1): its lines_of_code metric says 9/1.
  files: [{ path: 'hello.py', linesAdded: 9, linesRemoved: 1 }],
  fileContents: { 'hello.py': HELLO_V1.replace(HELLO_OLD, HELLO_NEW) },
  prompts: 1,
  toolResultContains: ['hello.py'],
  temporality: 1,
};

const writeEditBashArgs = ['--permission-mode', 'acceptEdits', '--allowedTools', 'Bash(ls:*)'];

/** Four prompts in one process: Write, Bash, Edit, then a plain answer (7 model calls). */
function longSessionTurns(ctx: ScenarioContext): ScriptedTurn[] {
  const file = join(ctx.cwd, 'counter.txt');
  return [
    { kind: 'tool_use', name: 'Write', input: { file_path: file, content: 'count=1\n' } },
    { kind: 'text', text: 'Created counter.txt.' },
    { kind: 'tool_use', name: 'Bash', input: { command: 'ls', description: 'List files' } },
    { kind: 'text', text: 'The directory contains counter.txt.' },
    { kind: 'tool_use', name: 'Edit', input: { file_path: file, old_string: 'count=1\n', new_string: 'count=1\ncount=2\n' } },
    { kind: 'text', text: 'Appended a line.' },
    { kind: 'text', text: 'We created counter.txt, listed the directory and appended a line.' },
  ];
}

const longSessionPrompts = [
  'Create a counter file.',
  'Show me the directory.',
  'Append a line to the counter file.',
  'Summarize what we did.',
];

const longSessionExpect: ScenarioExpect = {
  exitCode: 0,
  apiRequests: 7,
  tokens: TOKENS_7,
  toolResults: { Write: { ok: 1, failed: 0 }, Bash: { ok: 1, failed: 0 }, Edit: { ok: 1, failed: 0 } },
  decisions: { 'accept/config': 3 },
  // Write "count=1\n" counts 2 lines, the Edit adds 1.
  files: [{ path: 'counter.txt', linesAdded: 3, linesRemoved: 0 }],
  fileContents: { 'counter.txt': 'count=1\ncount=2\n' },
  prompts: 4,
  temporality: 1,
  minMetricPayloads: 2,
};

/** The stand-in `gh` (test/support/bin/gh): `gh pr create` prints a PR URL, as GitHub's CLI does. */
export const FAKE_GH_DIR = join(REPO_ROOT, 'test', 'support', 'bin');

const GREETING_PY = 'def greet(name):\n    return f"Hello, {name}!"\n';

/**
 * Makes `dir` a git repository with one commit (README.md) and a committer identity of its own (no
 * global git config needed): the git-commit-pr scenario and the demo commit in it.
 */
export function initGitRepo(dir: string): void {
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')} failed in ${dir}: ${r.stderr}`);
  };
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Demo Developer');
  git('config', 'user.email', 'dev@example.com');
  git('config', 'commit.gpgsign', 'false');
  if (!existsSync(join(dir, 'README.md'))) writeFileSync(join(dir, 'README.md'), '# acme-web\n');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'Initial commit');
}

/** Write a file, commit it with git, open a pull request with gh: Claude Code's commit and PR counters. */
export function gitCommitPrTurns(ctx: ScenarioContext): ScriptedTurn[] {
  return [
    { kind: 'tool_use', text: 'I will add the greeting module.', name: 'Write', input: { file_path: join(ctx.cwd, 'greeting.py'), content: GREETING_PY } },
    { kind: 'tool_use', name: 'Bash', input: { command: 'git add greeting.py', description: 'Stage greeting.py' } },
    { kind: 'tool_use', name: 'Bash', input: { command: 'git commit -m "Add greeting module"', description: 'Commit the greeting module' } },
    { kind: 'tool_use', name: 'Bash', input: { command: 'gh pr create --title "Add greeting module" --body "Adds greet(name)."', description: 'Open a pull request' } },
    { kind: 'text', text: 'Added greeting.py, committed it and opened pull request #1.' },
  ];
}

export const GIT_COMMIT_PR_PROMPT = 'Add a greeting module, commit it and open a pull request.';
export const GIT_COMMIT_PR_ARGS = ['--permission-mode', 'acceptEdits', '--allowedTools', 'Bash(git add:*),Bash(git commit:*),Bash(gh pr create:*)'];

export const SCENARIOS: Scenario[] = [
  {
    name: 'plain-answer',
    description: 'A plain text answer, no tools.',
    prompts: ['Say hello in one sentence.'],
    args: [],
    turns: () => [{ kind: 'text', text: 'Hello! I am a scripted fake model answering your prompt.' }],
    telemetry: {},
    expect: {
      exitCode: 0,
      apiRequests: 1,
      tokens: TOKENS_1,
      toolResults: {},
      decisions: {},
      files: [],
      prompts: 1,
      llmAttempts: { maxAttempt: 1, attemptEvents: 1 },
      temporality: 1,
    },
  },
  {
    name: 'write-edit-bash',
    description: 'Write a new file, Edit it, run Bash `ls -la` (acceptEdits + allowedTools Bash(ls:*)).',
    prompts: ['Create hello.py, then improve it, then list the directory.'],
    args: writeEditBashArgs,
    turns: writeEditBashTurns,
    telemetry: {},
    expect: writeEditBashExpect,
  },
  {
    name: 'denied-tool',
    description:
      'Bash `rm` denied by a --disallowedTools rule, then Write refused because print mode cannot ask (default permission mode).',
    prompts: ['Delete notes.txt and then write a summary file.'],
    args: ['--disallowedTools', 'Bash(rm:*)'],
    setup: (ctx) => writeFileSync(join(ctx.cwd, 'notes.txt'), 'keep me\n'),
    turns: (ctx) => [
      { kind: 'tool_use', name: 'Bash', input: { command: 'rm notes.txt', description: 'Delete notes.txt' } },
      { kind: 'tool_use', name: 'Write', input: { file_path: join(ctx.cwd, 'summary.md'), content: '# Summary\n\nNothing to report.\n' } },
      { kind: 'text', text: 'I was not allowed to delete or write files.' },
    ],
    telemetry: {},
    expect: {
      exitCode: 0,
      apiRequests: 3,
      tokens: TOKENS_3,
      // 2.1.197: the rm is rejected by config; the Write refused in print mode leaves no event.
      toolResults: {},
      decisions: { 'reject/config': 1 },
      files: [],
      filesKept: ['notes.txt'],
      prompts: 1,
      temporality: 1,
    },
  },
  {
    name: 'api-errors',
    description: 'The fake API answers 529, then 500, then 429 (retry-after: 1), then succeeds.',
    prompts: ['Say hello despite the flaky API.'],
    args: [],
    turns: () => [
      { kind: 'error', status: 529 },
      { kind: 'error', status: 500 },
      { kind: 'error', status: 429, retryAfterSec: 1 },
      { kind: 'text', text: 'Hello after three failed attempts.' },
    ],
    telemetry: {},
    expect: {
      exitCode: 0,
      apiRequests: 1,
      tokens: TOKENS_1,
      toolResults: {},
      decisions: {},
      files: [],
      prompts: 1,
      // Retried errors that end in success emit no api_error event: only the span shows them.
      llmAttempts: { maxAttempt: 4, attemptEvents: 4 },
      temporality: 1,
    },
  },
  {
    name: 'mcp-tool',
    description:
      'MCP tools of a stdio server declared in .mcp.json ("fixture"): mcp__fixture__add succeeds, mcp__fixture__lookup_ticket returns isError.',
    prompts: ['Add 2 and 40 with the MCP tool, then look up ticket missing.'],
    args: ['--allowedTools', 'mcp__fixture__add,mcp__fixture__lookup_ticket'],
    setup: (ctx) =>
      writeProjectMcpConfig(ctx.cwd, {
        fixture: {
          type: 'stdio',
          command: process.execPath,
          args: [join(REPO_ROOT, 'test', 'support', 'fixtureMcpServer.mjs')],
          env: { FIXTURE_MCP_CALL_LOG: ctx.mcpCallLog },
        },
      }),
    turns: () => [
      { kind: 'tool_use', text: 'Calling the MCP add tool.', name: 'mcp__fixture__add', input: { a: 2, b: 40 } },
      { kind: 'tool_use', name: 'mcp__fixture__lookup_ticket', input: { id: 'missing' } },
      { kind: 'text', text: 'The sum is 42 and the ticket was not found.' },
    ],
    telemetry: {},
    expect: {
      exitCode: 0,
      apiRequests: 3,
      tokens: TOKENS_3,
      // MCP tools are reported as tool_name "mcp_tool" on events.
      toolResults: { mcp_tool: { ok: 1, failed: 1 } },
      decisions: { 'accept/config': 2 },
      files: [],
      prompts: 1,
      mcpCalls: [
        { tool: 'add', result: 'sum=42' },
        { tool: 'lookup_ticket', result: 'error' },
      ],
      toolResultContains: ['sum=42', 'ticket missing not found'],
      temporality: 1,
    },
  },
  {
    name: 'write-edit-bash-json',
    description: 'Same as write-edit-bash with OTEL_EXPORTER_OTLP_PROTOCOL=http/json.',
    prompts: ['Create hello.py, then improve it, then list the directory.'],
    args: writeEditBashArgs,
    turns: writeEditBashTurns,
    telemetry: { protocol: 'http/json' },
    expect: writeEditBashExpect,
  },
  {
    name: 'write-edit-bash-gzip',
    description: 'Same as write-edit-bash with OTEL_EXPORTER_OTLP_COMPRESSION=gzip (protobuf).',
    prompts: ['Create hello.py, then improve it, then list the directory.'],
    args: writeEditBashArgs,
    turns: writeEditBashTurns,
    telemetry: { compression: 'gzip' },
    expect: writeEditBashExpect,
  },
  {
    name: 'long-session-delta',
    description:
      'One process, four prompts (stream-json input) with tool calls; default delta temporality; a pause between prompts so several metric exports happen.',
    prompts: longSessionPrompts,
    pauseMs: 1200,
    args: writeEditBashArgs,
    turns: longSessionTurns,
    telemetry: {},
    expect: longSessionExpect,
  },
  {
    name: 'long-session-cumulative',
    description: 'Same as long-session-delta with OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative.',
    prompts: longSessionPrompts,
    pauseMs: 1200,
    args: writeEditBashArgs,
    turns: longSessionTurns,
    telemetry: { temporality: 'cumulative' },
    expect: { ...longSessionExpect, temporality: 2 },
  },
  {
    name: 'subagent',
    description:
      'The main agent calls the Agent tool (subagent_type "claude"); the subagent runs Bash `ls` and answers; then the main agent answers.',
    prompts: ['Use a subagent to list the files.'],
    args: ['--allowedTools', 'Bash(ls:*)'],
    setup: (ctx) => writeFileSync(join(ctx.cwd, 'readme.txt'), 'hello\n'),
    turns: () => [
      {
        kind: 'tool_use',
        name: 'Agent',
        input: { description: 'List files', prompt: 'List the files in the working directory.', subagent_type: 'claude' },
      },
      // The subagent's own main-loop requests carry tools too, so they take the next turns.
      { kind: 'tool_use', name: 'Bash', input: { command: 'ls', description: 'List files' } },
      { kind: 'text', text: 'The directory contains readme.txt.' },
      { kind: 'text', text: 'The subagent found readme.txt.' },
    ],
    telemetry: {},
    expect: {
      exitCode: 0,
      apiRequests: 4,
      tokens: TOKENS_4,
      toolResults: { Agent: { ok: 1, failed: 0 }, Bash: { ok: 1, failed: 0 } },
      decisions: { 'accept/config': 2 },
      files: [],
      prompts: 1,
      toolResultContains: ['readme.txt'],
      temporality: 1,
      subagentRequests: 2,
    },
  },
];

SCENARIOS.push({
  name: 'git-commit-pr',
  description:
    'A git repository: Write a file, Bash `git add` + `git commit`, Bash `gh pr create` (a stand-in gh on PATH prints a PR URL): claude_code.commit.count and pull_request.count.',
  prompts: [GIT_COMMIT_PR_PROMPT],
  args: GIT_COMMIT_PR_ARGS,
  setup: (ctx) => initGitRepo(ctx.cwd),
  turns: gitCommitPrTurns,
  telemetry: {},
  env: { PATH: `${FAKE_GH_DIR}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}` },
  expect: {
    exitCode: 0,
    apiRequests: 5,
    tokens: TOKENS_5,
    toolResults: { Write: { ok: 1, failed: 0 }, Bash: { ok: 3, failed: 0 } },
    decisions: { 'accept/config': 4 },
    // A Write of a new file counts content.split('\n').length lines: 3 here.
    files: [{ path: 'greeting.py', linesAdded: 3, linesRemoved: 0 }],
    fileContents: { 'greeting.py': GREETING_PY },
    prompts: 1,
    toolResultContains: ['Add greeting module', 'https://github.com/acme/acme-web/pull/1'],
    temporality: 1,
    commits: 1,
    pullRequests: 1,
  },
});

export function scenarioByName(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario "${name}"; known: ${SCENARIOS.map((x) => x.name).join(', ')}`);
  return s;
}

export interface ScenarioRun {
  scenario: Scenario;
  ctx: ScenarioContext;
  result: RunClaudeResult;
  /** The fake API's record of the run: requests and the token truth. */
  requests: RecordedRequest[];
  usageLog: UsageLogEntry[];
  unscripted: number;
  remainingTurns: number;
  /** Lines the fixture MCP server logged (parsed). */
  mcpCalls: Array<{ tool: string; args: unknown; result: string }>;
  /** Removes the scratch HOME and project. */
  dispose(): void;
}

/**
 * Runs one scenario: fresh scratch HOME + project, its set-up, the fake API loaded with its script,
 * then the real CLI with telemetry sent to `otlpEndpoint` (omit it to run without telemetry).
 * The fake is reset, not restarted, so one fake can serve every scenario of a test file.
 */
export async function executeScenario(
  scenario: Scenario,
  opts: { fake: FakeAnthropic; otlpEndpoint?: string; timeoutMs?: number; telemetry?: TelemetryOptions },
): Promise<ScenarioRun> {
  const scratch = makeScratch(`ccl-${scenario.name}-`);
  const ctx: ScenarioContext = { cwd: scratch.cwd, home: scratch.home, mcpCallLog: join(scratch.root, 'mcp-calls.jsonl') };
  scenario.setup?.(ctx);
  opts.fake.reset(scenario.turns(ctx));
  const multi = scenario.prompts.length > 1;
  const result = await runClaude({
    cwd: ctx.cwd,
    home: ctx.home,
    ...(multi ? { prompts: scenario.prompts, pauseMs: scenario.pauseMs } : { prompt: scenario.prompts[0] }),
    args: scenario.args,
    env: scenario.env,
    fakeApiUrl: opts.fake.url,
    otlpEndpoint: opts.otlpEndpoint,
    telemetry: { ...scenario.telemetry, ...opts.telemetry },
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
  const mcpCalls = existsSync(ctx.mcpCallLog)
    ? readFileSync(ctx.mcpCallLog, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { tool: string; args: unknown; result: string })
    : [];
  return {
    scenario,
    ctx,
    result,
    requests: [...opts.fake.requests],
    usageLog: [...opts.fake.usageLog],
    unscripted: opts.fake.unscripted,
    remainingTurns: opts.fake.remainingTurns(),
    mcpCalls,
    dispose: scratch.dispose,
  };
}
