import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition } from '../../shared/storage/tables.js';

const attributeType: Record<KeyAttribute['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({ name: key.name, type: attributeType[key.type] });

/**
 * One `TableV2` per definition in shared/storage/tables.ts (the single source of the schema, also
 * used by the local stack): on-demand, point-in-time recovery, every index projecting ALL.
 * Tables hold customer conversations, so they are retained and protected from deletion.
 * The construct id is `def.id`, directly under `scope`: keep it stable, a new logical id means a
 * new (empty) table.
 */
export function createTables(
  scope: Construct,
  definitions: readonly TableDefinition[],
): ReadonlyMap<TableDefinition, dynamodb.TableV2> {
  const tables = new Map<TableDefinition, dynamodb.TableV2>();
  for (const def of definitions) {
    const table = new dynamodb.TableV2(scope, def.id, {
      partitionKey: attribute(def.partitionKey),
      sortKey: def.sortKey && attribute(def.sortKey),
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      globalSecondaryIndexes: def.indexes.map((index) => ({
        indexName: index.name,
        partitionKey: attribute(index.partitionKey),
        sortKey: index.sortKey && attribute(index.sortKey),
        projectionType: index.projection === 'ALL' ? dynamodb.ProjectionType.ALL : dynamodb.ProjectionType.KEYS_ONLY,
      })),
      timeToLiveAttribute: def.timeToLiveAttribute,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    tables.set(def, table);
  }
  return tables;
}
