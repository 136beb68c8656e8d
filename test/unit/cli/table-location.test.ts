import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveRulesTable } from '../../../lib/cli/table-location.ts';

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

  it('wants exactly one way to find the table', async () => {
    await expect(resolveRulesTable({}, dir)).rejects.toMatchObject({ name: 'UsageError' });
    await expect(resolveRulesTable({ table: 'T', stack: 'S' }, dir)).rejects.toThrow('give only one of');
    await expect(resolveRulesTable({ local: true, endpoint: 'http://x' }, dir)).rejects.toThrow(
      '--endpoint goes with --table NAME',
    );
  });
});
