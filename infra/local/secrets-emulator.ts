/**
 * Local stand-in for AWS Secrets Manager's `GetSecretValue`, speaking its wire protocol (AWS JSON
 * 1.1: `POST /` with `X-Amz-Target: secretsmanager.GetSecretValue`), so the real
 * `@aws-sdk/client-secrets-manager` client is what the handlers use locally too. It holds the
 * secrets it was started with; nothing else of Secrets Manager is emulated.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import { listen, readBody, type RunningGateway } from './http-gateway.js';

const target = 'secretsmanager.GetSecretValue';

const fail = (res: ServerResponse, status: number, type: string, message: string) => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': type });
  res.end(JSON.stringify({ __type: type, message }));
};

export function startSecretsEmulator(options: {
  host: string;
  port: number;
  secrets: Record<string, string>;
}): Promise<RunningGateway> {
  const versions = new Map(Object.keys(options.secrets).map((name) => [name, randomUUID()]));
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req, 64 * 1024);
      if (req.method !== 'POST' || req.headers['x-amz-target'] !== target) {
        return fail(res, 400, 'UnknownOperationException', `only ${target} is emulated`);
      }
      let secretId: unknown;
      try {
        secretId = (JSON.parse(body === 'too_large' ? '' : body.toString('utf8')) as { SecretId?: unknown }).SecretId;
      } catch {
        return fail(res, 400, 'SerializationException', 'the body is not JSON');
      }
      const name = typeof secretId === 'string' ? secretId.replace(/^arn:[^:]*:secretsmanager:[^:]*:[^:]*:secret:/, '') : '';
      const value = options.secrets[name];
      if (value === undefined) {
        return fail(res, 400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(
        JSON.stringify({
          ARN: `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`,
          Name: name,
          SecretString: value,
          VersionId: versions.get(name),
          VersionStages: ['AWSCURRENT'],
          CreatedDate: Math.floor(Date.now() / 1000),
        }),
      );
    })().catch(() => fail(res, 500, 'InternalServiceError', 'emulator failure'));
  });
  return listen(server, options.host, options.port);
}
