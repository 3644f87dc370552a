import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/**
 * The generic channel's signing key in Secrets Manager, by name or ARN (`channels.generic.secretId`).
 * A complete ARN ends in the 6-character suffix Secrets Manager adds; a partial one does not, and
 * its grant then has to match any suffix.
 */
export function importChannelSecret(scope: Construct, id: string, secretId: string): secretsmanager.ISecret {
  if (!secretId.startsWith('arn:')) return secretsmanager.Secret.fromSecretNameV2(scope, id, secretId);
  return /-[A-Za-z0-9]{6}$/.test(secretId)
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, secretId)
    : secretsmanager.Secret.fromSecretPartialArn(scope, id, secretId);
}
