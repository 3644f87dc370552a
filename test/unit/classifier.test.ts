import { describe, expect, it } from 'vitest';
import {
  classifyCustomerMessage,
  effectiveClassifierRules,
  isClosingQuestion,
  normalise,
  type MessageClass,
} from '../../shared/classifier/classify.js';
import { defaultClassifierRules } from '../../shared/classifier/default-rules.js';
import { classifierRulesSchema, type ClassifierRules } from '../../shared/classifier/rules.js';

const AFTER = { afterClosingQuestion: true };
const ELSEWHERE = { afterClosingQuestion: false };

/** Ineffectual in any context (DESIGN §1, §4). */
const ineffectual: Record<string, string[]> = {
  en: [
    'thanks', 'Thanks!', 'THANKS!!!', 'tHaNkS', 'thank you', 'Thank you so much!', 'thank you very much.', 'thx!',
    'ty', 'tysm', 'thanks a lot :)', 'many thanks', 'much appreciated', 'thanks for your help!', 'ok', 'OK',
    '  ok  ', 'ok.', 'Ok!!!', 'okay', 'okay...', 'okay…', 'k', 'kk', 'great', 'Great!', 'cool', 'cool cool',
    'perfect 👌', 'awesome!!', 'got it', 'sounds good 👍', 'ok thanks', 'ok, thanks!', 'thanks 🙏', 'great, thanks!',
    'Perfect, thank you so much!', 'thaaaanks', 'okkk', 'thanks\tok',
    'no worries', 'thank you 🙂', 'thanks👍', 'Ｔｈａｎｋｓ',
  ],
  emoji: ['👍', '👍👍', '👍 👍 👍', '👍🏽', '🙏', '🙏🏻', '👌', '❤️', '❤', '😊', '🙂', '☺️', ':)', ':-)', ':D', ';)', '<3', '(y)', '^^'],
  es: [
    'gracias', '¡Gracias!', 'muchas gracias', 'Muchísimas gracias 🙏', 'mil gracias', 'vale', 'Vale, gracias',
    'perfecto', 'genial!', 'de acuerdo', 'ok gracias', 'entendido',
  ],
  fr: [
    'merci', 'Merci !', 'merci beaucoup', 'ok merci', "d'accord", 'D’accord, merci', 'super', 'parfait 👍',
    'très bien', 'Tres bien', 'ça marche', 'merci bien',
  ],
  de: [
    'danke', 'Danke!', 'danke schön', 'Dankeschön', 'vielen Dank!', 'alles klar', 'super, danke', 'perfekt',
    'ok danke', 'Danke sehr 😊',
  ],
  pt: [
    'obrigado', 'Obrigada!', 'muito obrigado', 'valeu', 'beleza', 'perfeito', 'ótimo', 'otimo', 'ok obrigado',
    'tá bom', 'Obrigado pela ajuda!',
  ],
};

