import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  claimRuntimeFile,
  LocalRuntimeBusyError,
  releaseRuntimeFile,
  runtimeFilePath,
  writeRuntimeFile,
} from '../../../lib/state/runtime-file.ts';

/** Beyond the largest pid_max Linux allows: no process has it. */
const GONE_PID = 4_194_305;

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'runtime-file-'));
  file = runtimeFilePath(path.join(dir, 'data'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const held = () => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

describe('claimRuntimeFile', () => {
  it('creates the file (and its folder) with our pid and start time', () => {
    const claim = claimRuntimeFile(file);
    expect(held()).toEqual({ pid: process.pid, startedAt: claim.startedAt });
    expect(claim.replacedPid).toBeUndefined();
  });

  it('refuses while a live process holds it, naming it, and leaves its file alone', () => {
    const other = process.ppid;
    claimRuntimeFile(file);
    writeRuntimeFile(file, {
      pid: other,
      startedAt: '2026-11-29T20:00:00.000Z',
      dynamodbEndpoint: 'http://127.0.0.1:1234',
      sendApiUrl: 'http://127.0.0.1:5678',
      tables: { rules: 'local-Rules' },
    });
    const before = readFileSync(file, 'utf8');

    const refused = (() => {
      try {
        claimRuntimeFile(file);
      } catch (err) {
        return err;
      }
    })();

    expect(refused).toBeInstanceOf(LocalRuntimeBusyError);
    expect((refused as Error).message).toBe(
      `npm start is already running on ${path.dirname(file)} (pid ${other}, started 2026-11-29T20:00:00.000Z, ` +
        'send API http://127.0.0.1:5678): stop it first, or give this one its own data folder with `npm start -- --data-dir DIR`',
    );
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('replaces a stale file (its process gone, or not even JSON) and says whose it was', () => {
    claimRuntimeFile(file, GONE_PID);
    expect(claimRuntimeFile(file).replacedPid).toBe(GONE_PID);
    expect(held().pid).toBe(process.pid);

    writeFileSync(file, '{ half a file');
    claimRuntimeFile(file);
    expect(held().pid).toBe(process.pid);
  });

  it('is exclusive: of two claims by different live processes, the second is refused', () => {
    claimRuntimeFile(file, process.ppid);
    expect(() => claimRuntimeFile(file)).toThrow(LocalRuntimeBusyError);
  });
});

describe('releaseRuntimeFile', () => {
  it('removes our own file, and leaves one that another process claimed since', () => {
    claimRuntimeFile(file);
    releaseRuntimeFile(file);
    expect(existsSync(file)).toBe(false);

    claimRuntimeFile(file, process.ppid);
    releaseRuntimeFile(file);
    expect(held().pid).toBe(process.ppid);
  });

  it('does nothing when there is no file', () => {
    expect(() => releaseRuntimeFile(file)).not.toThrow();
  });
});
