import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveRulesTable, resolveTables } from '../../../lib/cli/table-location.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'table-location-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runtimeFile(content: string) {
  mkdirSync(path.join(dir, '.local-data'), { recursive: true });
  writeFileSync(path.join(dir, '.local-data', 'runtime.json'), content);
}

describe('resolveRulesTable', () => {
  it('takes a table by name, with an endpoint and region', async () => {
    expect(
      await resolveRulesTable({ table: 'T', endpoint: 'http://127.0.0.1:8000', region: 'eu-west-1' }, dir),
    ).toEqual({
      tableName: 'T',
      endpoint: 'http://127.0.0.1:8000',
      region: 'eu-west-1',
    });
    expect(await resolveRulesTable({ table: 'T' }, dir)).toEqual({ tableName: 'T' });
  });

  it('reads the local runtime file', async () => {
    runtimeFile(
      JSON.stringify({ dynamodbEndpoint: 'http://127.0.0.1:9000', tables: { rules: 'local-Rules' } }),
    );
    expect(await resolveRulesTable({ local: true }, dir)).toEqual({
      tableName: 'local-Rules',
      endpoint: 'http://127.0.0.1:9000',
    });
  });

  it('says what is wrong with the local runtime file', async () => {
    await expect(resolveRulesTable({ local: true }, dir)).rejects.toThrow(
      /runtime\.json not found: start the local runtime/,
    );
    runtimeFile('{');
    await expect(resolveRulesTable({ local: true }, dir)).rejects.toThrow(/runtime\.json is not JSON/);
    runtimeFile(JSON.stringify({ dynamodbEndpoint: 'http://127.0.0.1:9000', tables: {} }));
    await expect(resolveRulesTable({ local: true }, dir)).rejects.toThrow(/runtime\.json: tables\.rules: /);
  });

  it('reads the runtime file of `npm start -- --data-dir DIR` with --data-dir DIR', async () => {
    const dataDir = path.join(dir, 'elsewhere');
    mkdirSync(dataDir);
    writeFileSync(
      path.join(dataDir, 'runtime.json'),
      JSON.stringify({ dynamodbEndpoint: 'http://127.0.0.1:9001', tables: { rules: 'local-Rules' } }),
    );
    expect(await resolveRulesTable({ local: true, 'data-dir': dataDir }, dir)).toEqual({
      tableName: 'local-Rules',
      endpoint: 'http://127.0.0.1:9001',
    });
    await expect(resolveRulesTable({ table: 'T', 'data-dir': dataDir }, dir)).rejects.toThrow(
      '--data-dir goes with --local',
    );
  });

  it('tells a runtime file left by an npm start that is gone, or one still starting', async () => {
    // A pid no process has: beyond the kernel's default pid_max.
    runtimeFile(
      JSON.stringify({ pid: 4_194_305, dynamodbEndpoint: 'http://127.0.0.1:9', tables: { rules: 'R' } }),
    );
    await expect(resolveRulesTable({ local: true }, dir)).rejects.toThrow(
      /left by npm start \(pid 4194305\), which is no longer running: start it again/,
    );
    runtimeFile(JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
    await expect(resolveRulesTable({ local: true }, dir)).rejects.toThrow(
      `npm start (pid ${process.pid}) is still starting`,
    );
  });

  it('wants exactly one way to find the table', async () => {
    await expect(resolveRulesTable({}, dir)).rejects.toMatchObject({ name: 'UsageError' });
    await expect(resolveRulesTable({ table: 'T', stack: 'S' }, dir)).rejects.toThrow('give only one of');
    await expect(resolveRulesTable({ local: true, endpoint: 'http://x' }, dir)).rejects.toThrow(
      '--endpoint goes with --table NAME',
    );
  });
});

describe('resolveTables: the Sessions table too, when it can be told', () => {
  it('with --table: --sessions-table, else SESSIONS_TABLE, else unknown', async () => {
    const env = { SESSIONS_TABLE: 'env-Sessions' };
    expect(await resolveTables({ table: 'T', 'sessions-table': 'S' }, dir, undefined, env)).toEqual({
      rules: { tableName: 'T' },
      sessionsTable: 'S',
    });
    expect(await resolveTables({ table: 'T' }, dir, undefined, env)).toEqual({
      rules: { tableName: 'T' },
      sessionsTable: 'env-Sessions',
    });
    expect(await resolveTables({ table: 'T' }, dir, undefined, {})).toEqual({ rules: { tableName: 'T' } });
  });

  it("with --local: the runtime file's tables.sessions, if it has one", async () => {
    runtimeFile(
      JSON.stringify({
        dynamodbEndpoint: 'http://127.0.0.1:9000',
        tables: { rules: 'local-Rules', sessions: 'local-Sessions' },
      }),
    );
    expect(await resolveTables({ local: true }, dir, undefined, { SESSIONS_TABLE: 'ignored' })).toEqual({
      rules: { tableName: 'local-Rules', endpoint: 'http://127.0.0.1:9000' },
      sessionsTable: 'local-Sessions',
    });
    runtimeFile(
      JSON.stringify({ dynamodbEndpoint: 'http://127.0.0.1:9000', tables: { rules: 'local-Rules' } }),
    );
    expect(await resolveTables({ local: true }, dir, undefined, {})).toEqual({
      rules: { tableName: 'local-Rules', endpoint: 'http://127.0.0.1:9000' },
    });
  });

  it('--sessions-table goes with --table', async () => {
    await expect(resolveTables({ local: true, 'sessions-table': 'S' }, dir, undefined, {})).rejects.toThrow(
      '--sessions-table goes with --table NAME',
    );
  });
});
