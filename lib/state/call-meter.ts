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

/** The DynamoDB operations that report the capacity they consumed when asked. */
export const CAPACITY_OPERATIONS: ReadonlySet<string> = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchWriteItem',
  'BatchGetItem',
]);

export interface Capacity {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

/** Adds a call's `ConsumedCapacity` (one or a list) to `units`, as read or write by the operation. */
export function addConsumedCapacity(
  operation: string,
  consumed: Capacity | Capacity[] | undefined,
  units: { read: number; write: number },
): void {
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
      units.read += c.ReadCapacityUnits ?? 0;
      units.write += c.WriteCapacityUnits ?? 0;
    } else if (/Get|Query|Scan/.test(operation)) units.read += c.CapacityUnits ?? 0;
    else units.write += c.CapacityUnits ?? 0;
  }
}

export function meterDynamoCalls(client: DynamoDBClient): CallMeter {
  const calls = new Map<string, number>();
  const units = { read: 0, write: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const input = args.input as Record<string, unknown>;
      if (
        CAPACITY_OPERATIONS.has(name.replace(/Command$/, '')) &&
        input.ReturnConsumedCapacity === undefined
      ) {
        input.ReturnConsumedCapacity = 'TOTAL';
      }
      const result = await next(args);
      addConsumedCapacity(
        name,
        (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity,
        units,
      );
      return result;
    },
    { step: 'initialize', name: 'callMeter' },
  );
  return {
    calls,
    readUnits: () => units.read,
    writeUnits: () => units.write,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      calls.clear();
      units.read = 0;
      units.write = 0;
    },
  };
}
