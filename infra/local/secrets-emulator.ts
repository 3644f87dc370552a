/**
 * Local stand-in for AWS Secrets Manager's `GetSecretValue` (and `PutSecretValue`, which rotates
 * a value), speaking its wire protocol (AWS JSON 1.1: `POST /` with `X-Amz-Target:
 * secretsmanager.<Operation>`), so the real `@aws-sdk/client-secrets-manager` client is what the
 * handlers use locally too. It holds the secrets it was started with and their versions with
 * Secrets Manager's staging labels: a put makes the new value AWSCURRENT and the one before it
 * AWSPREVIOUS; `GetSecretValue` answers the `VersionStage` (default AWSCURRENT) or `VersionId`
 * asked for. Nothing else of Secrets Manager is emulated.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { listen, readBody, type RunningGateway } from './http-gateway.js';

const operations = { get: 'secretsmanager.GetSecretValue', put: 'secretsmanager.PutSecretValue' } as const;

interface SecretVersion {
  id: string;
  value: string;
  /** Seconds since the epoch, as Secrets Manager's `CreatedDate`. */
  created: number;
  stages: string[];
}

const fail = (res: ServerResponse, status: number, type: string, message: string) => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ __type: type, message }));
};

export function startSecretsEmulator(options: {
  host: string;
  port: number;
  secrets: Record<string, string>;
}): Promise<RunningGateway> {
  const nowSeconds = () => Date.now() / 1000;
  const versions = new Map<string, SecretVersion[]>(
    Object.entries(options.secrets).map(([name, value]) => [name, [{ id: randomUUID(), value, created: nowSeconds(), stages: ['AWSCURRENT'] }]]),
  );
  const arnOf = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req, 64 * 1024);
      const operation = req.headers['x-amz-target'];
      if (req.method !== 'POST' || (operation !== operations.get && operation !== operations.put)) {
        return fail(res, 400, 'UnknownOperationException', `only ${operations.get} and ${operations.put} are emulated`);
      }
      let input: { SecretId?: unknown; VersionStage?: unknown; VersionId?: unknown; SecretString?: unknown; ClientRequestToken?: unknown };
      try {
        input = JSON.parse(body === 'too_large' ? '' : body.toString('utf8')) as typeof input;
      } catch {
        return fail(res, 400, 'SerializationException', 'the body is not JSON');
      }
      const name = typeof input.SecretId === 'string' ? input.SecretId.replace(/^arn:[^:]*:secretsmanager:[^:]*:[^:]*:secret:/, '') : '';
      const history = versions.get(name);
      if (history === undefined) {
        return fail(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      }
      if (operation === operations.put) {
        if (typeof input.SecretString !== 'string') return fail(res, 400, 'InvalidParameterException', 'SecretString is required');
        const id = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
        // As Secrets Manager moves the labels: the current version becomes the previous one.
        for (const version of history) {
          const wasCurrent = version.stages.includes('AWSCURRENT');
          version.stages = version.stages.filter((s) => s !== 'AWSCURRENT' && s !== 'AWSPREVIOUS');
          if (wasCurrent) version.stages.push('AWSPREVIOUS');
        }
        history.push({ id, value: input.SecretString, created: nowSeconds(), stages: ['AWSCURRENT'] });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        return res.end(JSON.stringify({ ARN: arnOf(name), Name: name, VersionId: id, VersionStages: ['AWSCURRENT'] }));
      }
      const stage = typeof input.VersionStage === 'string' ? input.VersionStage : undefined;
      const versionId = typeof input.VersionId === 'string' ? input.VersionId : undefined;
      const version = history.find((v) => (versionId ? v.id === versionId : v.stages.includes(stage ?? 'AWSCURRENT')));
      if (!version) {
        return fail(res, 400, 'ResourceNotFoundException', `Secrets Manager can't find the specified secret value for ${versionId ? `VersionId: ${versionId}` : `staging label: ${stage}`}`);
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          ARN: arnOf(name),
          Name: name,
          SecretString: version.value,
          VersionId: version.id,
          VersionStages: version.stages,
          CreatedDate: version.created,
        }),
      );
    })().catch(() => fail(res, 500, 'InternalServiceError', 'emulator failure'));
  });
  return listen(server, options.host, options.port);
}