/** [message, class when no closing question preceded it, class right after a closing question]. */
const closing: Record<string, Array<[string, MessageClass, MessageClass]>> = {
  en: [
    ['no', 'normal', 'closing-answer'],
    ['No.', 'normal', 'closing-answer'],
    ['NO!!!', 'normal', 'closing-answer'],
    ['nope', 'normal', 'closing-answer'],
    ['Nope!', 'normal', 'closing-answer'],
    ['nah', 'normal', 'closing-answer'],
    ['no thanks', 'normal', 'closing-answer'],
    ['No thanks!', 'normal', 'closing-answer'],
    ['NO THANKS!!!', 'normal', 'closing-answer'],
    ['no thanks 🙂', 'normal', 'closing-answer'],
    ['no, thanks', 'normal', 'closing-answer'],
    ['No thank you.', 'normal', 'closing-answer'],
    ['no thank you!', 'normal', 'closing-answer'],
    ['no thx', 'normal', 'closing-answer'],
    ['no ty', 'normal', 'closing-answer'],
    ["that's all", 'normal', 'closing-answer'],
    ['That’s all, thanks!', 'normal', 'closing-answer'],
    ['thats all', 'normal', 'closing-answer'],
    ["that's it", 'normal', 'closing-answer'],
    ['nothing else', 'normal', 'closing-answer'],
    ['Nothing else, thank you', 'normal', 'closing-answer'],
    ["no, that's all", 'normal', 'closing-answer'],
    ["no that's all", 'normal', 'closing-answer'],
    ["No, that's it.", 'normal', 'closing-answer'],
    ["no thanks, that's all", 'normal', 'closing-answer'],
    ['nope, all good, thanks!', 'normal', 'closing-answer'],
    ["i'm good", 'normal', 'closing-answer'],
    ["I'm good, thanks", 'normal', 'closing-answer'],
    ['all good 👍', 'normal', 'closing-answer'],
    ['no :)', 'normal', 'closing-answer'],
    ['nooo', 'normal', 'closing-answer'],
    ['no 👍', 'normal', 'closing-answer'],
    ['No. Thanks!', 'normal', 'closing-answer'],
    ['thanks, no', 'normal', 'closing-answer'],
    ['not really', 'normal', 'closing-answer'],
    ['nothing', 'normal', 'closing-answer'],
    ["that'll be all, thanks", 'normal', 'closing-answer'],
    ['no, nothing else', 'normal', 'closing-answer'],
    ['no nothing else', 'normal', 'closing-answer'],
    ['thanks, bye!', 'ineffectual', 'closing-answer'],
    ['bye', 'ineffectual', 'closing-answer'],
    ['Bye!', 'ineffectual', 'closing-answer'],
    ['have a nice day!', 'ineffectual', 'closing-answer'],
    ['Thank you!\n\nHave a nice day', 'ineffectual', 'closing-answer'],
    // A bare courtesy does not answer the closing question: it stays ineffectual.
    ['thanks', 'ineffectual', 'ineffectual'],
    ['Thank you!', 'ineffectual', 'ineffectual'],
    ['ok', 'ineffectual', 'ineffectual'],
    ['👍', 'ineffectual', 'ineffectual'],
  ],
  es: [
    ['no', 'normal', 'closing-answer'],
    ['No, gracias', 'normal', 'closing-answer'],
    ['no gracias', 'normal', 'closing-answer'],
    ['No muchas gracias', 'normal', 'closing-answer'],
    ['nada más', 'normal', 'closing-answer'],
    ['Nada mas, gracias', 'normal', 'closing-answer'],
    ['eso es todo', 'normal', 'closing-answer'],
    ['Eso es todo, ¡gracias!', 'normal', 'closing-answer'],
    ['no, eso es todo', 'normal', 'closing-answer'],
    ['nada', 'normal', 'closing-answer'],
    ['no, vale', 'normal', 'closing-answer'],
    ['todo bien, gracias', 'normal', 'closing-answer'],
    ['hasta luego', 'ineffectual', 'closing-answer'],
    ['gracias', 'ineffectual', 'ineffectual'],
  ],
  fr: [
    ['non', 'normal', 'closing-answer'],
    ['Non merci', 'normal', 'closing-answer'],
    ['non merci !', 'normal', 'closing-answer'],
    ["rien d'autre", 'normal', 'closing-answer'],
    ['Rien d’autre, merci', 'normal', 'closing-answer'],
    ["c'est tout", 'normal', 'closing-answer'],
    ["non merci, c'est tout", 'normal', 'closing-answer'],
    ["Non, c'est tout.", 'normal', 'closing-answer'],
    ['ce sera tout', 'normal', 'closing-answer'],
    ["c'est bon merci", 'normal', 'closing-answer'],
    ['Merci, bonne journée !', 'ineffectual', 'closing-answer'],
    ['merci', 'ineffectual', 'ineffectual'],
  ],
  de: [
    ['nein', 'normal', 'closing-answer'],
    ['Nein danke', 'normal', 'closing-answer'],
    ['nein, danke!', 'normal', 'closing-answer'],
    ['nichts weiter', 'normal', 'closing-answer'],
    ["das war's", 'normal', 'closing-answer'],
    ['das wars', 'normal', 'closing-answer'],
    ['Das war’s, danke!', 'normal', 'closing-answer'],
    ['nein danke, das wars', 'normal', 'closing-answer'],
    ['Nein, alles gut', 'normal', 'closing-answer'],
    ['nichts mehr, danke', 'normal', 'closing-answer'],
    ['Danke, tschüss', 'ineffectual', 'closing-answer'],
    ['danke', 'ineffectual', 'ineffectual'],
  ],
  pt: [
    ['não', 'normal', 'closing-answer'],
    ['nao', 'normal', 'closing-answer'],
    ['Não, obrigado', 'normal', 'closing-answer'],
    ['não obrigada!', 'normal', 'closing-answer'],
    ['nada mais', 'normal', 'closing-answer'],
    ['é só isso', 'normal', 'closing-answer'],
    ['É só isso, obrigado', 'normal', 'closing-answer'],
    ['Não, é só isso.', 'normal', 'closing-answer'],
    ['so isso', 'normal', 'closing-answer'],
    ['não valeu', 'normal', 'closing-answer'],
    ['Obrigado, tchau!', 'ineffectual', 'closing-answer'],
    ['obrigado', 'ineffectual', 'ineffectual'],
  ],
};

