// One logger shape for every layer. The VS Code host backs it with a LogOutputChannel
// ("Claude Code Ledger", { log: true }); the CLI with stderr; tests with an array.
export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** A logger that prefixes every line with a component tag, e.g. `[receiver]`. */
export function tagged(log: Logger, component: string): Logger {
  const p = `[${component}] `;
  return {
    trace: (m) => log.trace(p + m),
    debug: (m) => log.debug(p + m),
    info: (m) => log.info(p + m),
    warn: (m) => log.warn(p + m),
    error: (m) => log.error(p + m),
  };
}

/**
 * `log` made unable to throw. VS Code closes an extension's LogOutputChannel while the extension host
 * shuts down, before deactivate() has finished: a log call then throws "Channel has been closed", and
 * a throw inside the shutdown path (leadership stop -> final snapshot -> lock release) skipped the
 * final snapshot, so everything not yet journaled (a first transcript import) was lost at every
 * window close. A line that cannot be written is dropped; the work around it goes on.
 */
export function neverThrows(log: Logger): Logger {
  const safe = (write: (m: string) => void) => (m: string) => {
    try {
      write(m);
    } catch {
      // the sink is closed (shutdown): drop the line
    }
  };
  return {
    trace: safe((m) => log.trace(m)),
    debug: safe((m) => log.debug(m)),
    info: safe((m) => log.info(m)),
    warn: safe((m) => log.warn(m)),
    error: safe((m) => log.error(m)),
  };
}

/** Writes `level message` lines to a stream (the headless CLI uses stderr). */
export function streamLogger(write: (line: string) => void, minLevel: 'trace' | 'debug' | 'info' = 'info'): Logger {
  const order = ['trace', 'debug', 'info', 'warn', 'error'];
  const min = order.indexOf(minLevel);
  const at = (level: string) => (m: string) => {
    if (order.indexOf(level) >= min) write(`${new Date().toISOString()} ${level.padEnd(5)} ${m}\n`);
  };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Collects lines (tests). */
export function memoryLogger(lines: string[] = []): Logger & { lines: string[] } {
  const at = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
