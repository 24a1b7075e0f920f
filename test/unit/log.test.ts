import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryLogger, neverThrows, tagged, type Logger } from '../../src/core/log';

describe('neverThrows', () => {
  it('passes lines through while the sink works', () => {
    const mem = memoryLogger();
    const log = tagged(neverThrows(mem), 'store');
    log.info('a');
    log.error('b');
    assert.deepEqual(mem.lines, ['info [store] a', 'error [store] b']);
  });

  it('drops a line when the sink throws (VS Code closed the channel during shutdown), and the caller goes on', () => {
    let closed = false;
    const lines: string[] = [];
    const channel: Logger = Object.fromEntries(
      (['trace', 'debug', 'info', 'warn', 'error'] as const).map((level) => [
        level,
        (m: string) => {
          if (closed) throw new Error('Channel has been closed');
          lines.push(m);
        },
      ]),
    ) as unknown as Logger;
    const log = neverThrows(channel);
    log.info('before');
    closed = true;
    let flushed = false;
    const shutdown = () => {
      log.info('leader -> stopped');
      flushed = true; // the final snapshot that a throwing log call used to skip
    };
    assert.doesNotThrow(shutdown);
    assert.equal(flushed, true);
    for (const level of ['trace', 'debug', 'warn', 'error'] as const) assert.doesNotThrow(() => log[level]('x'));
    assert.deepEqual(lines, ['before']);
  });
});
