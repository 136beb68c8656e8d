/**
 * The repository stands alone: a user clones it and nothing else. No file reaches outside it (the
 * workspace's `../shared/` folder is not there for a user), and every relative link in its Markdown
 * leads to a file it has. CI runs the suite in a fresh clone with nothing beside it (.ci/run).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SKIP = new Set(['node_modules', '.git', 'cdk.out', '.local-data', 'coverage', 'dist']);
const TEXT = /\.(ts|js|json|md|sh|yml|yaml|txt)$|^run$/;

function files(dir = ROOT): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name)) return [];
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return files(full);
    return TEXT.test(name) && name !== 'package-lock.json' ? [full] : [];
  });
}

const relative = (file: string) => path.relative(ROOT, file);

describe('the repository stands alone', () => {
  it('has no file that reads or names the workspace folder beside it', () => {
    const outside = files().filter((file) => {
      const text = readFileSync(file, 'utf8');
      const climbsOut = [...text.matchAll(/((?:\.\.\/)+)shared\b/g)].some(
        ([, up]) => !path.resolve(path.dirname(file), up as string).startsWith(ROOT),
      );
      return climbsOut || /\bPROTOCOL\.md/.test(text);
    });
    expect(outside.map(relative)).toEqual([]);
  });

  it('links, in every Markdown file, only to files that exist inside it', () => {
    const broken: string[] = [];
    for (const file of files().filter((f) => f.endsWith('.md'))) {
      const text = readFileSync(file, 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:|^#/.test(target)) continue;
        const resolved = path.resolve(path.dirname(file), target.split('#')[0] as string);
        if (!resolved.startsWith(ROOT) || !existsSync(resolved)) broken.push(`${relative(file)} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('keeps the captured SmartQQ answers the tests read, with where they come from', () => {
    const fixtures = path.join(ROOT, 'test/fixtures/smartqq');
    expect(readFileSync(path.join(fixtures, 'README.md'), 'utf8')).toMatch(/slince\/smartqq/);
    expect(readdirSync(fixtures).filter((f) => f.endsWith('.txt')).length).toBeGreaterThanOrEqual(19);
  });
});
