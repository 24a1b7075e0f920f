// Items parsed from Claude Code's JSONL transcripts (~/.claude/projects/<project-dir>/<session>.jsonl):
// the output of lineSplitter.ts + parse.ts, the input of the store's transcript import.
//
// Invariants (same privacy rules as OTLP ingest, see ARCHITECTURE.md "Privacy at ingest"):
// - No file contents, no model output, no tool results are ever carried. Prompt text and session titles
//   only when ParseContext.storePromptText; bash commands bounded like OTLP (normalize.ts boundCommand).
// - Times are epoch milliseconds, undefined when the line had no parseable `timestamp`.
// - Token counts are non-negative safe integers below TranscriptLimits.maxTokens (else the line is skipped).
// - The parser does not dedupe: one API response is several lines (one per content block, streaming
//   snapshots) sharing `message.id` + `requestId`. The store keeps one request per key with the largest
//   usage (parse.ts mergeUsage) and one tool use per toolUseId.
//
// Interface notes for the store (changes against the lead's brief):
// - `request.uuid` (the line's own uuid) is added: a fallback key when both requestId and messageId are
//   absent (very old transcripts).
// - ParseContext gains optional `fileAgentId` (from `agent-<id>.jsonl`) and `maxPromptChars`.
// - `session.title` is present only with storePromptText: titles are generated from the prompt
//   (`ai-title`, `summary`) or typed by the user (`custom-title`), i.e. prompt-derived text.

import type { TokenUse } from '../pricing/estimate';

/** Why a line produced nothing. A closed union: the import summary counts lines per reason. */
export type SkipReason =
  /** JSON.parse failed (also a truncated line that was later completed differently). */
  | 'malformed_json'
  /** Valid JSON that is not an object (array, string, number, null). */
  | 'not_an_object'
  /** Longer than TranscriptLimits.maxLineBytes (reported by the splitter). */
  | 'too_long'
  /** Not valid UTF-8 (reported by the splitter, fatal TextDecoder). */
  | 'invalid_utf8'
  /** Contains NUL bytes: binary data, not JSON (reported by the splitter). */
  | 'binary'
  /** Assistant line with model `<synthetic>`: written by Claude Code itself, not an API response. */
  | 'synthetic'
  /** Assistant line with `isApiErrorMessage: true`: an error shown to the user, not a billed response. */
  | 'api_error_message'
  /** A token/count field that is negative, fractional, not a number, or >= maxTokens (detail names it). */
  | 'out_of_range';

export const SKIP_REASONS: readonly SkipReason[] = [
  'malformed_json',
  'not_an_object',
  'too_long',
  'invalid_utf8',
  'binary',
  'synthetic',
  'api_error_message',
  'out_of_range',
];

export interface ParseSkip {
  skip: SkipReason;
  /** Short, bounded explanation (field name, JSON error); never line content. */
  detail?: string;
}

/** Bounds of the transcript reader; each has a default and a reason in DEFAULT_TRANSCRIPT_LIMITS. */
export interface TranscriptLimits {
  /** A line longer than this is skipped ('too_long') and reading resumes after its newline. */
  maxLineBytes: number;
  /** Token counts must be below this (like OTLP ingest); otherwise the line is 'out_of_range'. */
  maxTokens: number;
}

export const DEFAULT_TRANSCRIPT_LIMITS: TranscriptLimits = {
  // 16 MiB: real lines are KBs, the largest are assistant/user lines embedding a whole file or a base64
  // image (Claude Code caps images at ~5 MB, i.e. ~7 MB of base64); 16 MiB leaves room for that while
  // bounding the memory one line can take (the splitter holds at most one line plus one read chunk).
  maxLineBytes: 16 * 1024 * 1024,
  // 1e9: no single request has a billion tokens (context windows are <= 1M); larger values are garbage.
  maxTokens: 1e9,
};

/** Fields describing the session that most user/assistant lines repeat. */
export interface SessionFields {
  cwd?: string;
  gitBranch?: string;
  /** Claude Code version that wrote the line, e.g. `2.1.197`. */
  version?: string;
  /** `cli`, `sdk-cli`, `claude-vscode`... */
  entrypoint?: string;
}

