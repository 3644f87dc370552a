/**
 * A process-wide tally of the DynamoDB capacity units Tide's clients consumed, for the benchmark
 * (`npm run bench`). Only filled when `TIDE_METER_CAPACITY=1` makes the document client ask every
 * request for `ReturnConsumedCapacity` (shared/storage/document-client.ts); it is never on in a
 * deployment. `INDEXES` is asked for: the same total as `TOTAL`, split by table and index.
 *
 * DynamoDB Local reports `CapacityUnits` only, so a unit is counted as read or write by the
 * operation that consumed it (Get/Query/Scan/BatchGet/TransactGet read; the rest write) unless the
 * response splits it. Failed conditional writes and cancelled transactions are charged by DynamoDB
 * but report nothing, so they are counted as failures, not units.
 */

export interface CommandTally {
  calls: number;
  failures: number;
  readUnits: number;
  writeUnits: number;
}

export interface UnitTally {
  readUnits: number;
  writeUnits: number;
}

export interface CapacitySnapshot extends CommandTally {
  byCommand: Record<string, CommandTally>;
  /** By the handler whose invocation made the call, when the host says (`attributeTo`). */
  byHandler: Record<string, CommandTally>;
  /** By handler and operation (`work-changes BatchGetItem`): where a handler's calls go. */
  byHandlerOperation: Record<string, CommandTally>;
  /** By table and by index (`table` or `table/index`), when the response breaks it down (`INDEXES`). */
  byTarget: Record<string, UnitTally>;
}

interface Units {
  CapacityUnits?: number;
  ReadCapacityUnits?: number;
  WriteCapacityUnits?: number;
}

interface ConsumedCapacityLike extends Units {
  TableName?: string;
  Table?: Units;
  GlobalSecondaryIndexes?: Record<string, Units>;
  LocalSecondaryIndexes?: Record<string, Units>;
}

const readOperations = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

const key = Symbol.for('tide.capacityMeter');
type Store = {
  commands: Map<string, CommandTally>;
  handlers: Map<string, CommandTally>;
  handlerOperations: Map<string, CommandTally>;
  targets: Map<string, UnitTally>;
  attribution?: () => string | undefined;
};
const store = ((globalThis as Record<symbol, unknown>)[key] ??= { commands: new Map(), handlers: new Map(), handlerOperations: new Map(), targets: new Map() }) as Store;

const tallyIn = (map: Map<string, CommandTally>, name: string): CommandTally => {
  let tally = map.get(name);
  if (!tally) map.set(name, (tally = { calls: 0, failures: 0, readUnits: 0, writeUnits: 0 }));
  return tally;
};
/** The tallies a call adds to: its operation's, and its handler's when known. */
const talliesOf = (operation: string): CommandTally[] => {
  const handler = store.attribution?.();
  return [tallyIn(store.commands, operation), ...(handler ? [tallyIn(store.handlers, handler), tallyIn(store.handlerOperations, `${handler} ${operation}`)] : [])];
};

/** Lets the host (the local stack) say which handler invocation is running, for `byHandler`. */
export function attributeTo(current: () => string | undefined): void {
  store.attribution = current;
}

/** Splits one `Units` into read and write, by the response's own split or else by the operation. */
const split = (operation: string, u: Units): UnitTally =>
  u.ReadCapacityUnits !== undefined || u.WriteCapacityUnits !== undefined
    ? { readUnits: u.ReadCapacityUnits ?? 0, writeUnits: u.WriteCapacityUnits ?? 0 }
    : readOperations.has(operation)
      ? { readUnits: u.CapacityUnits ?? 0, writeUnits: 0 }
      : { readUnits: 0, writeUnits: u.CapacityUnits ?? 0 };

const addTarget = (target: string, units: UnitTally) => {
  let tally = store.targets.get(target);
  if (!tally) store.targets.set(target, (tally = { readUnits: 0, writeUnits: 0 }));
  tally.readUnits += units.readUnits;
  tally.writeUnits += units.writeUnits;
};

