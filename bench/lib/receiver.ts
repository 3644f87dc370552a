/** The generic channel's `outboundUrl` for the benchmark: counts deliveries and dedupes them by messageId. */
import { createServer, type Server } from 'node:http';

export interface CountingReceiver {
  url: string;
  /** Requests received (retries included). */
  requests(): number;
  /** Distinct messageIds delivered. */
  delivered(): number;
  close(): Promise<void>;
}

export async function startCountingReceiver(): Promise<CountingReceiver> {
  const messageIds = new Set<string>();
  let requests = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests++;
      try {
        messageIds.add((JSON.parse(Buffer.concat(chunks).toString()) as { messageId: string }).messageId);
      } catch {
        // counted anyway
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/out`,
    requests: () => requests,
    delivered: () => messageIds.size,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