/** Messages that carry content (or ask something): `normal` in every context. */
const normal: string[] = [
  "No, it still doesn't work",
  'ok but my order hasn’t arrived',
  'thanks, but when will it ship?',
  'no idea',
  'not yet',
  'nope, still broken',
  'great, now how do I reset it?',
  'nein, es geht immer noch nicht',
  'non, ça ne marche toujours pas',
  'no, I want a refund',
  'No. I want a refund.',
  'is that ok?',
  'ok?',
  'OK???',
  'thanks?',
  'no?',
  '¿nada más?',
  'thanks for nothing, this is useless',
  'thanks for nothing',
  'cool, can you also change the address?',
  'cool, can you also…',
  'ok :(',
  'no :(',
  'thanks :/',
  'no vale', // es: "it doesn't work / it's not valid"
  'no bueno',
  'no good',
  'nada bien',
  'no es todo', // es: "that's not all"
  'não é só isso', // pt: "that's not all"
  'não é isso',
  'no no',
  'no thanks, but I have another question',
  'thanks! one more thing',
  "no, that's not all",
  'nothing else works',
  "that's all wrong",
  'ok 2',
  'ok, 2 more questions',
  'thanks https://example.com/order/123',
  'order #123',
  'my order',
  'hi',
  'hello',
  'Hola',
  'Bonjour',
  'Hallo',
  'Olá',
  'yes',
  'yes please',
  'sí',
  'sure',
  'claro',
  'gerne',
  'bitte',
  'not really working',
  'no problem with the first item but the second is broken',
  'ok so what now',
  'thanks, but no thanks',
  'Merci mais le colis n’est pas arrivé',
  'gracias pero sigue sin funcionar',
  'danke, aber es funktioniert nicht',
  'obrigado, mas ainda não chegou',
  'no longer needed',
  'nope 😡',
  '🙁',
  '😡😡',
  'noon',
  'non-stop',
  'ok ok but',
  'Thanks. Where is my refund',
  'thanks\nwhere is my refund',
  "ok. I'll wait",
  'k, cancel it',
  'ok cancel',
  'great 5 stars',
  '...',
  '?',
  '!!!',
  '¿',
  '',
  '   ',
];

const rows = {
  ineffectual: Object.entries(ineffectual).flatMap(([lang, list]) => list.map((text) => [lang, text] as const)),
  closing: Object.entries(closing).flatMap(([lang, list]) => list.map((row) => [lang, ...row] as const)),
};

describe('classifyCustomerMessage with the default rules', () => {
  it.each(rows.ineffectual)('[%s] %j is ineffectual in any context', (_lang, text) => {
    expect(classifyCustomerMessage(text, ELSEWHERE)).toBe('ineffectual');
    expect(classifyCustomerMessage(text, AFTER)).toBe('ineffectual');
  });

  it.each(rows.closing)('[%s] %j is %s, and %s after a closing question', (_lang, text, elsewhere, after) => {
    expect(classifyCustomerMessage(text, ELSEWHERE)).toBe(elsewhere);
    expect(classifyCustomerMessage(text, AFTER)).toBe(after);
  });

  it.each(normal)('%j is normal in any context', (text) => {
    expect(classifyCustomerMessage(text, ELSEWHERE)).toBe('normal');
    expect(classifyCustomerMessage(text, AFTER)).toBe('normal');
  });

  it('keeps a message normal whenever courtesy comes with content, before or after it', () => {
    const courtesy = ['thanks', 'ok', 'no thanks', 'no', '👍', 'merci', 'nein danke'];
    const content = ['where is my order', 'it is broken', 'one more thing', 'mi pedido no llegó'];
    for (const c of courtesy) {
      for (const x of content) {
        for (const text of [`${c}, ${x}`, `${x}. ${c}`, `${c} ${x} ${c}`]) {
          expect([text, classifyCustomerMessage(text, AFTER)]).toEqual([text, 'normal']);
        }
      }
    }
  });

  it('classifies every built-in phrase as its list says', () => {
    for (const [lang, language] of Object.entries(defaultClassifierRules.languages)) {
      for (const phrase of language.ineffectual ?? []) {
        expect([lang, phrase, classifyCustomerMessage(phrase, ELSEWHERE)]).toEqual([lang, phrase, 'ineffectual']);
      }
      for (const phrase of language.negativeAnswer ?? []) {
        expect([lang, phrase, classifyCustomerMessage(phrase, AFTER)]).toEqual([lang, phrase, 'closing-answer']);
        // …and, with a courtesy after it, still closes.
        expect(classifyCustomerMessage(`${phrase}, thanks!`, AFTER)).toBe('closing-answer');
      }
      for (const phrase of language.closingQuestion ?? []) {
        expect([lang, phrase, isClosingQuestion(phrase)]).toEqual([lang, phrase, true]);
      }
    }
  });
});

