import { describe, expect, it } from 'vitest';
import { FACES, faceIdByName, faceName } from '../../../lib/smartqq/faces.ts';

describe('face table', () => {
  it('names the ids docs/protocol.md §6 quotes', () => {
    expect(faceName(0)).toBe('惊讶');
    expect(faceName(1)).toBe('撇嘴');
    expect(faceName(2)).toBe('色');
    expect(faceName(13)).toBe('呲牙');
    expect(faceName(14)).toBe('微笑');
    expect(faceName(21)).toBe('飞吻');
  });

  it('holds the classic panel from 0 to 134 and beyond', () => {
    expect(faceName(3)).toBe('发呆');
    expect(faceName(12)).toBe('调皮');
    expect(faceName(123)).toBe('NO');
    expect(faceName(134)).toBe('右太极');
    expect(FACES.length).toBeGreaterThan(130);
    expect(Math.max(...FACES.map((f) => f.id))).toBeGreaterThanOrEqual(160);
  });

  it('has unique ids and unique names, so name → id is a function', () => {
    expect(new Set(FACES.map((f) => f.id)).size).toBe(FACES.length);
    expect(new Set(FACES.map((f) => f.name)).size).toBe(FACES.length);
    for (const { id, name } of FACES) {
      expect(faceIdByName(name)).toBe(id);
      expect(faceName(id)).toBe(name);
    }
  });

  it('has names without spaces, markers or brackets', () => {
    for (const { name } of FACES) expect(name).toMatch(/^[^\s/[\]]+$/);
  });

  it('knows nothing of unknown ids and names', () => {
    expect(faceName(15)).toBeUndefined();
    expect(faceName(-1)).toBeUndefined();
    expect(faceIdByName('表情')).toBeUndefined();
    expect(faceIdByName('')).toBeUndefined();
  });
});
