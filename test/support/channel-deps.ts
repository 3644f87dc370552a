import { parseConfig, type TideConfigInput } from '../../shared/config/schema.js';
import type { Deps, HttpSend } from '../../shared/runtime/deps.js';

/**
 * Just what a channel reads (config, secrets, http), for the channels' unit tests; everything
 * else in Deps stays unset, so a channel that reached for more would fail loudly.
 */
export const channelDeps = (options: { channels?: TideConfigInput['channels']; queues?: TideConfigInput['queues']; http?: HttpSend; secrets?: Deps['secrets'] } = {}): Deps =>
  ({
    config: parseConfig({ queues: options.queues, channels: options.channels ?? {} }),
    secrets: options.secrets ?? { read: async (): Promise<string> => { throw new Error('unused'); } },
    http: options.http ?? (async () => { throw new Error('no http expected'); }),
  }) as unknown as Deps;
