import { defaultClassifierRules } from './default-rules.js';
import type { ClassifierRules, LanguageRules } from './rules.js';

/**
 * The message classifier (DESIGN §1 "Messages drive workflow", §4). Pure: no I/O, no clock, no AWS.
 * How matching works, and why, is in docs/classifier.md.
 */

export type MessageClass = 'ineffectual' | 'closing-answer' | 'normal';

export interface ClassifyContext {
  /** The agent's last message before this customer message was a closing question (by rule or flagged). */
  afterClosingQuestion: boolean;
}

export type PhraseList = 'ineffectual' | 'closingQuestion' | 'negativeAnswer';
const LISTS: readonly PhraseList[] = ['ineffectual', 'closingQuestion', 'negativeAnswer'];

// ---------------------------------------------------------------------------------------------
// Text → tokens

interface Token {
  /** Normalised text (lower case, NFKC, accents kept). */
  text: string;
  /** Matching key: `text` with accents removed from Latin letters. */
  key: string;
  /** Punctuation, a symbol or an emoji separates this token from the previous one. */
  breakBefore: boolean;
}

interface Tokens {
  tokens: Token[];
  /** The text asks something: it contains ? ¿ ؟ or ‽. */
  question: boolean;
}

/** A question mark kept as a token (agent texts only), so a phrase can require one. */
const QUESTION_TOKEN = '?';

