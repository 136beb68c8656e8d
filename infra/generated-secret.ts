/**
 * A secret whose value Secrets Manager generates at deploy: never in the template or the repository.
 * The send API's token and the OneBot signing secret are made alike.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/** Letters and digits only: no quoting trouble in a header, a URL or a bot's configuration file. */
export const GENERATED_SECRET_LENGTH = 40;

export function generatedSecret(scope: Construct, id: string, description: string): secretsmanager.Secret {
  return new secretsmanager.Secret(scope, id, {
    description,
    generateSecretString: {
      passwordLength: GENERATED_SECRET_LENGTH,
      excludePunctuation: true,
      includeSpace: false,
    },
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
