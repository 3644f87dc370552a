import type { TransactItem } from './commit.js';

/**
 * The write of an item's next image, conditional on nobody having changed it since `before` was
 * read (optimistic concurrency on `version`). Without `before` it creates the item, and fails if
 * it exists. Only the attributes that changed are written (SET) or removed (REMOVE), so
 * attributes kept outside the state machine (`untracked`: an agent's push counter and
 * connections, changed by atomic operations) are never overwritten with a stale value.
 */
export function versionedWrite<T extends { version: number }>(
  tableName: string,
  key: Record<string, string>,
  before: T | undefined,
  after: T,
  untracked: readonly string[] = [],
): TransactItem {
  const next = storedForm(after) as Record<string, unknown>;
  if (!before) {
    const [keyName] = Object.keys(key);
    return {
      Put: {
        TableName: tableName,
        Item: next,
        ConditionExpression: 'attribute_not_exists(#k)',
        ExpressionAttributeNames: { '#k': keyName! },
      },
    };
  }
  const previous = storedForm(before) as Record<string, unknown>;
  const skip = new Set([...Object.keys(key), ...untracked, 'version']);
  const names: Record<string, string> = { '#version': 'version' };
  const values: Record<string, unknown> = { ':expected': before.version, ':version': after.version };
  const sets = ['#version = :version'];
  const removes: string[] = [];
  let n = 0;
  for (const [name, value] of Object.entries(next)) {
    if (skip.has(name) || sameValue(value, previous[name])) continue;
    names[`#a${n}`] = name;
    values[`:a${n}`] = value;
    sets.push(`#a${n} = :a${n}`);
    n++;
  }
  for (const name of Object.keys(previous)) {
    if (skip.has(name) || name in next) continue;
    names[`#a${n}`] = name;
    removes.push(`#a${n}`);
    n++;
  }
  return {
    Update: {
      TableName: tableName,
      Key: key,
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: '#version = :expected',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** Structural equality of stored values (maps compared whatever their key order). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/**
 * The form written to DynamoDB: null, false and undefined attributes are left out (absent
 * attributes cost nothing; every write is billed by item size). Reading code treats absent as
 * null or false.
 */
export function storedForm<T extends object>(item: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (value === null || value === undefined || value === false) continue;
    out[key] = value;
  }
  return out as T;
}
