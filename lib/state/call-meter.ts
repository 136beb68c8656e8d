/**
 * Counts the DynamoDB calls a client makes and the capacity units they consume (an AWS SDK v3
 * middleware): the round trips and write units per message are a budget (issue 11), asserted in a
 * test and printed by `npm run bench:e2e`. Asks each call for `ReturnConsumedCapacity: TOTAL`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface CallMeter {
  /** Calls by command name (`PutItemCommand`…). */
  readonly calls: Map<string, number>;
  readonly readUnits: () => number;
  readonly writeUnits: () => number;
  readonly total: () => number;
  reset(): void;
}

const WITH_CAPACITY = new Set([
  'GetItemCommand',
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'QueryCommand',
  'BatchWriteItemCommand',
  'BatchGetItemCommand',
]);

interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

export function meterDynamoCalls(client: DynamoDBClient): CallMeter {
  const calls = new Map<string, number>();
  let read = 0;
  let write = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const input = args.input as Record<string, unknown>;
      if (WITH_CAPACITY.has(name) && input.ReturnConsumedCapacity === undefined) {
        input.ReturnConsumedCapacity = 'TOTAL';
      }
      const result = await next(args);
      const output = result.output as { ConsumedCapacity?: Capacity | Capacity[] };
      const consumed = output.ConsumedCapacity;
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        const units = c.CapacityUnits ?? 0;
        if (c.WriteCapacityUnits !== undefined || c.ReadCapacityUnits !== undefined) {
          read += c.ReadCapacityUnits ?? 0;
          write += c.WriteCapacityUnits ?? 0;
        } else if (/Get|Query/.test(name)) read += units;
        else write += units;
      }
      return result;
    },
    { step: 'initialize', name: 'callMeter' },
  );
  return {
    calls,
    readUnits: () => read,
    writeUnits: () => write,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      calls.clear();
      read = 0;
      write = 0;
    },
  };
}
