/**
 * Section 3: the cost of reading the next conversation to route, at growing queue sizes. DESIGN §2
 * requires it not to depend on how many conversations are queued (an index query, never a scan).
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { createTables, localRegion, startDynamoDbLocal } from '../../infra/local/dynamodb.js';
import { parseConfig } from '../../shared/config/schema.js';
import { nextQueued } from '../../shared/conversation/conversation-store.js';
import { openConversation } from '../../shared/conversation/transitions.js';
import { rankOf } from '../../shared/routing/priority.js';
import { difference, snapshot } from '../../shared/storage/capacity-meter.js';
import { createDocumentClient } from '../../shared/storage/document-client.js';
import { tableNamesFromEnv } from '../../shared/storage/tables.js';
import { num, pool, rng, round, table } from '../lib/util.js';

export interface RoutingOptions {
  seed: number;
  quick: boolean;
  log: (line: string) => void;
}

export interface RoutingRow {
  queued: number;
  queue: string;
  calls: number;
  p50Ms?: number;
  p95Ms?: number;
  readUnitsPerCall: number;
  bestFirst: boolean;
  scanReadUnitsEstimate?: number;
}

export interface RoutingResult {
  sizes: number[];
  rows: RoutingRow[];
  loadedItems: number;
  loadSeconds: number;
  loadItemsPerSecond: number;
  averageItemBytes?: number;
}

const calls = 200;
const warmUpRounds = 200;

/**
 * One queue per size, all in the same table (as queues share the Conversations table in Tide),
 * measured in interleaved rounds so that JIT warm-up and background load weigh on every size alike.
 */
