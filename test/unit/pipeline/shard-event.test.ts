import { describe, expect, it } from 'vitest';
import { MAX_SHARDS, parseShardEvent, ShardEventError } from '../../../lib/pipeline/shard.ts';

describe('parseShardEvent', () => {
  it('reads the shard the stack rule passes; a plain scheduled event is the only shard of one', () => {
    expect(parseShardEvent({ shard: 2, shards: 3 })).toEqual({ shard: 2, shards: 3 });
    expect(parseShardEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event' })).toEqual({
      shard: 0,
      shards: 1,
    });
    expect(parseShardEvent({})).toEqual({ shard: 0, shards: 1 });
    expect(parseShardEvent(undefined)).toEqual({ shard: 0, shards: 1 });
  });

  it('refuses a bad one, naming the field and the range', () => {
    const bad: [unknown, RegExp][] = [
      [{ shard: 3, shards: 3 }, /^shard: expected a whole number from 0 to 2, got 3$/],
      [{ shard: -1, shards: 3 }, /^shard: /],
      [{ shard: 0.5, shards: 3 }, /^shard: /],
      [{ shard: '0', shards: 3 }, /^shard: .*got "0"$/],
      [{ shard: 0 }, /^shards: expected a whole number from 1 to 100, got undefined$/],
      [{ shards: 2 }, /^shard: /],
      [{ shard: 0, shards: 0 }, /^shards: /],
      [{ shard: 0, shards: MAX_SHARDS + 1 }, /^shards: /],
    ];
    for (const [event, message] of bad) {
      expect(() => parseShardEvent(event), JSON.stringify(event)).toThrow(message);
      expect(() => parseShardEvent(event)).toThrow(ShardEventError);
    }
  });
});
