import { createServer, type Server } from 'node:http';
import { isValidSignature } from '../../shared/channels/generic/signature.js';

export interface ReceivedReply {
  body: { conversationId: string; messageId: string; to: string; text: string };
  signed: boolean;
  status: number;
}

/** A provider's bad day: a share of answers are 5xx, and a share come only after `slowMs` (a timeout for Tide). */
export interface OutboundFaults {
  errorShare: number;
  slowShare: number;
  slowMs: number;
  random: () => number;
}

/**
 * A channel's outbound endpoint: records every POST and whether its signature verifies, and
 * answers with the statuses it is told to (then 200), to exercise retries; with `faults`, also
 * random 503s and answers too slow to wait for.
 */
export async function startOutboundReceiver(secret: string, failFirst: number[] = [], faults?: OutboundFaults) {
  const received: ReceivedReply[] = [];
  const plan = [...failFirst];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const draw = faults?.random() ?? 1;
      if (faults && draw < faults.slowShare) await new Promise((r) => setTimeout(r, faults.slowMs));
      const status = plan.shift() ?? (faults && draw >= faults.slowShare && draw < faults.slowShare + faults.errorShare ? 503 : 200);
      received.push({
        body: JSON.parse(raw.toString()),
        signed: isValidSignature(secret, raw, req.headers['x-tide-signature'] as string | undefined),
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/out`,
    received,
    failNext: (...statuses: number[]) => plan.push(...statuses),
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections(); // slow answers still waiting
      }),
  };
}
