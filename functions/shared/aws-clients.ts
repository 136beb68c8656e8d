/**
 * AWS SDK v3 clients, created once per cold start. Locally the endpoints point at the embedded
 * emulators (the same code path as in AWS, with an endpoint override).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoClients } from '../../lib/state/dynamo.ts';

export function createAwsClients(env: {
  DYNAMODB_ENDPOINT?: string | undefined;
  SQS_ENDPOINT?: string | undefined;
}) {
  const { doc } = createDynamoClients({
    ...(env.DYNAMODB_ENDPOINT ? { endpoint: env.DYNAMODB_ENDPOINT } : {}),
  });
  const sqs = new SQSClient({
    ...(env.SQS_ENDPOINT
      ? {
          endpoint: env.SQS_ENDPOINT,
          region: process.env.AWS_REGION ?? 'us-east-1',
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }
      : {}),
  });
  return { doc, sqs };
}