export async function runRouting(options: RoutingOptions): Promise<RoutingResult> {
  const sizes = options.quick ? [10, 1_000, 10_000] : [10, 1_000, 100_000];
  const random = rng(options.seed + 3);
  const dynamodb = await startDynamoDbLocal();
  try {
    const tableEnv = await createTables(dynamodb.endpoint, 'bench-routing-');
    const env = { ...tableEnv, DYNAMODB_ENDPOINT: dynamodb.endpoint, AWS_REGION: localRegion, TIDE_METER_CAPACITY: '1' };
    const deps = { db: createDocumentClient(env), tables: tableNamesFromEnv(env) };
    const base = Date.parse('2026-11-02T09:00:00Z');
    const queues = sizes.map((size) => ({ size, queue: `bench-${size}`, bestRank: undefined as string | undefined }));

    // Queued conversations as openConversation makes them (the real transition: rank, SLA and
    // timer fields included), arriving over 8 hours; 10 % with a higher business priority and 20 %
    // past their SLA (re-ranked by the real rankOf, as the SLA timer's transition does).
    const config = parseConfig({ queues: Object.fromEntries(queues.map((q) => [q.queue, { slaSeconds: 120 }])) });
    const items = queues.flatMap((q) =>
      Array.from({ length: q.size }, (_, n) => {
        const now = new Date(base + Math.floor(random() * 8 * 3600_000));
        const opened = openConversation(
          `c_bench_${options.seed}_${q.size}_${String(n).padStart(7, '0')}`,
          {
            messageId: `mi_bench_${q.size}_${n}`,
            channel: 'generic',
            from: `+1777${String(n).padStart(7, '0')}`,
            name: `Customer ${n}`,
            text: 'Hi, my order has not arrived yet, can you help?',
            queue: q.queue,
            priority: random() < 0.1 ? 1 : undefined,
          },
          { now, config },
        );
        const conversation = random() < 0.2 ? { ...opened, slaBreached: true } : opened;
        conversation.rank = rankOf(conversation, config.priority);
        if (q.bestRank === undefined || conversation.rank < q.bestRank) q.bestRank = conversation.rank;
        return conversation;
      }),
    );
    const batches: (typeof items)[] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    const loadStart = performance.now();
    await pool(batches, 8, async (batch) => {
      let requests: Record<string, unknown>[] = batch.map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 10) throw new Error('BatchWrite kept returning unprocessed items');
        const out = await deps.db.send(new BatchWriteCommand({ RequestItems: { [deps.tables.conversations]: requests as never } }));
        requests = (out.UnprocessedItems?.[deps.tables.conversations] ?? []) as Record<string, unknown>[];
      }
    });
    const loadSeconds = (performance.now() - loadStart) / 1000;
    options.log(`  loaded ${items.length.toLocaleString('en-US')} queued conversations in ${Math.round(loadSeconds)} s`);

    for (let i = 0; i < warmUpRounds; i++) for (const q of queues) await nextQueued(deps, q.queue, 1);
    const times = new Map(queues.map((q) => [q.queue, [] as number[]]));
    const units = new Map(queues.map((q) => [q.queue, 0]));
    const best = new Map(queues.map((q) => [q.queue, true]));
    for (let i = 0; i < calls; i++) {
      for (const q of queues) {
        const before = snapshot();
        const t = performance.now();
        const [first] = await nextQueued(deps, q.queue, 1);
        times.get(q.queue)!.push(performance.now() - t);
        units.set(q.queue, units.get(q.queue)! + difference(snapshot(), before).readUnits);
        if (first?.rank !== q.bestRank) best.set(q.queue, false);
      }
    }
    const described = await deps.db.send(new DescribeTableCommand({ TableName: deps.tables.conversations }));
    const bytes = described.Table?.TableSizeBytes;
    const count = described.Table?.ItemCount;
    const averageItemBytes = bytes && count ? bytes / count : undefined;
    const rows = queues.map((q): RoutingRow => {
      const sorted = [...times.get(q.queue)!].sort((a, b) => a - b);
      return {
        queued: q.size,
        queue: q.queue,
        calls,
        p50Ms: round(sorted[Math.ceil(calls * 0.5) - 1], 2),
        p95Ms: round(sorted[Math.ceil(calls * 0.95) - 1], 2),
        readUnitsPerCall: units.get(q.queue)! / calls,
        bestFirst: best.get(q.queue)!,
        // An eventually consistent Scan reads 0.5 RRU per 4 KB: a table holding just this queue.
        scanReadUnitsEstimate: averageItemBytes ? Math.ceil((q.size * averageItemBytes) / 4096) * 0.5 : undefined,
      };
    });
    for (const row of rows) options.log(`  ${row.queued} queued: p50 ${num(row.p50Ms, 2)} ms, ${row.readUnitsPerCall} RRU per call`);
    deps.db.destroy();
    return {
      sizes,
      rows,
      loadedItems: items.length,
      loadSeconds: round(loadSeconds, 1) ?? 0,
      loadItemsPerSecond: Math.round(items.length / Math.max(loadSeconds, 0.001)),
      averageItemBytes: round(averageItemBytes, 0),
    };
  } finally {
    await dynamodb.stop();
  }
}

export function printRouting(r: RoutingResult): string {
  const t = table(
    `3. Next-conversation routing cost: nextQueued(deps, queue, 1) = one byQueue index Query; one queue per size in one table, ${calls} interleaved calls each`,
    ['queued conversations', 'p50 ms', 'p95 ms', 'RRU per call', 'best first', 'a Scan instead (RRU, est.)'],
    r.rows.map((row) => [
      row.queued.toLocaleString('en-US'),
      num(row.p50Ms, 2),
      num(row.p95Ms, 2),
      num(row.readUnitsPerCall, 2),
      row.bestFirst ? 'yes' : 'NO',
      num(row.scanReadUnitsEstimate, 0),
    ]),
  );
  return `${t}\nloaded ${r.loadedItems.toLocaleString('en-US')} items (${num(r.averageItemBytes, 0)} B each) by BatchWrite in ${r.loadSeconds} s (${r.loadItemsPerSecond.toLocaleString('en-US')} items/s)`;
}