/** Token usage of one API response (one streaming snapshot of it): the pricing fields, all present. */
export interface TranscriptUsage extends TokenUse {
  /** `server_tool_use.web_search_requests` (billed per request). */
  webSearchRequests: number;
  /** `server_tool_use.web_fetch_requests` (no charge beyond tokens). */
  webFetchRequests: number;
}

export interface TranscriptRequest extends SessionFields {
  kind: 'request';
  sessionId: string;
  /** Equals OTLP api_request.request_id; absent in old versions. */
  requestId?: string;
  /** `message.id` (`msg_...`). */
  messageId?: string;
  /** The line's `uuid` (fallback key when requestId and messageId are both absent). */
  uuid?: string;
  timeMs?: number;
  /** Raw model id, e.g. `claude-opus-4-8[1m]`. */
  model: string;
  /** records.ts normalizeModel(model). */
  modelNorm: string;
  usage: TranscriptUsage;
  /** `normal` | `fast` | ...: transcript `standard` is normalized to OTLP's `normal`. */
  speed?: string;
  /** `usage.inference_geo`, undefined when empty. */
  inferenceGeo?: string;
  serviceTier?: string;
  isSidechain: boolean;
  /** Subagent id (line `agentId`, else ParseContext.fileAgentId). */
  agentId?: string;
}

export interface TranscriptToolUse {
  kind: 'toolUse';
  sessionId: string;
  messageId?: string;
  requestId?: string;
  toolUseId?: string;
  toolName: string;
  timeMs?: number;
  isSidechain: boolean;
  agentId?: string;
  filePath?: string;
  language?: string;
  /** lineCounts.ts lineDeltaOf on the tool input: equal to OTLP's counts for the same input. */
  linesAdded?: number;
  linesRemoved?: number;
  /** Bash: bounded like OTLP (argv0 only unless storeCommands). */
  command?: string;
  /** For `mcp__server__tool` names. */
  mcpServer?: string;
  mcpTool?: string;
}

export interface TranscriptPrompt {
  kind: 'prompt';
  sessionId: string;
  /** The line's `promptId` (equals OTLP `prompt.id`) when present. */
  promptId?: string;
  uuid?: string;
  timeMs?: number;
  /** Length of the prompt text in UTF-16 code units (String.length), like OTLP prompt_length. */
  length: number;
  /** Only with storePromptText, bounded to maxPromptChars. */
  text?: string;
}

export interface TranscriptSession extends SessionFields {
  kind: 'session';
  sessionId: string;
  timeMs?: number;
  /** From `custom-title` / `ai-title` / `summary` records; only with storePromptText (prompt-derived). */
  title?: string;
  /** Which record gave the title (a user's custom title should win over a generated one). */
  titleSource?: 'custom-title' | 'ai-title' | 'summary';
}

export interface TranscriptToolResult {
  kind: 'toolResult';
  sessionId: string;
  toolUseId: string;
  isError: boolean;
  timeMs?: number;
}

export type TranscriptItem = TranscriptRequest | TranscriptToolUse | TranscriptPrompt | TranscriptSession | TranscriptToolResult;

export interface ParseContext {
  /** Name of the project folder (`-home-dev-projects-acme-web`), for repoOf when a line has no cwd. */
  projectDir: string;
  /** Session id from the file name (`<session-id>.jsonl`, or the parent folder for subagents). */
  fileSessionId?: string;
  /** The file is under `<session>/subagents/`: its requests are subagent requests. */
  isSubagent: boolean;
  /** Agent id from a subagent file name `agent-<id>.jsonl`, used when a line has no `agentId`. */
  fileAgentId?: string;
  storePromptText: boolean;
  storeCommands: boolean;
  maxCommandChars: number;
  /** Bound on kept prompt text; default 10,000 like IngestOptions.maxPromptChars. */
  maxPromptChars?: number;
  /** Defaults to DEFAULT_TRANSCRIPT_LIMITS.maxTokens. */
  maxTokens?: number;
}
