/**
 * Twilio's default opt-out and opt-in keywords (DESIGN §4b). Only a message that is the keyword
 * and nothing else counts: "Stop please" or "cancel my order" is an ordinary message.
 */
const stopKeywords: ReadonlySet<string> = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const startKeywords: ReadonlySet<string> = new Set(['START', 'UNSTOP', 'YES']);

/** Spaces and punctuation around the word ("Stop!", " stop. ") do not change what it says. */
const surroundingSpaceAndPunctuation = /^[\s\p{P}]+|[\s\p{P}]+$/gu;

/**
 * Whether a customer's message opts them out of (`stop`) or back into (`start`) messages. Twilio's
 * own verdict comes first: with Advanced Opt-Out, `OptOutType` is set for the business's custom
 * keywords too (and `HELP` is neither). Otherwise the body is matched against the default keywords,
 * in any case.
 */
export function optOutOf(body: string, optOutType: string | undefined): 'stop' | 'start' | undefined {
  const verdict = optOutType?.trim().toUpperCase();
  if (verdict === 'STOP') return 'stop';
  if (verdict === 'START') return 'start';
  const word = body.replace(surroundingSpaceAndPunctuation, '').toUpperCase();
  if (stopKeywords.has(word)) return 'stop';
  if (startKeywords.has(word)) return 'start';
  return undefined;
}
