import { createServer } from 'node:net';

/** Asks the OS for a port nobody is listening on. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A port the stack needs is taken. `setting` says which of the stack's ports it is (the option
 * name, e.g. `httpPort`), so that whoever reads the settings can name the one to change.
 */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly setting: string,
    readonly host: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(`port ${port} on ${host} is in use (${setting})`, options);
  }
}

/** Whether an error is the OS refusing a listen on a taken port. */
export function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/**
 * Fails with a PortInUseError when `port` is taken: a start-up check, so that a clash is found
 * before anything slow (DynamoDB Local) has started and has to be stopped again.
 */
export function assertPortFree(setting: string, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error) => reject(isAddressInUse(error) ? new PortInUseError(setting, host, port, { cause: error }) : error));
    server.listen(port, host, () => server.close(() => resolve()));
  });
}

/** Runs `listen` and turns an EADDRINUSE from it into a PortInUseError naming `setting`. */
export async function listenOn<T>(setting: string, host: string, port: number, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (error) {
    throw isAddressInUse(error) ? new PortInUseError(setting, host, port, { cause: error }) : error;
  }
}
