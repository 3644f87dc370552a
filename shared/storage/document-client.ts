import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { clientConfig, decorateNewSdkClients, withoutSdkLogging } from '../runtime/client-config.js';
import { environment } from '../runtime/environment.js';
import { recordConsumed, recordFailure } from './capacity-meter.js';

/**
 * The DynamoDB document client. In Lambda it uses the function's role; the local stack points it
 * at DynamoDB Local through `DYNAMODB_ENDPOINT`. With `TIDE_METER_CAPACITY=1` (the benchmark
 * only) every request also reports the capacity it consumed to shared/storage/capacity-meter.ts.
 */
/** A decoration for every new DynamoDB client only (see `decorateNewSdkClients`). */
export function decorateNewClients(decorate: (client: DynamoDBClient) => void): void {
  decorateNewSdkClients((client, serviceId) => {
    if (serviceId === 'DynamoDB') decorate(client as unknown as DynamoDBClient);
  });
}

export function createDocumentClient(env: NodeJS.ProcessEnv = process.env, decorate?: (client: DynamoDBClient) => void): DynamoDBDocumentClient {
  const client = withoutSdkLogging(new DynamoDBClient(clientConfig(env[environment.dynamodbEndpoint], env)));
  if (env.TIDE_METER_CAPACITY === '1') meterCapacity(client);
  decorate?.(client);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}

/**
 * Operations that accept `ReturnConsumedCapacity`. `INDEXES` returns the same total as `TOTAL`
 * plus its split by table and index, which says where a cost comes from.
 */
const metered = new Set([
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem',
  'TransactGetItems', 'TransactWriteItems', 'ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction',
]);

function meterCapacity(client: DynamoDBClient): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      if (!metered.has(operation)) return next(args);
      const input = args.input as { ReturnConsumedCapacity?: string };
      try {
        const result = await next({ ...args, input: { ...input, ReturnConsumedCapacity: input.ReturnConsumedCapacity ?? 'INDEXES' } });
        recordConsumed(operation, (result.output as { ConsumedCapacity?: never }).ConsumedCapacity);
        return result;
      } catch (error) {
        recordFailure(operation);
        throw error;
      }
    },
    { step: 'initialize', name: 'tideCapacityMeter' },
  );
}