/** Apostrophe look-alikes; all are removed so "that's", "that’s" and "thats" are one word. */
const APOSTROPHES = /['\u2018\u2019\u201B\u02BB\u02BC\u0060\u00B4\u2032]/g;

/**
 * ASCII emoticons become emoji before punctuation is stripped, so ":)" counts like 🙂 and ":(" is
 * content (🙁 is in no default list: "ok :(" is not a courtesy). Longest first.
 */
const EMOTICONS: ReadonlyArray<readonly [string, string]> = (
  [
    [':-)', '🙂'], [':)', '🙂'], ['=)', '🙂'], [':]', '🙂'], ['(:', '🙂'],
    [':-d', '😀'], [':d', '😀'], ['=d', '😀'],
    [';-)', '😉'], [';)', '😉'],
    ['<3', '❤'], ['(y)', '👍'],
    ['^_^', '😊'], ['^.^', '😊'], ['^-^', '😊'], ['^^', '😊'],
    ['>:(', '🙁'], [':-(', '🙁'], [":'(", '🙁'], [':(', '🙁'], ['):', '🙁'], [':-/', '🙁'], [':/', '🙁'],
    [':\\', '🙁'], [':|', '😐'],
  ] as const
)
  .slice()
  .sort((a, b) => b[0].length - a[0].length);
const EMOTICON_MAP = new Map<string, string>(EMOTICONS);
const EMOTICON_PATTERN = new RegExp(EMOTICONS.map(([e]) => e.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|'), 'g');

/**
 * Emoji (one code point each, after variation selectors, skin tones and joiners are removed), a
 * question mark, a run of separators (punctuation, symbols, white space), or a run of anything else.
 */
const TOKEN_PATTERN =
  /(\p{Extended_Pictographic})|([?\u061F\u203D])|((?:(?![?\u061F\u203D\p{Extended_Pictographic}])[\p{P}\p{S}\s])+)|([^\p{P}\p{S}\s\p{Extended_Pictographic}]+)/gu;

function prepare(text: string): string {
  return (
    text
      .normalize('NFKC')
      // Zero-width space and word joiner separate words; other format characters (joiners, direction
      // marks, soft hyphens, tags), variation selectors and skin tones are dropped; control characters
      // are white space.
      .replace(/[\u200B\u2060]/g, ' ')
      .replace(/[\p{Cf}\uFE0E\uFE0F\p{Emoji_Modifier}]/gu, '')
      .replace(/\p{Cc}/gu, ' ')
      .toLowerCase()
      .replace(APOSTROPHES, "'")
      .replace(EMOTICON_PATTERN, (e) => ` ${EMOTICON_MAP.get(e) ?? ''} `)
      .replace(/'/g, '')
  );
}

/** Removes accents from Latin letters only ("não" → "nao"); other scripts are left alone. */
function foldAccents(word: string): string {
  if (/^[\x00-\x7F]*$/.test(word)) return word;
  return word.normalize('NFD').replace(/(\p{Script=Latin})\p{M}+/gu, '$1').normalize('NFC');
}

function tokenise(text: string, keepQuestionMarks: boolean): Tokens {
  const prepared = prepare(text);
  const tokens: Token[] = [];
  let question = /[?¿\u061F\u203D]/.test(prepared);
  let pendingBreak = false;
  for (const match of prepared.matchAll(TOKEN_PATTERN)) {
    const [, emoji, questionMark, separators, word] = match;
    if (emoji !== undefined) {
      tokens.push({ text: emoji, key: emoji, breakBefore: true });
      pendingBreak = true;
    } else if (questionMark !== undefined) {
      question = true;
      if (keepQuestionMarks) tokens.push({ text: QUESTION_TOKEN, key: QUESTION_TOKEN, breakBefore: true });
      pendingBreak = true;
    } else if (separators !== undefined) {
      if (/[^\s]/u.test(separators)) pendingBreak = true;
    } else if (word !== undefined) {
      tokens.push({ text: word, key: foldAccents(word), breakBefore: pendingBreak });
      pendingBreak = false;
    }
  }
  return { tokens, question };
}

/**
 * The canonical form that phrases and messages are compared in: lower case, Unicode NFKC,
 * apostrophes removed ("that's" → "thats"), punctuation, symbols and repeated white space reduced to
 * single spaces, ASCII emoticons turned into emoji, emoji kept as separate words without
 * variation selectors or skin tones. Accents are kept here; matching also ignores accents on Latin
 * letters. Never throws.
 */
export function normalise(text: string): string {
  if (typeof text !== 'string') return '';
  return tokenise(text, false)
    .tokens.map((t) => t.text)
    .join(' ');
}

/**
 * Why a phrase cannot be used in a list, or `undefined` when it can (used by the rules schema).
 * @internal
 */
export function phraseProblem(list: PhraseList, phrase: string): string | undefined {
  const { tokens, question } = tokenise(phrase, list === 'closingQuestion');
  if (tokens.every((t) => t.key === QUESTION_TOKEN)) {
    return 'a phrase needs at least one word or emoji (punctuation alone is ignored)';
  }
  if (list !== 'closingQuestion' && question) {
    return 'customer phrases cannot contain a question mark: a question is never ineffectual nor a closing answer';
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Rules → compiled matchers

/** A run of three or more of the same letter: an elongated word ("thaaanks", "nooo"). */
const ELONGATED = /(\p{L})\1\1/u;
const squeeze = (key: string) => key.replace(/(\p{L})\1+/gu, '$1');

interface CustomerPhrase {
  keys: string[];
  squeezed: string[];
  ineffectual: boolean;
  negative: boolean;
}

interface Compiled {
  /** Customer phrases by the key of their first token, and by its squeezed form. */
  byFirst: Map<string, CustomerPhrase[]>;
  bySqueezedFirst: Map<string, CustomerPhrase[]>;
  /** Closing-question phrases (token keys, "?" included) by their first key. */
  closingByFirst: Map<string, string[][]>;
}

const compiledCache = new WeakMap<object, Compiled>();

function listOf(rules: LanguageRules | undefined, list: PhraseList): readonly string[] {
  const value: unknown = rules?.[list];
  return Array.isArray(value) ? value.filter((p): p is string => typeof p === 'string') : [];
}

/**
 * The complete rule set that `rules` stands for: the built-in lists extended (or replaced) by
 * `rules`, with exact duplicates removed. The result has `replaceDefaults: true`.
 */
export function effectiveClassifierRules(rules: ClassifierRules): ClassifierRules {
  const own: Record<string, LanguageRules | undefined> =
    isObject(rules) && isObject(rules.languages) ? rules.languages : {};
  const base: Record<string, LanguageRules> =
    isObject(rules) && rules.replaceDefaults === true ? {} : defaultClassifierRules.languages;
  const languages: Record<string, Required<Omit<LanguageRules, 'replaceDefaults'>>> = {};
  for (const code of new Set([...Object.keys(base), ...Object.keys(own)])) {
    const value = own[code];
    const mine = isObject(value) ? value : undefined;
    const builtIn = mine?.replaceDefaults === true ? undefined : base[code];
    const merged = { ineffectual: [] as string[], closingQuestion: [] as string[], negativeAnswer: [] as string[] };
    for (const list of LISTS) merged[list] = [...new Set([...listOf(builtIn, list), ...listOf(mine, list)])];
    languages[code] = merged;
  }
  return { replaceDefaults: true, languages };
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function compile(rules: ClassifierRules): Compiled {
  const cacheKey: object = isObject(rules) ? rules : defaultClassifierRules;
  const cached = compiledCache.get(cacheKey);
  if (cached) return cached;

  const effective = effectiveClassifierRules(rules);
  const customer = new Map<string, CustomerPhrase>();
  const closing = new Map<string, string[]>();
  for (const language of Object.values(effective.languages)) {
    for (const list of LISTS) {
      for (const phrase of listOf(language, list)) {
        // Unusable phrases are rejected by the schema; rules built by hand just skip them.
        if (phraseProblem(list, phrase) !== undefined) continue;
        const keys = tokenise(phrase, list === 'closingQuestion').tokens.map((t) => t.key);
        const id = keys.join(' ');
        if (list === 'closingQuestion') {
          closing.set(id, keys);
          continue;
        }
        let entry = customer.get(id);
        if (!entry) {
          entry = { keys, squeezed: keys.map(squeeze), ineffectual: false, negative: false };
          customer.set(id, entry);
        }
        if (list === 'ineffectual') entry.ineffectual = true;
        else entry.negative = true;
      }
    }
  }

  const compiled: Compiled = { byFirst: new Map(), bySqueezedFirst: new Map(), closingByFirst: new Map() };
  for (const phrase of customer.values()) {
    push(compiled.byFirst, phrase.keys[0] ?? '', phrase);
    push(compiled.bySqueezedFirst, phrase.squeezed[0] ?? '', phrase);
  }
  for (const keys of closing.values()) push(compiled.closingByFirst, keys[0] ?? '', keys);
  compiledCache.set(cacheKey, compiled);
  return compiled;
}

// ---------------------------------------------------------------------------------------------
// Matching

function tokenMatches(message: Token, phraseKey: string, phraseSqueezed: string): boolean {
  return message.key === phraseKey || (ELONGATED.test(message.key) && squeeze(message.key) === phraseSqueezed);
}

/** Phrases that match the message tokens starting at `at`, with their length in tokens. */
function* phrasesAt(tokens: readonly Token[], at: number, compiled: Compiled): Generator<CustomerPhrase> {
  const first = tokens[at];
  if (!first) return;
  const candidates = new Set(compiled.byFirst.get(first.key) ?? []);
  if (ELONGATED.test(first.key)) for (const p of compiled.bySqueezedFirst.get(squeeze(first.key)) ?? []) candidates.add(p);
  for (const phrase of candidates) {
    if (at + phrase.keys.length > tokens.length) continue;
    let ok = true;
    for (let i = 1; i < phrase.keys.length && ok; i++) {
      const token = tokens[at + i];
      ok = token !== undefined && tokenMatches(token, phrase.keys[i] ?? '', phrase.squeezed[i] ?? '');
    }
    if (ok) yield phrase;
  }
}

// DP states: bit 0 = nothing special, bit 1 = the last phrase was a one-word negative answer;
// +2 = a negative answer has been used.
const AFTER_BARE_NEGATION = 1;
const HAS_NEGATIVE = 2;

/**
 * Whether the WHOLE message splits into known phrases (greedy segmentation would miss splits, so all
 * are explored: at most 4 states per token). In `closing` mode negative answers are allowed too and
 * at least one is required; a one-word negative answer ("no", "nada") may be followed only after
 * punctuation or an emoji, so "no vale" / "nada bien" / "no es todo" stay normal while "no, vale"
 * and the listed "no thanks" close.
 */
function coveredByPhrases(tokens: readonly Token[], compiled: Compiled, mode: 'ineffectual' | 'closing'): boolean {
  const n = tokens.length;
  if (n === 0) return false;
  const states = new Uint8Array(n + 1); // bitmask of reachable states (1 << state) per position
  states[0] = 1 << 0;
  let furthest = 0;
  for (let at = 0; at < n; at++) {
    if (at > furthest) return false; // a token no phrase can cover
    const here = states[at] ?? 0;
    if (here === 0) continue;
    const token = tokens[at];
    if (!token) return false;
    for (const phrase of phrasesAt(tokens, at, compiled)) {
      const end = at + phrase.keys.length;
      let next = states[end] ?? 0;
      for (let state = 0; state < 4; state++) {
        if ((here & (1 << state)) === 0) continue;
        if ((state & AFTER_BARE_NEGATION) !== 0 && !token.breakBefore) continue;
        const hasNegative = state & HAS_NEGATIVE;
        if (phrase.ineffectual) next |= 1 << hasNegative;
        if (mode === 'closing' && phrase.negative) {
          next |= 1 << (HAS_NEGATIVE | (phrase.keys.length === 1 ? AFTER_BARE_NEGATION : 0));
        }
      }
      states[end] = next;
      if (next !== 0 && end > furthest) furthest = end;
    }
  }
  const last = states[n] ?? 0;
  return mode === 'closing' ? (last & 0b1100) !== 0 : (last & 0b0001) !== 0;
}

/**
 * Classifies a customer message:
 * - `closing-answer`: after a closing question, the message consists only of negative answers and
 *   courtesy, with at least one negative answer ("no", "no thanks, that's all 🙂", "thanks, bye!").
 * - `ineffectual`: the message consists only of courtesy phrases ("thanks", "ok", "👍👍"), in any
 *   context. After a closing question a bare "thanks" is ineffectual, not a closing answer: it
 *   thanks the agent without answering the question.
 * - `normal`: everything else, including every message with a question mark ("ok?"), an empty or
 *   punctuation-only message ("?", "..."), and "no" when no closing question preceded it.
 * Never throws.
 */
export function classifyCustomerMessage(
  text: string,
  context: ClassifyContext,
  rules: ClassifierRules = defaultClassifierRules,
): MessageClass {
  if (typeof text !== 'string') return 'normal';
  const { tokens, question } = tokenise(text, false);
  if (question || tokens.length === 0) return 'normal';
  const compiled = compile(rules);
  if (context?.afterClosingQuestion === true && coveredByPhrases(tokens, compiled, 'closing')) return 'closing-answer';
  return coveredByPhrases(tokens, compiled, 'ineffectual') ? 'ineffectual' : 'normal';
}

/**
 * Whether an agent's message is a closing question: it contains one of the `closingQuestion`
 * phrases as whole words (case, punctuation and Latin accents ignored). A phrase ending in "?"
 * matches only when a question mark follows it ("noch etwas?" matches "Noch etwas?", not "noch
 * etwas Geduld"). Never throws.
 */
export function isClosingQuestion(agentText: string, rules: ClassifierRules = defaultClassifierRules): boolean {
  if (typeof agentText !== 'string') return false;
  const { tokens } = tokenise(agentText, true);
  const compiled = compile(rules);
  for (let at = 0; at < tokens.length; at++) {
    const first = tokens[at];
    if (!first) break;
    for (const keys of compiled.closingByFirst.get(first.key) ?? []) {
      if (keys.every((key, i) => tokens[at + i]?.key === key)) return true;
    }
  }
  return false;
}
