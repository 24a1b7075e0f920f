// Lists declared once in src/protocol (issue 14, finding 3): sort keys, export datasets, dashboard views.
// The compiler checks the Records and the exhaustive switch; these tests check the places that take a
// string from outside (CLI, MCP schema, webview columns) against the same const.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as z from 'zod/v4';
import { EXPORT_DATASETS, SESSION_SORTS } from '../../src/protocol/dto';
import { DASHBOARD_VIEWS } from '../../src/protocol/messages';
import { parseExportArgs } from '../../src/server/exportCommand';
import { TOOLS } from '../../src/server/mcp/tools';
import { SESSION_COLUMNS, serverSortFor } from '../../webview/model';

test('session sorts: the MCP schema offers exactly SESSION_SORTS; each is a dashboard column sorted by the store', () => {
  const sort = TOOLS.find((t) => t.name === 'list_sessions')!.inputSchema.sort as z.ZodOptional<z.ZodEnum>;
  assert.deepEqual(sort.unwrap().options, [...SESSION_SORTS]);
  const keys = SESSION_COLUMNS.map((c) => c.key);
  for (const s of SESSION_SORTS) {
    assert.ok(keys.includes(s), `column for sort ${s}`);
    assert.equal(serverSortFor(s), s);
  }
  assert.deepEqual(keys.filter((k) => serverSortFor(k) === undefined), ['repo', 'models', 'prompts', 'lines', 'decisions']);
});

test('export datasets: the CLI accepts each of EXPORT_DATASETS and names them all when refusing', () => {
  for (const d of EXPORT_DATASETS) assert.equal(parseExportArgs(['--data', '/d', '--dataset', d, '--out', '/o.csv']).dataset, d);
  assert.throws(() => parseExportArgs(['--data', '/d', '--dataset', 'toolz', '--out', '/o.csv']), {
    message: '--dataset must be one of requests, sessions, daily, files, tools',
  });
});

test('dashboard views: tab order', () => {
  assert.deepEqual([...DASHBOARD_VIEWS], ['overview', 'productivity', 'sessions', 'files', 'acceptance', 'tools']);
});
