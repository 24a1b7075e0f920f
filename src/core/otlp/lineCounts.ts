// Line counts of edit tools, computed from tool_input before it is discarded (file contents are never
// stored). Matches what Claude Code's own `claude_code.lines_of_code.count` reports on the fixtures:
// Write counts `content.split('\n').length` lines added; Edit counts a line diff of old vs new string.

/** Above this many lines per side the diff falls back to common prefix/suffix trimming (bounded CPU). */
const MAX_LCS_LINES = 2_000;

export interface LineDelta {
  added: number;
  removed: number;
}

export function writeLines(content: string): LineDelta {
  return { added: content === '' ? 0 : content.split('\n').length, removed: 0 };
}

export function diffLines(oldText: string, newText: string): LineDelta {
  const a = oldText.split('\n');
  const b = newText.split('\n');
  // Trim the common prefix and suffix: cheap, and exact for the usual single-hunk edit.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length === 0 || midB.length === 0 || midA.length > MAX_LCS_LINES || midB.length > MAX_LCS_LINES) {
    return { added: midB.length, removed: midA.length };
  }
  const common = lcsLength(midA, midB);
  return { added: midB.length - common, removed: midA.length - common };
}

function lcsLength(a: string[], b: string[]): number {
  let prev = new Uint32Array(b.length + 1);
  let cur = new Uint32Array(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      cur[j] = a[i - 1] === b[j - 1] ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * Lines added/removed by an edit tool's input, or undefined when the tool does not edit files or the
 * input does not carry the text (e.g. redacted).
 */
export function lineDeltaOf(toolName: string, input: Record<string, unknown>): LineDelta | undefined {
  const str = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
  switch (toolName) {
    case 'Write': {
      const content = str('content');
      return content === undefined ? undefined : writeLines(content);
    }
    case 'Edit': {
      const o = str('old_string');
      const n = str('new_string');
      return o === undefined || n === undefined ? undefined : diffLines(o, n);
    }
    case 'MultiEdit': {
      const edits = Array.isArray(input.edits) ? input.edits : undefined;
      if (!edits) return undefined;
      const total = { added: 0, removed: 0 };
      for (const e of edits) {
        if (!e || typeof e !== 'object') continue;
        const { old_string: o, new_string: n } = e as Record<string, unknown>;
        if (typeof o !== 'string' || typeof n !== 'string') continue;
        const d = diffLines(o, n);
        total.added += d.added;
        total.removed += d.removed;
      }
      return total;
    }
    case 'NotebookEdit': {
      const src = str('new_source');
      const mode = str('edit_mode');
      if (mode === 'delete') return { added: 0, removed: 0 };
      return src === undefined ? undefined : writeLines(src);
    }
    default:
      return undefined;
  }
}

const LANGUAGES: Record<string, string> = {
  py: 'Python', pyi: 'Python', js: 'Javascript', mjs: 'Javascript', cjs: 'Javascript', jsx: 'Javascript',
  ts: 'TypeScript', tsx: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript', md: 'Markdown', mdx: 'Markdown',
  txt: 'Plain text', json: 'JSON', jsonc: 'JSON', rs: 'Rust', go: 'Go', java: 'Java', kt: 'Kotlin',
  rb: 'Ruby', php: 'PHP', c: 'C', h: 'C', cc: 'C++', cpp: 'C++', cxx: 'C++', hpp: 'C++', cs: 'C#',
  swift: 'Swift', sh: 'Shell', bash: 'Shell', zsh: 'Shell', yml: 'YAML', yaml: 'YAML', toml: 'TOML',
  html: 'HTML', htm: 'HTML', css: 'CSS', scss: 'SCSS', sql: 'SQL', xml: 'XML', vue: 'Vue', svelte: 'Svelte',
  ipynb: 'Jupyter Notebook', dart: 'Dart', scala: 'Scala', lua: 'Lua', r: 'R', ex: 'Elixir', exs: 'Elixir',
};

/** Language from a file's extension, in Claude Code's vocabulary where it is known (`Python`, `Plain text`). */
export function languageOf(filePath: string): string {
  const base = filePath.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  if (dot <= 0) return base === 'Dockerfile' ? 'Dockerfile' : base === 'Makefile' ? 'Makefile' : 'Other';
  return LANGUAGES[base.slice(dot + 1).toLowerCase()] ?? 'Other';
}