describe('normalise', () => {
  it.each([
    ['  NO   THANKS!!! ', 'no thanks'],
    ['That’s all…', 'thats all'],
    ["D'accord", 'daccord'],
    ['Não, obrigado.', 'não obrigado'],
    ['thanks👍🏽', 'thanks 👍'],
    ['❤️‍🔥', '❤ 🔥'],
    ['ok :)', 'ok 🙂'],
    ['ok :(', 'ok 🙁'],
    ['Ｏｋ', 'ok'],
    ['ok\u200Bthanks', 'ok thanks'],
    ['no\u200Dthanks', 'nothanks'],
    ['¿Algo más?', 'algo más'],
    ['!!!', ''],
  ])('%j → %j', (text, expected) => {
    expect(normalise(text)).toBe(expected);
  });
});

describe('isClosingQuestion', () => {
  it.each([
    'Glad I could help! Anything else I can help you with today?',
    'Anything else?',
    'ANYTHING ELSE???',
    'Is there anything else I can help with',
    'anything else i can do for you 🙂',
    'Do you have any other questions?',
    '¿Puedo ayudarte con algo más?',
    '¿Algo más?',
    '¿Hay alguna otra cosa en la que pueda ayudarle?',
    '¿Necesitas algo mas?',
    'Puis-je vous aider avec autre chose ?',
    'Autre chose ?',
    'Avez-vous besoin d’autre chose ?',
    'Kann ich sonst noch etwas für Sie tun?',
    'Noch etwas?',
    'Gibt es noch etwas, das ich für Sie tun kann?',
    'Haben Sie noch Fragen?',
    'Posso ajudar com mais alguma coisa?',
    'Algo mais?',
    'Mais alguma dúvida?',
    'Done ✅ Anything else?',
  ])('%j is a closing question', (text) => {
    expect(isClosingQuestion(text)).toBe(true);
  });

  it.each([
    'I have refunded your order.',
    'Noch etwas Geduld bitte, ich prüfe das.',
    'Tardará algo más de lo esperado.',
    "C'est autre chose.",
    'Vai demorar algo mais.',
    'Anything elsewhere?',
    'Can you send me anything?',
    'Is everything ok?',
    'Anything',
    'else',
    '',
    '???',
  ])('%j is not a closing question', (text) => {
    expect(isClosingQuestion(text)).toBe(false);
  });

  it('is a phrase search: "anything else" in a statement counts too (a known limit, see docs)', () => {
    expect(isClosingQuestion("I couldn't find anything else on your account.")).toBe(true);
  });
});

