import { describe, expect, it } from 'vitest';
import { RuleCache, type RuleProblem, type RuleSet, type RuleSource } from '../../../lib/rules/index.ts';
import { message, ruleInput } from './factories.ts';

class FakeSource implements RuleSource {
  items: unknown[] = [ruleInput()];
  marker = 1;
  versionReads = 0;
  lists = 0;
  /** Thrown by list (and version, if `versionFails`) while set: the table cannot be read. */
  failure: Error | undefined;
  versionFails = false;
  async version() {
    this.versionReads++;
    if (this.failure && this.versionFails) throw this.failure;
    return this.marker;
  }
  async list() {
    this.lists++;
    if (this.failure) throw this.failure;
    return this.items;
  }
}

const replies = (ruleSet: RuleSet) => ruleSet.match(message()).map((m) => m.reply);

describe('RuleCache', () => {
  it('loads once, then reads the change marker at most every checkEveryMs, never per message', async () => {
    const source = new FakeSource();
    const cache = new RuleCache(source, { checkEveryMs: 5_000, reloadEveryMs: 60_000 });
    for (let t = 0; t < 4_000; t += 100) await cache.ruleSet('20001', t);
    expect(source.lists).toBe(1);
    expect(source.versionReads).toBe(1);
    await cache.ruleSet('20001', 5_000);
    expect(source.versionReads).toBe(2);
    expect(source.lists).toBe(1);
  });

  it('reloads when the marker moved, and serves the new rules', async () => {
    const source = new FakeSource();
    const cache = new RuleCache(source, { checkEveryMs: 5_000 });
    const before = await cache.ruleSet('20001', 0);
    expect(before.match(message()).map((m) => m.reply)).toEqual(['pong']);
    source.items = [ruleInput({ replies: ['PONG!'] })];
    source.marker = 2;
    expect((await cache.ruleSet('20001', 1_000)).match(message()).map((m) => m.reply)).toEqual(['pong']);
    expect((await cache.ruleSet('20001', 5_000)).match(message()).map((m) => m.reply)).toEqual(['PONG!']);
  });

  it('reloads every reloadEveryMs even without a marker change (hand edits in the console)', async () => {
    const source = new FakeSource();
    const cache = new RuleCache(source, { checkEveryMs: 1_000, reloadEveryMs: 60_000 });
    await cache.ruleSet('20001', 0);
    await cache.ruleSet('20001', 30_000);
    expect(source.lists).toBe(1);
    await cache.ruleSet('20001', 60_000);
    expect(source.lists).toBe(2);
  });

  it('reports invalid rules once per reload, not per message, and keeps serving the valid ones', async () => {
    const source = new FakeSource();
    source.items = [ruleInput(), ruleInput({ id: 'broken', match: 'regex', pattern: '(?=x)' })];
    const reported: RuleProblem[][] = [];
    const cache = new RuleCache(source, { checkEveryMs: 5_000, onProblems: (p) => reported.push([...p]) });
    for (let t = 0; t < 3_000; t += 10) {
      expect((await cache.ruleSet('20001', t)).match(message()).map((m) => m.rule.id)).toEqual(['r1']);
    }
    expect(reported).toHaveLength(1);
    expect(reported[0]?.map((p) => `${p.ruleId}:${p.field}`)).toEqual(['broken:pattern']);
  });

  it('keeps serving the last rule set when a reload fails, retries at the next check, and recovers', async () => {
    const source = new FakeSource();
    const failures: [unknown, string, number][] = [];
    const cache = new RuleCache(source, {
      checkEveryMs: 5_000,
      onReloadError: (error, account, loadedAt) => failures.push([error, account, loadedAt]),
    });
    expect(replies(await cache.ruleSet('20001', 0))).toEqual(['pong']);

    source.marker = 2;
    source.items = [ruleInput({ replies: ['PONG!'] })];
    source.failure = new Error('list failed');
    for (let t = 5_000; t < 10_000; t += 100)
      expect(replies(await cache.ruleSet('20001', t))).toEqual(['pong']);
    expect(failures).toEqual([[source.failure, '20001', 0]]);
    expect(source.lists).toBe(2); // one retry per check, not one per message

    source.versionFails = true;
    expect(replies(await cache.ruleSet('20001', 10_000))).toEqual(['pong']);
    expect(failures).toHaveLength(2);

    source.failure = undefined;
    expect(replies(await cache.ruleSet('20001', 14_000))).toEqual(['pong']);
    expect(replies(await cache.ruleSet('20001', 15_000))).toEqual(['PONG!']);
    expect(failures).toHaveLength(2);
  });

  it('retries a hand-edit reload (same marker) at the next check after a failure', async () => {
    const source = new FakeSource();
    const cache = new RuleCache(source, {
      checkEveryMs: 1_000,
      reloadEveryMs: 60_000,
      onReloadError: () => {},
    });
    await cache.ruleSet('20001', 0);
    source.items = [ruleInput({ replies: ['edited'] })];
    source.failure = new Error('throttled');
    expect(replies(await cache.ruleSet('20001', 60_000))).toEqual(['pong']);
    source.failure = undefined;
    expect(replies(await cache.ruleSet('20001', 61_000))).toEqual(['edited']);
  });

  it('with no rule set yet, a failed load fails the message, and the next call loads', async () => {
    const source = new FakeSource();
    const cache = new RuleCache(source, { onReloadError: () => {} });
    source.failure = new Error('unavailable');
    await expect(cache.ruleSet('20001', 0)).rejects.toThrow('unavailable');
    source.failure = undefined;
    expect(replies(await cache.ruleSet('20001', 1))).toEqual(['pong']);
  });

  it('keeps one set per account', async () => {
    const source = new FakeSource();
    const cache = new RuleCache(source);
    await cache.ruleSet('20001', 0);
    await cache.ruleSet('30001', 0);
    expect(source.lists).toBe(2);
  });
});
