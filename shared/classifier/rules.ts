import { z } from 'zod';
import { phraseProblem, type PhraseList } from './classify.js';

/**
 * The classifier's rule set: exactly the shape under the `classifier` key of a Tide configuration
 * (docs/classifier.md). Every field is optional; `{}` means "the built-in rules"
 * (`defaultClassifierRules`).
 *
 * ```json
 * "classifier": {
 *   "replaceDefaults": false,
 *   "languages": {
 *     "en": { "ineffectual": ["cheers", "ta"], "negativeAnswer": [], "closingQuestion": [] },
 *     "de": { "replaceDefaults": true, "ineffectual": ["danke"], "negativeAnswer": ["nein"] }
 *   }
 * }
 * ```
 *
 * A business's lists EXTEND the built-in lists of the same language unless `replaceDefaults` is
 * true: at the top level it drops every built-in language (only the languages listed here remain);
 * inside a language it replaces that language's three lists (missing lists are then empty).
 *
 * The parsed value is kept as written (not merged with the defaults), so it stays small when the
 * configuration is serialised (e.g. into a Lambda environment variable) and parsing it again gives
 * the same value. Merging happens when rules are compiled (`effectiveClassifierRules`).
 */

const MAX_PHRASES_PER_LIST = 1_000;
const MAX_PHRASE_LENGTH = 200;

const phraseList = (list: PhraseList) =>
  z
    .array(
      z
        .string()
        .max(MAX_PHRASE_LENGTH)
        .superRefine((phrase, ctx) => {
          const problem = phraseProblem(list, phrase);
          if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
        }),
    )
    .max(MAX_PHRASES_PER_LIST);

export const languageRulesSchema = z.strictObject({
  /** Replace this language's built-in lists instead of extending them. */
  replaceDefaults: z.boolean().optional(),
  /** Customer messages that carry no request ("thanks", "ok", 👍). */
  ineffectual: phraseList('ineffectual').optional(),
  /** Phrases that make an agent's message a closing question ("anything else"). */
  closingQuestion: phraseList('closingQuestion').optional(),
  /** Customer answers that, after a closing question, close the conversation ("no thanks"). */
  negativeAnswer: phraseList('negativeAnswer').optional(),
});

/** A language code (`en`, `pt-BR`) or any short label: languages only group phrases. */
const languageKeySchema = z
  .string()
  .regex(/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/, 'language keys are codes such as "en" or "pt-BR"');

export const classifierRulesSchema = z.strictObject({
  /** Drop every built-in language; only `languages` below apply. */
  replaceDefaults: z.boolean().default(false),
  languages: z.record(languageKeySchema, languageRulesSchema).default({}),
});

export type ClassifierRulesInput = z.input<typeof classifierRulesSchema>;
export type ClassifierRules = z.output<typeof classifierRulesSchema>;
export type LanguageRules = z.output<typeof languageRulesSchema>;