describe('custom rules', () => {
  it('extends the defaults: a business adds "cheers" and "ta"', () => {
    const rules = classifierRulesSchema.parse({ languages: { en: { ineffectual: ['cheers', 'ta'] } } });
    expect(classifyCustomerMessage('cheers', ELSEWHERE)).toBe('normal');
    expect(classifyCustomerMessage('ta', ELSEWHERE)).toBe('normal');
    expect(classifyCustomerMessage('Cheers!', ELSEWHERE, rules)).toBe('ineffectual');
    expect(classifyCustomerMessage('ta', ELSEWHERE, rules)).toBe('ineffectual');
    expect(classifyCustomerMessage('cheers, ta 👍', ELSEWHERE, rules)).toBe('ineffectual');
    expect(classifyCustomerMessage('no thanks, cheers', AFTER, rules)).toBe('closing-answer');
    expect(classifyCustomerMessage('thanks', ELSEWHERE, rules)).toBe('ineffectual');
    expect(classifyCustomerMessage('merci', ELSEWHERE, rules)).toBe('ineffectual');
    expect(classifyCustomerMessage('ta, but where is my order', ELSEWHERE, rules)).toBe('normal');
  });

  it('replaces every language with replaceDefaults: a rule set with only German', () => {
    const rules = classifierRulesSchema.parse({
      replaceDefaults: true,
      languages: { de: { ineffectual: ['danke'], negativeAnswer: ['nein', 'nein danke'], closingQuestion: ['sonst noch'] } },
    });
    expect(classifyCustomerMessage('danke!', ELSEWHERE, rules)).toBe('ineffectual');
    expect(classifyCustomerMessage('Nein, danke', AFTER, rules)).toBe('closing-answer');
    expect(classifyCustomerMessage('thanks', ELSEWHERE, rules)).toBe('normal');
    expect(classifyCustomerMessage('👍', ELSEWHERE, rules)).toBe('normal');
    expect(classifyCustomerMessage('no thanks', AFTER, rules)).toBe('normal');
    expect(classifyCustomerMessage('vielen Dank', ELSEWHERE, rules)).toBe('normal');
    expect(isClosingQuestion('Anything else?', rules)).toBe(false);
    expect(isClosingQuestion('Kann ich sonst noch helfen?', rules)).toBe(true);
  });

  it('accepts a hand-built rule set (not parsed) with only some lists', () => {
    const rules: ClassifierRules = { replaceDefaults: true, languages: { de: { negativeAnswer: ['nein'] } } };
    expect(classifyCustomerMessage('nein', AFTER, rules)).toBe('closing-answer');
    expect(classifyCustomerMessage('danke', ELSEWHERE, rules)).toBe('normal');
    expect(isClosingQuestion('Sonst noch etwas?', rules)).toBe(false);
  });

  it('replaces one language with its own replaceDefaults, keeping the others', () => {
    const rules = classifierRulesSchema.parse({ languages: { en: { replaceDefaults: true, ineffectual: ['cheers'] } } });
    expect(classifyCustomerMessage('thanks', ELSEWHERE, rules)).toBe('normal');
    expect(classifyCustomerMessage('cheers', ELSEWHERE, rules)).toBe('ineffectual');
    expect(classifyCustomerMessage('merci', ELSEWHERE, rules)).toBe('ineffectual');
    expect(classifyCustomerMessage('nope', AFTER, rules)).toBe('normal');
    // Languages overlap: Spanish still lists "no".
    expect(classifyCustomerMessage('no', AFTER, rules)).toBe('closing-answer');
    expect(isClosingQuestion('Anything else?', rules)).toBe(false);
  });

  it('adds closing questions, with "?" meaning "followed by a question mark"', () => {
    const rules = classifierRulesSchema.parse({ languages: { en: { closingQuestion: ['what else?', 'more for you today'] } } });
    expect(isClosingQuestion('What else?', rules)).toBe(true);
    expect(isClosingQuestion('What else could it be, let me check.', rules)).toBe(false);
    expect(isClosingQuestion('Can I do more for you today', rules)).toBe(true);
    expect(isClosingQuestion('Anything else?', rules)).toBe(true);
    expect(isClosingQuestion('What else?')).toBe(false);
  });

  it('turns the classifier off with an empty rule set', () => {
    const rules = classifierRulesSchema.parse({ replaceDefaults: true });
    expect(classifyCustomerMessage('thanks', ELSEWHERE, rules)).toBe('normal');
    expect(classifyCustomerMessage('no thanks', AFTER, rules)).toBe('normal');
    expect(isClosingQuestion('Anything else?', rules)).toBe(false);
  });

  it('uses the built-in rules for {} and for a missing argument alike', () => {
    const empty = classifierRulesSchema.parse({});
    expect(empty).toEqual({ replaceDefaults: false, languages: {} });
    expect(effectiveClassifierRules(empty)).toEqual(effectiveClassifierRules(defaultClassifierRules));
    expect(classifyCustomerMessage('no thanks', AFTER, empty)).toBe('closing-answer');
  });
});