/** Adds one call's `ConsumedCapacity` (an object, or one per table for batches and transactions). */
export function recordConsumed(operation: string, consumed: ConsumedCapacityLike | ConsumedCapacityLike[] | undefined): void {
  const tallies = talliesOf(operation);
  for (const tally of tallies) tally.calls++;
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    const total = split(operation, c);
    for (const tally of tallies) {
      tally.readUnits += total.readUnits;
      tally.writeUnits += total.writeUnits;
    }
    const table = c.TableName ?? '?';
    if (!c.Table && !c.GlobalSecondaryIndexes && !c.LocalSecondaryIndexes) addTarget(table, total);
    else {
      if (c.Table) addTarget(table, split(operation, c.Table));
      for (const [index, u] of Object.entries({ ...c.GlobalSecondaryIndexes, ...c.LocalSecondaryIndexes })) {
        addTarget(`${table}/${index}`, split(operation, u));
      }
    }
  }
}

/** Counts a call that failed (condition failure, cancelled transaction, error): charged, not reported. */
export function recordFailure(operation: string): void {
  for (const tally of talliesOf(operation)) {
    tally.calls++;
    tally.failures++;
  }
}

/** Totals so far; subtract two snapshots to meter a stretch of work. */
export function snapshot(): CapacitySnapshot {
  const byCommand: Record<string, CommandTally> = {};
  const byHandler: Record<string, CommandTally> = Object.fromEntries([...store.handlers].map(([h, t]) => [h, { ...t }]));
  const byHandlerOperation: Record<string, CommandTally> = Object.fromEntries([...store.handlerOperations].map(([h, t]) => [h, { ...t }]));
  const byTarget: Record<string, UnitTally> = {};
  for (const [target, t] of store.targets) byTarget[target] = { ...t };
  const total: CommandTally = { calls: 0, failures: 0, readUnits: 0, writeUnits: 0 };
  for (const [operation, t] of store.commands) {
    byCommand[operation] = { ...t };
    total.calls += t.calls;
    total.failures += t.failures;
    total.readUnits += t.readUnits;
    total.writeUnits += t.writeUnits;
  }
  return { ...total, byCommand, byHandler, byHandlerOperation, byTarget };
}

/** `after - before`, operation by operation. */
export function difference(after: CapacitySnapshot, before: CapacitySnapshot): CapacitySnapshot {
  const minus = (a: CommandTally, b: CommandTally | undefined): CommandTally => ({
    calls: a.calls - (b?.calls ?? 0),
    failures: a.failures - (b?.failures ?? 0),
    readUnits: a.readUnits - (b?.readUnits ?? 0),
    writeUnits: a.writeUnits - (b?.writeUnits ?? 0),
  });
  const byCommand: Record<string, CommandTally> = {};
  for (const [operation, t] of Object.entries(after.byCommand)) {
    const d = minus(t, before.byCommand[operation]);
    if (d.calls) byCommand[operation] = d;
  }
  const byKey = (a: Record<string, CommandTally> | undefined, b: Record<string, CommandTally> | undefined) => {
    const out: Record<string, CommandTally> = {};
    for (const [k, t] of Object.entries(a ?? {})) {
      const d = minus(t, b?.[k]);
      if (d.calls) out[k] = d;
    }
    return out;
  };
  const byHandler = byKey(after.byHandler, before.byHandler);
  const byHandlerOperation = byKey(after.byHandlerOperation, before.byHandlerOperation);
  const byTarget: Record<string, UnitTally> = {};
  for (const [target, t] of Object.entries(after.byTarget)) {
    const b = before.byTarget[target];
    const d = { readUnits: t.readUnits - (b?.readUnits ?? 0), writeUnits: t.writeUnits - (b?.writeUnits ?? 0) };
    if (d.readUnits || d.writeUnits) byTarget[target] = d;
  }
  return { ...minus(after, before), byCommand, byHandler, byHandlerOperation, byTarget };
}

export function resetMeter(): void {
  store.commands.clear();
  store.handlers.clear();
  store.handlerOperations.clear();
  store.targets.clear();
}
