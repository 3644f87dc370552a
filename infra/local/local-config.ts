import { readFileSync } from 'node:fs';
import { parseConfig, type TideConfig, type TideConfigInput } from '../../shared/config/schema.js';

/**
 * What `npm start` runs with when `TIDE_CONFIG` does not say otherwise: the example of DESIGN §4.
 * The deployed stack has no such defaults (no secret is ever implied there).
 */
export const localDefaults = {
  agents: [{ id: 'alice', name: 'Alice', queues: ['default'], preferredConcurrency: 3, maxLoad: 5 }],
  channels: { generic: { secret: 'dev-secret' } },
} satisfies TideConfigInput;

/** The file's top-level fields replace the local defaults'; fields it leaves out keep them. */
export function loadLocalConfig(path: string | undefined): TideConfig {
  if (!path) return parseConfig(localDefaults);
  let file: Record<string, unknown>;
  try {
    file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`cannot read TIDE_CONFIG ${path}: ${(error as Error).message}`);
  }
  return parseConfig({ ...localDefaults, ...file });
}