describe('classifierRulesSchema', () => {
  it('accepts the built-in rules, and parsing twice gives the same value', () => {
    const parsed = classifierRulesSchema.parse(defaultClassifierRules);
    expect(parsed).toEqual(defaultClassifierRules);
    const input = { languages: { en: { ineffectual: ['cheers'] }, 'pt-BR': { negativeAnswer: ['não, valeu'] } } };
    expect(classifierRulesSchema.parse(classifierRulesSchema.parse(input))).toEqual(classifierRulesSchema.parse(input));
  });

  it('has all five default languages, deeply frozen', () => {
    expect(Object.keys(defaultClassifierRules.languages).sort()).toEqual(['de', 'en', 'es', 'fr', 'pt']);
    expect(Object.isFrozen(defaultClassifierRules.languages.en?.ineffectual)).toBe(true);
  });

  it.each([
    ['a punctuation-only phrase', { languages: { en: { ineffectual: ['!!!'] } } }],
    ['an empty phrase', { languages: { en: { negativeAnswer: [''] } } }],
    ['a question in a customer list', { languages: { en: { ineffectual: ['ok?'] } } }],
    ['a lone question mark as closing question', { languages: { en: { closingQuestion: ['?'] } } }],
    ['an unknown list', { languages: { en: { ineffectuals: ['ok'] } } }],
    ['an unknown top-level key', { language: {} }],
    ['a bad language key', { languages: { 'en us': { ineffectual: ['ok'] } } }],
    ['a phrase that is not a string', { languages: { en: { ineffectual: [1] } } }],
    ['a list that is not an array', { languages: { en: { ineffectual: 'ok' } } }],
    ['a phrase over 200 characters', { languages: { en: { ineffectual: ['a'.repeat(201)] } } }],
    ['a non-boolean replaceDefaults', { replaceDefaults: 'yes' }],
  ])('rejects %s', (_what, input) => {
    expect(classifierRulesSchema.safeParse(input).success).toBe(false);
  });

  it('accepts a closing question that requires a question mark', () => {
    expect(classifierRulesSchema.safeParse({ languages: { fr: { closingQuestion: ['autre chose ?'] } } }).success).toBe(true);
  });
});

describe('robustness', () => {
  const odd = [
    '',
    ' ',
    '\n\t\r',
    '!!!???...',
    '\u200B\u200C\u200D\u2060\uFEFF',
    'شكرا',
    'لا، شكرا',
    'תודה',
    '\u202Eno thanks\u202C',
    '👨‍👩‍👧‍👦',
    '🏴󠁧󠁢󠁥󠁮󠁧󠁿',
    '\uD800',
    '\uDFFF no',
    'e\u0301\u0301\u0301',
    '\u0000ok\u0007',
    'x'.repeat(4096),
    'no '.repeat(1365),
    '👍'.repeat(2048),
    'thanks '.repeat(585),
    'a b '.repeat(1024),
  ];

  it.each(odd.map((text) => [text.slice(0, 40), text]))('never throws on %j', (_label, text) => {
    for (const context of [AFTER, ELSEWHERE]) {
      expect(['ineffectual', 'closing-answer', 'normal']).toContain(classifyCustomerMessage(text, context));
    }
    expect(typeof normalise(text)).toBe('string');
    expect(typeof isClosingQuestion(text)).toBe('boolean');
  });

  it('handles long courtesy-only messages consistently', () => {
    expect(classifyCustomerMessage('👍'.repeat(2048), ELSEWHERE)).toBe('ineffectual');
    expect(classifyCustomerMessage('thanks '.repeat(585), ELSEWHERE)).toBe('ineffectual');
    expect(classifyCustomerMessage(`${'thanks '.repeat(585)} why`, ELSEWHERE)).toBe('normal');
    expect(classifyCustomerMessage('no, '.repeat(1000), AFTER)).toBe('closing-answer');
  });

  it('does not throw on input that is not a string or a context that is missing', () => {
    const loose = classifyCustomerMessage as (text: unknown, context?: unknown) => MessageClass;
    expect(loose(undefined, AFTER)).toBe('normal');
    expect(loose(42, AFTER)).toBe('normal');
    expect(loose('thanks')).toBe('ineffectual');
    expect(loose('no', null)).toBe('normal');
    expect((isClosingQuestion as (text: unknown) => boolean)(null)).toBe(false);
  });

  it('returns a class for 2,000 random strings of odd characters', () => {
    const pool = [
      'a', 'o', 'k', 'n', ' ', ',', '!', '?', '.', "'", '’', '👍', '🏽', '\u200D', '\uFE0F', '\u200B', 'ß', 'é',
      '\u0301', 'ش', '\u202E', '\uD83D', ':', ')', '(', '<', '3', '^', 'no', 'thanks', '\n',
    ];
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      let text = '';
      const length = Math.floor(random() * 30);
      for (let j = 0; j < length; j++) text += pool[Math.floor(random() * pool.length)] ?? '';
      expect(['ineffectual', 'closing-answer', 'normal']).toContain(classifyCustomerMessage(text, { afterClosingQuestion: random() < 0.5 }));
      expect(typeof isClosingQuestion(text)).toBe('boolean');
    }
  });
});
