/**
 * An item changed by read-modify-write, each write conditional on the revision it read: the account
 * registry and the OneBot ids, small items that several functions may change at once. A write that
 * lost to another reads again and retries after a short random wait.
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

/** How many times a change is tried before its conflict is thrown. */
export const CHANGE_ATTEMPTS = 12;
const RETRY_WAIT_MS = 25;

/**
 * Runs `attempt` until it returns a value: `attempt` reads the item and returns the result, or calls
 * `put` with the changed item (which answers false when another write came first: then it runs again).
 */
export async function changeAtRevision<T>(
  doc: DynamoDBDocumentClient,
  tableName: string,
  attempt: (
    put: (item: Record<string, unknown>, revision: number) => Promise<boolean>,
  ) => Promise<T | undefined>,
): Promise<T> {
  const put = async (item: Record<string, unknown>, revision: number) => {
    try {
      await doc.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...item, revision: revision + 1 },
          ConditionExpression: revision === 0 ? 'attribute_not_exists(#revision)' : '#revision = :revision',
          ExpressionAttributeNames: { '#revision': 'revision' },
          ...(revision === 0 ? {} : { ExpressionAttributeValues: { ':revision': revision } }),
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof Error && err.name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  };
  for (let tries = 1; ; tries++) {
    const result = await attempt(put);
    if (result !== undefined) return result;
    if (tries >= CHANGE_ATTEMPTS) {
      throw new Error(`the item changed under ${CHANGE_ATTEMPTS} writes in a row: try again`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * RETRY_WAIT_MS));
  }
}
