import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { KeyAttribute, TableDefinition } from '../../shared/storage/tables.js';
import { Concern, logicalIdOf } from './concern.js';
import type { TideFunction } from './tide-function.js';

const attributeType: Record<KeyAttribute['type'], dynamodb.AttributeType> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
};

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({ name: key.name, type: attributeType[key.type] });

export interface TideTablesProps {
  /** The schema, from shared/storage/tables.ts (also used by the local stack). */
  definitions: readonly TableDefinition[];
}

/** What a function may do to a table: `read` = Get/Query/BatchGet/Scan; `readWrite` adds Put/Update/Delete/BatchWrite. */
export type TableAccess = 'read' | 'readWrite';

/**
 * One `TableV2` per definition: on-demand, point-in-time recovery, indexes as declared, a
 * NEW_AND_OLD_IMAGES stream where the definition asks for one (the follow-ups are derived from
 * it). Tables hold customer conversations, so they are retained and protected from deletion.
 *
 * The table's id is `def.id`; this construct is a `Concern`, so the logical id is the one the
 * table had when the stack created it directly. Keep `def.id` stable: a new logical id means a new
 * (empty) table.
 */
export class TideTables extends Concern {
  readonly tables: ReadonlyMap<TableDefinition, dynamodb.TableV2>;
  /** `def.envVar` → physical table name, for every table: each function's data layer wants them all. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: TideTablesProps) {
    super(scope, id);
    const tables = new Map<TableDefinition, dynamodb.TableV2>();
    const environment: Record<string, string> = {};
    for (const def of props.definitions) {
      const table = new dynamodb.TableV2(this, def.id, {
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
        dynamoStream: def.stream === 'NEW_AND_OLD_IMAGES' ? dynamodb.StreamViewType.NEW_AND_OLD_IMAGES : undefined,
        deletionProtection: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      tables.set(def, table);
      environment[def.envVar] = table.tableName;
    }
    this.tables = tables;
    this.environment = environment;
  }

  table(def: TableDefinition): dynamodb.TableV2 {
    const table = this.tables.get(def);
    if (!table) throw new Error(`no table ${def.id}`);
    return table;
  }

  /**
   * Lets one function read, or read and write, one table (and its indexes). The grant's index
   * wildcard is acknowledged on that function: it covers only this table's own indexes.
   */
  grant(target: TideFunction, def: TableDefinition, access: TableAccess): void {
    const table = this.table(def);
    if (access === 'read') table.grantReadData(target.fn);
    else table.grantReadWriteData(target.fn);
    if (def.indexes.length > 0) {
      Validations.of(target).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(table)}.Arn>/index/*]`,
        reason:
          `Queries on the ${def.id} table's own secondary indexes (${def.indexes.map((i) => i.name).join(', ')}); ` +
          'the wildcard covers only index ARNs under that one table.',
      });
    }
  }
}
