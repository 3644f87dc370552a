/**
 * Index-lag mode for DynamoDB Local.
 *
 * In DynamoDB a global secondary index is updated asynchronously: a Query on it may miss a write
 * made a moment ago, and may still return an item that has since left the index or changed.
 * DynamoDB Local updates indexes synchronously, which hides every bug that depends on the lag.
 * `installIndexLag(client)` puts the lag back: each write becomes visible to GSI queries only after
 * a random delay, and (optionally) to eventually consistent reads of the table too.
 *
 * How: writes go to DynamoDB unchanged, but around each one the item is read consistently before
 * and after, and the after-image is recorded with the time it becomes visible. A GSI query is then
 * answered as the index would look at that time: the real partition, with every key that has a
 * pending write replaced by the image visible now. When nothing is pending on the table, the real
 * query result is exact, and an unpaged query gets it as it is.
 *
 * Limits: Scan and PartiQL are not lagged (writes through PartiQL are not seen at all); a
 * FilterExpression on a lagged query is refused rather than guessed at; results are not split at
 * 1 MB. All clients that write one table should share a clock (`now`).
 */
import {
  BatchGetItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  QueryCommand,
  type AttributeValue,
  type BatchGetItemCommandInput,
  type BatchGetItemCommandOutput,
  type BatchWriteItemCommandInput,
  type Capacity,
  type ConsumedCapacity,
  type DeleteItemCommandInput,
  type DeleteTableCommandInput,
  type DynamoDBClient,
  type GetItemCommandInput,
  type GetItemCommandOutput,
  type KeySchemaElement,
  type Projection,
  type PutItemCommandInput,
  type QueryCommandInput,
  type QueryCommandOutput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  type TransactWriteItemsCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';

export interface IndexLagOptions {
  /** Each write becomes visible to GSI queries after a delay drawn uniformly from [minMs, maxMs]; defaults 200 and 1000. */
  minMs?: number;
  maxMs?: number;
  /** Optional: eventually consistent GetItem/BatchGetItem/Query-on-table (ConsistentRead absent or false) also see writes only after a delay in [0, eventualReadMaxMs]; default 0 = off. */
  eventualReadMaxMs?: number;
  /** Default Math.random (tests inject a seeded one): one draw per written item for the index, one more for eventual reads when on. */
  random?: () => number;
  /** Default Date.now; visibility times are in this clock. */
  now?: () => number;
}

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/** Parses "200-1000" (a range) or "500" (exactly 500 ms), as in TIDE_INDEX_LAG_MS; undefined for empty or "0". */
export function indexLagFromEnv(value: string | undefined): IndexLagOptions | undefined {
  const text = value?.trim() ?? '';
  if (text === '' || text === '0') return undefined;
  const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(text);
  if (!match) throw new Error(`TIDE_INDEX_LAG_MS must be "<min>-<max>" or "<ms>" (e.g. "200-1000"), not "${value}"`);
  const minMs = Number(match[1]);
  const maxMs = match[2] === undefined ? minMs : Number(match[2]);
  if (maxMs < minMs) throw new Error(`TIDE_INDEX_LAG_MS "${value}": the minimum is above the maximum`);
  return maxMs === 0 ? undefined : { minMs, maxMs };
}

/** One client's settings, resolved. */
interface Lag {
  client: DynamoDBClient;
  minMs: number;
  maxMs: number;
  eventualReadMaxMs: number;
  random: () => number;
  now: () => number;
}

function resolveOptions(client: DynamoDBClient, options: IndexLagOptions): Lag {
  // A lone bound moves the other default out of its way rather than failing.
  const minMs = options.minMs ?? Math.min(200, options.maxMs ?? 200);
  const maxMs = options.maxMs ?? Math.max(1000, minMs);
  const eventualReadMaxMs = options.eventualReadMaxMs ?? 0;
  for (const [name, v] of Object.entries({ minMs, maxMs, eventualReadMaxMs })) {
    if (!Number.isFinite(v) || v < 0) throw new Error(`index lag: ${name} must be a non-negative number, not ${v}`);
  }
  if (minMs > maxMs) throw new Error(`index lag: minMs (${minMs}) is above maxMs (${maxMs})`);
  return { client, minMs, maxMs, eventualReadMaxMs, random: options.random ?? Math.random, now: options.now ?? Date.now };
}

// ---------------------------------------------------------------------------------------------
// The shared history of writes
// ---------------------------------------------------------------------------------------------

type Item = Record<string, AttributeValue>;

/** Who a visibility time is for: GSI queries, or eventually consistent reads of the table. */
type Reader = 'index' | 'read';

/** One image of an item (undefined: no item) and when each kind of reader starts to see it. */
interface Version {
  image: Item | undefined;
  index: number;
  read: number;
}

interface KeyHistory {
  /**
   * Oldest first; both times non-decreasing, so a later write is never visible before an earlier
   * one. The first version is the base: what readers saw before the writes that follow it.
   */
  versions: Version[];
  /**
   * Tracked writes between their before-read and their recording. While one is in flight the key
   * shows its recorded versions, not the table, which may already hold the new image.
   */
  writing: number;
}

interface TableState {
  schema: Promise<TableSchema> | undefined;
  /** By `keyId` of the table's primary key. */
  keys: Map<string, KeyHistory>;
  /** Sums and maxima over `keys`, so "nothing is pending here" costs nothing to check. */
  writing: number;
  pendingUntil: Record<Reader, number>;
  sweptAt: number;
}

interface Registry {
  /** Endpoint URL, then table name. */
  endpoints: Map<string, Map<string, TableState>>;
  /** Tracked writes not yet recorded, for indexesSettled(). */
  inFlight: Set<Promise<void>>;
  /** Date.now() by which every recorded write is visible. */
  settlesAt: number;
}

// Handlers build their own clients, and may be loaded in separate bundles: the history lives on
// globalThis so that every client of one endpoint in the process sees the same writes.
const registryKey = Symbol.for('tide.indexLag.registry');
const registry = ((globalThis as Record<symbol, unknown>)[registryKey] ??= {
  endpoints: new Map(),
  inFlight: new Set(),
  settlesAt: 0,
}) as Registry;

function tableState(endpoint: string, table: string): TableState {
  let tables = registry.endpoints.get(endpoint);
  if (!tables) registry.endpoints.set(endpoint, (tables = new Map()));
  let state = tables.get(table);
  if (!state) {
    state = { schema: undefined, keys: new Map(), writing: 0, pendingUntil: { index: -Infinity, read: -Infinity }, sweptAt: -Infinity };
    tables.set(table, state);
  }
  return state;
}

const isPending = (h: KeyHistory, reader: Reader, now: number) => h.writing > 0 || h.versions.at(-1)![reader] > now;
/** Some reader still waits for a write: the versions are needed. */
const isPendingForAnyone = (h: KeyHistory, now: number) => isPending(h, 'index', now) || isPending(h, 'read', now);
const tableIsPending = (s: TableState, reader: Reader, now: number) => s.writing > 0 || s.pendingUntil[reader] > now;

/** The latest version whose time has come (the base at least). */
function visibleImage(h: KeyHistory, reader: Reader, now: number): Item | undefined {
  for (let i = h.versions.length - 1; i > 0; i--) if (h.versions[i]![reader] <= now) return h.versions[i]!.image;
  return h.versions[0]!.image;
}

/**
 * Drops versions superseded by one every reader already sees, and keys whose last version every
 * reader sees (the table itself is then the truth). At most every 50 ms per table.
 */
function sweep(state: TableState, now: number): void {
  if (Math.abs(now - state.sweptAt) < 50) return;
  state.sweptAt = now;
  const seen = (v: Version) => v.index <= now && v.read <= now;
  for (const [id, h] of state.keys) {
    if (h.writing > 0) continue;
    let settled = 0;
    while (settled < h.versions.length && seen(h.versions[settled]!)) settled++;
    if (settled === h.versions.length) state.keys.delete(id);
    else if (settled > 1) h.versions.splice(0, settled - 1);
  }
}

/**
 * Resolves once every write made so far is visible to index queries (waits out the longest pending
 * delay, and writes still in flight). It waits in real time: with an injected clock, advance that.
 */
export async function indexesSettled(): Promise<void> {
  await Promise.all(registry.inFlight);
  const wait = registry.settlesAt - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

// ---------------------------------------------------------------------------------------------
// Where the middleware sits
// ---------------------------------------------------------------------------------------------

interface StackArgs {
  input: ServiceInputTypes;
  request: unknown;
}
interface StackResult {
  output?: ServiceOutputTypes;
  response: unknown;
}
type Handler = (args: StackArgs) => Promise<StackResult>;
interface StackContext {
  commandName?: string;
  endpointV2?: { url: URL };
}

/** What one intercepted call works with. */
interface Call {
  lag: Lag;
  endpoint: string;
  next: Handler;
  args: StackArgs;
}

/**
 * Installs the lag on a DynamoDBClient (works for clients wrapped by DynamoDBDocumentClient.from(client) too).
 *
 * The middleware must see AttributeValues going in and coming out, whichever client sent the
 * command. A document command converts its input in `DocumentMarshall` (before the serializer)
 * and its output in `DocumentUnmarshall`, which wraps `deserializerMiddleware`; both are added to
 * the command's own stack, and the document client shares the raw client's stack. So the one
 * place with wire-level input and output is between `DocumentUnmarshall` and the deserializer.
 * Relative entries of the client stack are placed before those of the command, so "before
 * deserializerMiddleware" would land outside `DocumentUnmarshall`. Instead a no-op placeholder
 * named `DocumentUnmarshall` is added and the lag goes after it: a document command overrides the
 * placeholder with the real one, which leaves the lag just inside it; a raw command keeps the
 * no-op. Being in the deserialize step also means the lag runs inside the retry loop, per attempt.
 */
export function installIndexLag(client: DynamoDBClient, options: IndexLagOptions = {}): void {
  const lag = resolveOptions(client, options);
  const passThrough = (next: Handler): Handler => next;
  client.middlewareStack.addRelativeTo(passThrough, {
    name: 'DocumentUnmarshall',
    relation: 'before',
    toMiddleware: 'deserializerMiddleware',
    override: true,
  });
  client.middlewareStack.addRelativeTo(
    (next: Handler, context: StackContext): Handler =>
      (args) => {
        // The lag's own reads go through the whole stack (retries, signing) but not through the lag.
        if (isInternal(args.input)) return next(args);
        return intercept(context.commandName ?? '', { lag, endpoint: context.endpointV2?.url.href ?? 'default', next, args });
      },
    { name: 'tideIndexLag', relation: 'after', toMiddleware: 'DocumentUnmarshall', override: true },
  );
}

function intercept(command: string, call: Call): Promise<StackResult> {
  const input = call.args.input;
  switch (command) {
    case 'PutItemCommand': {
      const { TableName, Item } = input as PutItemCommandInput;
      return trackWrites(call, [{ table: TableName, item: Item }]);
    }
    case 'UpdateItemCommand':
    case 'DeleteItemCommand': {
      const { TableName, Key } = input as UpdateItemCommandInput | DeleteItemCommandInput;
      return trackWrites(call, [{ table: TableName, item: Key }]);
    }
    case 'TransactWriteItemsCommand': {
      const writes = ((input as TransactWriteItemsCommandInput).TransactItems ?? []).flatMap((t) =>
        t.Put ? [{ table: t.Put.TableName, item: t.Put.Item }]
        : t.Update ? [{ table: t.Update.TableName, item: t.Update.Key }]
        : t.Delete ? [{ table: t.Delete.TableName, item: t.Delete.Key }]
        : [], // a ConditionCheck writes nothing
      );
      return trackWrites(call, writes);
    }
    case 'BatchWriteItemCommand': {
      const writes = Object.entries((input as BatchWriteItemCommandInput).RequestItems ?? {}).flatMap(([table, requests]) =>
        requests.map((r) => ({ table, item: r.PutRequest?.Item ?? r.DeleteRequest?.Key })),
      );
      return trackWrites(call, writes);
    }
    case 'QueryCommand':
      return query(call);
    case 'GetItemCommand':
      return getItem(call);
    case 'BatchGetItemCommand':
      return batchGetItem(call);
    case 'DeleteTableCommand':
      return forgetTable(call);
    default:
      return call.next(call.args);
  }
}

// ---------------------------------------------------------------------------------------------
// Writes
// ---------------------------------------------------------------------------------------------

interface Target {
  table: string;
  schema: TableSchema;
  state: TableState;
  key: Item;
  id: string;
}

/**
 * Sends the write unchanged; around it, reads the items consistently and records the after-images
 * with their visibility times. A failed write records nothing.
 */
async function trackWrites(call: Call, writes: Array<{ table: string | undefined; item: Item | undefined }>): Promise<StackResult> {
  const { lag } = call;
  const targets: Target[] = [];
  for (const { table, item } of writes) {
    if (!table || !item) continue;
    const state = tableState(call.endpoint, table);
    const schema = await schemaOf(call, table, state);
    // Only GSIs lag, unless eventual reads do too: other tables need no history.
    if (!schema.hasGlobalIndexes && lag.eventualReadMaxMs === 0) continue;
    const key = pick(item, keyNames(schema.key));
    // A write without its key, or two writes of one item, fail in DynamoDB; let it say so.
    if (Object.keys(key).length !== keyNames(schema.key).length) continue;
    const id = keyId(schema.key, key);
    if (!targets.some((t) => t.table === table && t.id === id)) targets.push({ table, schema, state, key, id });
  }
  if (targets.length === 0) return call.next(call.args);

  // The before-image becomes the base of a key that has nothing pending; a pending key already
  // shows its recorded versions, so the read can be skipped when every key is pending (and then,
  // with no await until the keys are marked as being written, they are still pending below).
  let now = lag.now();
  for (const t of targets) sweep(t.state, now);
  const needBase = targets.some((t) => {
    const h = t.state.keys.get(t.id);
    return !h || !isPendingForAnyone(h, now);
  });
  const before = needBase ? await readConsistently(call, targets) : undefined;
  if (before) now = lag.now();
  targets.forEach((t, i) => {
    let h = t.state.keys.get(t.id);
    if (!h) t.state.keys.set(t.id, (h = { versions: [], writing: 0 }));
    if (h.versions.length === 0 || !isPendingForAnyone(h, now)) {
      const image = before ? before[i] : h.versions.at(-1)?.image;
      h.versions = [{ image, index: -Infinity, read: -Infinity }];
    }
    h.writing++;
    t.state.writing++;
  });
  let done!: () => void;
  const recorded = new Promise<void>((resolve) => (done = resolve));
  registry.inFlight.add(recorded);
  const finish = () => {
    for (const t of targets) {
      t.state.keys.get(t.id)!.writing--;
      t.state.writing--;
    }
    registry.inFlight.delete(recorded);
    done();
  };

  let result: StackResult;
  try {
    result = await call.next(call.args);
  } catch (error) {
    finish(); // condition failure, cancelled transaction, ...: nothing changed
    throw error;
  }
  const writtenAt = lag.now();
  try {
    const after = await readConsistently(call, targets);
    targets.forEach((t, i) => record(lag, t.state, t.state.keys.get(t.id)!, after[i], writtenAt));
  } catch {
    // The write stands; without its after-image it is merely visible at once.
  } finally {
    finish();
  }
  return result;
}

/**
 * Appends the after-image. Concurrent writes to one key are recorded in the order their after-reads
 * return, which may differ from the order they were applied; that can only last while they are
 * pending, since a key with nothing pending shows the table itself.
 */
function record(lag: Lag, state: TableState, h: KeyHistory, image: Item | undefined, writtenAt: number): void {
  const last = h.versions.at(-1)!;
  const indexDelay = lag.minMs + lag.random() * (lag.maxMs - lag.minMs);
  const readDelay = lag.eventualReadMaxMs > 0 ? lag.random() * lag.eventualReadMaxMs : 0;
  const version = {
    image,
    index: Math.max(writtenAt + indexDelay, last.index),
    read: Math.max(writtenAt + readDelay, last.read),
  };
  h.versions.push(version);
  state.pendingUntil.index = Math.max(state.pendingUntil.index, version.index);
  state.pendingUntil.read = Math.max(state.pendingUntil.read, version.read);
  // indexesSettled() waits in real time, whatever clock the times are in.
  registry.settlesAt = Math.max(registry.settlesAt, Date.now() + Math.max(version.index, version.read) - lag.now());
}

async function forgetTable(call: Call): Promise<StackResult> {
  const result = await call.next(call.args);
  const table = (call.args.input as DeleteTableCommandInput).TableName;
  if (table) registry.endpoints.get(call.endpoint)?.delete(table);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

const unsupportedFilter = () =>
  new Error('index lag does not support FilterExpression (or QueryFilter) on a lagged query: filter the items in code');

/** A GSI query, or with eventual reads lagged an eventually consistent query on the table or an LSI. */
async function query(call: Call): Promise<StackResult> {
  const input = call.args.input as QueryCommandInput;
  if (!input.TableName) return call.next(call.args);
  const state = tableState(call.endpoint, input.TableName);
  const schema = await schemaOf(call, input.TableName, state);
  const view = input.IndexName === undefined ? schema.table : schema.indexes.get(input.IndexName);
  if (!view) return call.next(call.args); // an unknown index: DynamoDB says so
  const reader: Reader | undefined = view.global ? 'index' : call.lag.eventualReadMaxMs > 0 && !input.ConsistentRead ? 'read' : undefined;
  if (!reader) return call.next(call.args);
  // Refused even when the query would pass through, so that a test cannot pass or fail by timing.
  if (input.FilterExpression || input.QueryFilter) throw unsupportedFilter();
  // With nothing pending the real answer is exact. Not for a paged query, though: DynamoDB Local
  // orders items with equal sort keys its own way, and every page must follow one order.
  const paged = input.Limit !== undefined || input.ExclusiveStartKey !== undefined;
  if (!paged && !tableIsPending(state, reader, call.lag.now())) return call.next(call.args);
  return { output: await laggedQuery(call, input, schema, view, state, reader), response: { statusCode: 200, headers: {} } };
}

/** The query's answer as `reader` sees the table now. */
async function laggedQuery(call: Call, input: QueryCommandInput, schema: TableSchema, view: View, state: TableState, reader: Reader): Promise<QueryCommandOutput> {
  const terms = keyConditionOf(input, view);
  const current = await queryCurrent(call, input, view, terms);
  const now = call.lag.now();
  sweep(state, now);
  const rows = new Map<string, Item>();
  for (const item of current.items) {
    const id = keyId(schema.key, item);
    const h = state.keys.get(id);
    if (!h || !isPending(h, reader, now)) rows.set(id, item);
  }
  for (const [id, h] of state.keys) {
    if (!isPending(h, reader, now)) continue;
    const image = visibleImage(h, reader, now);
    if (image && keyNames(view.key).every((k) => image[k]) && terms.every((t) => satisfies(image, t))) {
      rows.set(id, projectToView(schema, view, image));
    }
  }

  // The order an index keeps: its sort key, then (for ties) the table's key.
  const order = [...new Set([view.key.sort, schema.key.partition, schema.key.sort])].filter((n) => n !== undefined);
  const forward = input.ScanIndexForward !== false;
  const compareRows = (a: Item, b: Item) => {
    for (const name of order) {
      const c = compareValues(a[name], b[name]);
      if (c !== 0) return forward ? c : -c;
    }
    return 0;
  };
  let sorted = [...rows.values()].sort(compareRows);
  const start = input.ExclusiveStartKey;
  if (start) sorted = sorted.filter((row) => compareRows(row, start) > 0);
  const page = input.Limit === undefined ? sorted : sorted.slice(0, input.Limit);

  const output: QueryCommandOutput = { $metadata: { httpStatusCode: 200 }, Count: page.length, ScannedCount: page.length };
  if (input.Select !== 'COUNT') output.Items = page.map((row) => projectForCaller(input, row));
  // As DynamoDB does: a full page carries a LastEvaluatedKey even if nothing follows it.
  const last = page.at(-1);
  if (last && page.length === input.Limit) output.LastEvaluatedKey = pick(last, [...keyNames(schema.key), ...keyNames(view.key)]);
  if (current.consumed) output.ConsumedCapacity = current.consumed;
  return output;
}

/** Everything the view holds now under the key condition: the real query, every page. */
async function queryCurrent(call: Call, input: QueryCommandInput, view: View, terms: KeyTerm[]) {
  const names: Record<string, string> = {};
  const values: Item = {};
  const expression = terms
    .map((t, i) => {
      names[`#k${i}`] = t.name;
      t.values.forEach((v, j) => (values[`:k${i}_${j}`] = v));
      const [a, b] = [`:k${i}_0`, `:k${i}_1`];
      return t.op === 'BETWEEN' ? `#k${i} BETWEEN ${a} AND ${b}` : t.op === 'begins_with' ? `begins_with(#k${i}, ${a})` : `#k${i} ${t.op} ${a}`;
    })
    .join(' AND ');
  const items: Item[] = [];
  let consumed: ConsumedCapacity | undefined;
  let start: Item | undefined;
  do {
    const page = await call.lag.client.send(
      new QueryCommand(
        internal({
          TableName: input.TableName,
          IndexName: input.IndexName,
          KeyConditionExpression: expression,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ConsistentRead: view.global ? undefined : true,
          ReturnConsumedCapacity: input.ReturnConsumedCapacity,
          ExclusiveStartKey: start,
        }),
      ),
    );
    items.push(...(page.Items ?? []));
    consumed = addCapacity(consumed, page.ConsumedCapacity);
    start = page.LastEvaluatedKey;
  } while (start);
  return { items, consumed };
}

async function getItem(call: Call): Promise<StackResult> {
  const result = await call.next(call.args);
  const input = call.args.input as GetItemCommandInput;
  if (call.lag.eventualReadMaxMs === 0 || input.ConsistentRead || !input.TableName || !input.Key) return result;
  const state = tableState(call.endpoint, input.TableName);
  if (!tableIsPending(state, 'read', call.lag.now())) return result;
  const schema = await schemaOf(call, input.TableName, state);
  const h = state.keys.get(keyId(schema.key, input.Key));
  const now = call.lag.now();
  if (!h || !isPending(h, 'read', now)) return result;
  const { Item: _current, ...output } = result.output as GetItemCommandOutput;
  const image = visibleImage(h, 'read', now);
  return { ...result, output: image ? { ...output, Item: projectForCaller(input, image) } : output };
}

async function batchGetItem(call: Call): Promise<StackResult> {
  const result = await call.next(call.args);
  if (call.lag.eventualReadMaxMs === 0) return result;
  const input = call.args.input as BatchGetItemCommandInput;
  const output = result.output as BatchGetItemCommandOutput;
  let responses = output.Responses;
  for (const [table, request] of Object.entries(input.RequestItems ?? {})) {
    if (request.ConsistentRead) continue;
    const state = tableState(call.endpoint, table);
    if (!tableIsPending(state, 'read', call.lag.now())) continue;
    const schema = await schemaOf(call, table, state);
    // The response cannot be matched to keys when the projection leaves them out, so the
    // table's answer is rebuilt from the items' current and recorded images.
    const unprocessed = new Set((output.UnprocessedKeys?.[table]?.Keys ?? []).map((k) => keyId(schema.key, k)));
    const keys = (request.Keys ?? []).filter((k) => !unprocessed.has(keyId(schema.key, k)));
    const targets = keys.map((key) => ({ table, schema, state, key, id: keyId(schema.key, key) }));
    const current = await readConsistently(call, targets);
    const now = call.lag.now();
    const images = targets.map((t, i) => {
      const h = state.keys.get(t.id);
      return h && isPending(h, 'read', now) ? visibleImage(h, 'read', now) : current[i];
    });
    responses = { ...responses, [table]: images.filter((i) => i !== undefined).map((i) => projectForCaller(request, i)) };
  }
  return responses === output.Responses ? result : { ...result, output: { ...output, Responses: responses } };
}

/** The items' current images, read consistently (bypassing the lag), in `targets` order. */
async function readConsistently(call: Call, targets: Array<Omit<Target, 'state'>>): Promise<Array<Item | undefined>> {
  const client = call.lag.client;
  if (targets.length === 1) {
    const [t] = targets as [Omit<Target, 'state'>];
    return [(await client.send(new GetItemCommand(internal({ TableName: t.table, Key: t.key, ConsistentRead: true })))).Item];
  }
  const found = new Map<string, Item>();
  for (let i = 0; i < targets.length; i += 100) {
    const requests: NonNullable<BatchGetItemCommandInput['RequestItems']> = {};
    for (const t of targets.slice(i, i + 100)) (requests[t.table] ??= { Keys: [], ConsistentRead: true }).Keys!.push(t.key);
    let pending: typeof requests | undefined = requests;
    while (pending && Object.keys(pending).length > 0) {
      const out: BatchGetItemCommandOutput = await client.send(new BatchGetItemCommand(internal({ RequestItems: pending })));
      for (const [table, items] of Object.entries(out.Responses ?? {})) {
        const schema = targets.find((t) => t.table === table)!.schema;
        for (const item of items) found.set(`${table}\n${keyId(schema.key, item)}`, item);
      }
      pending = out.UnprocessedKeys;
    }
  }
  return targets.map((t) => found.get(`${t.table}\n${t.id}`));
}

function addCapacity(a: ConsumedCapacity | undefined, b: ConsumedCapacity | undefined): ConsumedCapacity | undefined {
  if (!a || !b) return a ?? b;
  const units = (x: Capacity | undefined, y: Capacity | undefined): Capacity | undefined =>
    !x || !y ? x ?? y : {
      CapacityUnits: (x.CapacityUnits ?? 0) + (y.CapacityUnits ?? 0),
      ReadCapacityUnits: (x.ReadCapacityUnits ?? 0) + (y.ReadCapacityUnits ?? 0),
    };
  const byIndex = (x: Record<string, Capacity> | undefined, y: Record<string, Capacity> | undefined) => {
    if (!x || !y) return x ?? y;
    const sum: Record<string, Capacity> = { ...x };
    for (const [name, u] of Object.entries(y)) sum[name] = units(sum[name], u)!;
    return sum;
  };
  return {
    ...a,
    ...units(a, b),
    Table: units(a.Table, b.Table),
    GlobalSecondaryIndexes: byIndex(a.GlobalSecondaryIndexes, b.GlobalSecondaryIndexes),
    LocalSecondaryIndexes: byIndex(a.LocalSecondaryIndexes, b.LocalSecondaryIndexes),
  };
}

// Internal requests carry a symbol in their input: it survives middlewares that copy the input
// (`{ ...input }` copies symbols) and is never serialized.
const internalMark = Symbol.for('tide.indexLag.internal');
const internal = <T extends object>(input: T): T => Object.assign(input, { [internalMark]: true });
const isInternal = (input: object) => (input as { [internalMark]?: boolean })[internalMark] === true;

// ---------------------------------------------------------------------------------------------
// Table schemas: the table and its indexes, from DescribeTable
// ---------------------------------------------------------------------------------------------

interface KeyNames {
  partition: string;
  sort?: string;
}

/** A way of reading a table: the table itself, an LSI or a GSI. */
interface View {
  key: KeyNames;
  global: boolean;
  /** Top-level attributes it holds besides the keys; undefined for all of them. */
  include: string[] | undefined;
}

interface TableSchema {
  key: KeyNames;
  table: View;
  indexes: Map<string, View>;
  hasGlobalIndexes: boolean;
}

const keyNames = (k: KeyNames) => (k.sort === undefined ? [k.partition] : [k.partition, k.sort]);

function schemaOf(call: Call, table: string, state: TableState): Promise<TableSchema> {
  state.schema ??= describe(call, table).catch((error: unknown) => {
    state.schema = undefined; // not cached: the next call asks again
    throw error;
  });
  return state.schema;
}

async function describe(call: Call, table: string): Promise<TableSchema> {
  const { Table } = await call.lag.client.send(new DescribeTableCommand(internal({ TableName: table })));
  const toKey = (schema: KeySchemaElement[] | undefined): KeyNames => {
    const partition = schema?.find((k) => k.KeyType === 'HASH')?.AttributeName;
    if (!partition) throw new Error(`index lag: DescribeTable ${table} returned no partition key`);
    return { partition, sort: schema?.find((k) => k.KeyType === 'RANGE')?.AttributeName };
  };
  const include = (p: Projection | undefined) =>
    p?.ProjectionType === 'KEYS_ONLY' ? [] : p?.ProjectionType === 'INCLUDE' ? p.NonKeyAttributes ?? [] : undefined;
  const indexes = new Map<string, View>();
  for (const gsi of Table?.GlobalSecondaryIndexes ?? []) {
    indexes.set(gsi.IndexName!, { key: toKey(gsi.KeySchema), global: true, include: include(gsi.Projection) });
  }
  for (const lsi of Table?.LocalSecondaryIndexes ?? []) {
    indexes.set(lsi.IndexName!, { key: toKey(lsi.KeySchema), global: false, include: include(lsi.Projection) });
  }
  const key = toKey(Table?.KeySchema);
  return { key, table: { key, global: false, include: undefined }, indexes, hasGlobalIndexes: (Table?.GlobalSecondaryIndexes?.length ?? 0) > 0 };
}

/** The image as the index stores it: KEYS_ONLY = table keys + index keys; INCLUDE adds NonKeyAttributes; ALL. */
function projectToView(schema: TableSchema, view: View, image: Item): Item {
  return view.include === undefined ? image : pick(image, [...keyNames(schema.key), ...keyNames(view.key), ...view.include]);
}

function pick(item: Item, names: string[]): Item {
  const out: Item = {};
  for (const name of names) if (item[name] !== undefined) out[name] = item[name];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Expressions: key conditions and projections
// ---------------------------------------------------------------------------------------------

interface KeyTerm {
  name: string;
  op: '=' | '<' | '<=' | '>' | '>=' | 'BETWEEN' | 'begins_with';
  values: AttributeValue[];
}

/**
 * The key condition as terms on the view's keys: `pk = :v`, optionally AND a sort key term
 * (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN :a AND :b`, `begins_with(sk, :p)`), names and values
 * through placeholders or not. The legacy `KeyConditions` map is read too.
 */
function keyConditionOf(input: QueryCommandInput, view: View): KeyTerm[] {
  const legacy: Record<string, KeyTerm['op']> = { EQ: '=', LT: '<', LE: '<=', GT: '>', GE: '>=', BETWEEN: 'BETWEEN', BEGINS_WITH: 'begins_with' };
  const terms = input.KeyConditionExpression
    ? parseKeyCondition(input.KeyConditionExpression, input.ExpressionAttributeNames ?? {}, input.ExpressionAttributeValues ?? {})
    : Object.entries(input.KeyConditions ?? {}).map(([name, c]) => {
        const op = legacy[c.ComparisonOperator ?? ''];
        if (!op) throw new Error(`index lag: unsupported key condition operator ${c.ComparisonOperator}`);
        return { name, op, values: c.AttributeValueList ?? [] };
      });
  const partition = terms.find((t) => t.name === view.key.partition && t.op === '=');
  const sort = terms.find((t) => t !== partition);
  if (!partition || terms.length > 2 || (sort && sort.name !== view.key.sort)) {
    throw new Error(`index lag: the key condition must be "${view.key.partition} = :v" and at most one condition on ${view.key.sort ?? 'no sort key'}`);
  }
  return terms;
}

function parseKeyCondition(expression: string, names: Record<string, string>, values: Item): KeyTerm[] {
  const tokens = expression.match(/<=|>=|<>|[=<>(),]|[#:]?[A-Za-z0-9_]+|\S/g) ?? [];
  let at = 0;
  const fail = (why: string): never => {
    throw new Error(`index lag: cannot read KeyConditionExpression "${expression}": ${why}`);
  };
  const take = (expected?: string) => {
    const token = tokens[at++];
    if (token === undefined || (expected !== undefined && token.toUpperCase() !== expected.toUpperCase())) {
      fail(`expected ${expected ?? 'more'} at "${token ?? 'the end'}"`);
    }
    return token!;
  };
  const attribute = () => {
    const token = take();
    if (token.startsWith(':')) fail(`expected an attribute name at "${token}"`);
    return token.startsWith('#') ? names[token] ?? fail(`${token} is not in ExpressionAttributeNames`) : token;
  };
  const value = () => {
    const token = take();
    return token.startsWith(':') ? values[token] ?? fail(`${token} is not in ExpressionAttributeValues`) : fail(`expected a :value at "${token}"`);
  };
  const term = (): KeyTerm[] => {
    if (tokens[at] === '(') {
      take('(');
      const inner = conjunction();
      take(')');
      return inner;
    }
    if (tokens[at] === 'begins_with') {
      take();
      take('(');
      const name = attribute();
      take(',');
      const prefix = value();
      take(')');
      return [{ name, op: 'begins_with', values: [prefix] }];
    }
    const name = attribute();
    const op = take();
    if (op.toUpperCase() === 'BETWEEN') {
      const low = value();
      take('AND');
      return [{ name, op: 'BETWEEN', values: [low, value()] }];
    }
    if (!['=', '<', '<=', '>', '>='].includes(op)) fail(`unsupported operator "${op}"`);
    return [{ name, op: op as KeyTerm['op'], values: [value()] }];
  };
  const conjunction = (): KeyTerm[] => {
    const terms = term();
    while (tokens[at]?.toUpperCase() === 'AND') {
      take();
      terms.push(...term());
    }
    return terms;
  };
  const terms = conjunction();
  if (at < tokens.length) fail(`unexpected "${tokens[at]}"`);
  return terms;
}

function satisfies(item: Item, t: KeyTerm): boolean {
  const v = item[t.name];
  const [a, b] = t.values;
  if (!v || !a) return false;
  if (t.op === 'begins_with') {
    if (v.S !== undefined && a.S !== undefined) return v.S.startsWith(a.S);
    if (v.B !== undefined && a.B !== undefined) return Buffer.from(v.B).subarray(0, a.B.length).equals(a.B);
    return false;
  }
  const c = compareValues(v, a);
  if (Number.isNaN(c)) return false;
  switch (t.op) {
    case '=': return c === 0;
    case '<': return c < 0;
    case '<=': return c <= 0;
    case '>': return c > 0;
    case '>=': return c >= 0;
    case 'BETWEEN': return c >= 0 && !!b && compareValues(v, b) <= 0;
  }
}

/** Applies ProjectionExpression (paths like `a`, `#b.c`, `d[0]`) or AttributesToGet. */
function projectForCaller(
  input: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string>; AttributesToGet?: string[] },
  item: Item,
): Item {
  if (input.AttributesToGet) return pick(item, input.AttributesToGet);
  if (!input.ProjectionExpression) return item;
  // The paths as a tree, so that `a.b, a.c` keep both members of `a`.
  interface Selection { whole: boolean; children: Map<string | number, Selection> }
  const root: Selection = { whole: false, children: new Map() };
  for (const path of input.ProjectionExpression.split(',')) {
    let node = root;
    for (const [, index, name] of path.matchAll(/\[(\d+)\]|([^.[\]\s]+)/g)) {
      const step = index !== undefined ? Number(index) : name!.startsWith('#') ? input.ExpressionAttributeNames?.[name!] ?? name! : name!;
      let child = node.children.get(step);
      if (!child) node.children.set(step, (child = { whole: false, children: new Map() }));
      node = child;
    }
    node.whole = true;
  }
  const select = (value: AttributeValue, s: Selection): AttributeValue | undefined => {
    if (s.whole) return value;
    if (value.M) {
      const out = selectMap(value.M, s);
      return Object.keys(out).length ? { M: out } : undefined;
    }
    if (value.L) {
      const list = value.L;
      const indexes = [...s.children.keys()].filter((k) => typeof k === 'number').sort((x, y) => x - y);
      const out = indexes.flatMap((i) => (list[i] ? [select(list[i], s.children.get(i)!)] : [])).filter((v) => v !== undefined);
      return out.length ? { L: out } : undefined;
    }
    return undefined;
  };
  const selectMap = (map: Item, s: Selection): Item => {
    const out: Item = {};
    for (const [step, child] of s.children) {
      const v = typeof step === 'string' ? map[step] : undefined;
      const picked = v && select(v, child);
      if (picked) out[step] = picked;
    }
    return out;
  };
  return selectMap(item, root);
}

// ---------------------------------------------------------------------------------------------
// AttributeValues: order and identity
// ---------------------------------------------------------------------------------------------

/** DynamoDB's order for key types: numbers by value, strings and binaries by bytes. NaN: not comparable. */
function compareValues(a: AttributeValue | undefined, b: AttributeValue | undefined): number {
  if (!a || !b) return a ? 1 : b ? -1 : 0;
  if (a.N !== undefined && b.N !== undefined) return compareNumbers(a.N, b.N);
  if (a.S !== undefined && b.S !== undefined) return a.S === b.S ? 0 : Buffer.compare(Buffer.from(a.S), Buffer.from(b.S));
  if (a.B !== undefined && b.B !== undefined) return Buffer.compare(a.B, b.B);
  return NaN;
}

/** A DynamoDB number (up to 38 digits) as sign × 0.digits × 10^exponent, exactly; "1.50" and "15e-1" are alike. */
function decimal(n: string): { sign: number; digits: string; exponent: number } {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(n.trim());
  if (!m) throw new Error(`index lag: not a number: ${n}`);
  const whole = m[2] ?? '';
  const all = whole + (m[3] ?? '');
  const lead = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(lead).replace(/0+$/, '');
  if (!digits) return { sign: 0, digits: '', exponent: 0 };
  return { sign: m[1] === '-' ? -1 : 1, digits, exponent: whole.length - lead + Number(m[4] ?? 0) };
}

function compareNumbers(x: string, y: string): number {
  const a = decimal(x);
  const b = decimal(y);
  if (a.sign !== b.sign) return a.sign - b.sign;
  // Same exponent: digit strings compare like the fractions they are (0.19 < 0.2, 0.12 < 0.123).
  const magnitude = a.exponent !== b.exponent ? a.exponent - b.exponent : a.digits < b.digits ? -1 : a.digits > b.digits ? 1 : 0;
  return a.sign * Math.sign(magnitude);
}

/** A string that is the same for equal keys however they were written (number formats, binaries). */
function keyId(key: KeyNames, item: Item): string {
  return JSON.stringify(
    keyNames(key).map((name) => {
      const v = item[name];
      if (v?.N !== undefined) {
        const d = decimal(v.N);
        return `N${d.sign < 0 ? '-' : ''}${d.digits}e${d.exponent}`;
      }
      return v?.S !== undefined ? `S${v.S}` : v?.B !== undefined ? `B${Buffer.from(v.B).toString('base64')}` : '';
    }),
  );
}
