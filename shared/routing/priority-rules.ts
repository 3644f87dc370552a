import { normalise } from '../classifier/classify.js';
import type { PriorityRule } from '../config/schema.js';

/**
 * Business priority from what a customer writes: a configured rule ("fraud", "cancel my
 * account" → priority 5) applies when the message contains one of its phrases as whole words.
 * Returns the highest matching priority, or undefined.
 */
export function priorityFromRules(text: string, queue: string, rules: readonly PriorityRule[]): number | undefined {
  const words = ` ${normalise(text)} `;
  let best: number | undefined;
  for (const rule of rules) {
    if (rule.queues && !rule.queues.includes(queue)) continue;
    if (rule.phrases.some((p) => words.includes(` ${normalise(p)} `))) best = Math.max(best ?? -Infinity, rule.priority);
  }
  return best;
}

/** Priority only ever rises from a message: a later "thanks" must not undo an urgent first line. */
export const raisedPriority = (current: number, ...candidates: Array<number | undefined>) =>
  Math.max(current, ...candidates.filter((p): p is number => p !== undefined));
