import type { ClassifierRules } from './rules.js';

/**
 * The built-in rule set of the message classifier (DESIGN §1 "Messages drive workflow", §4).
 * See docs/classifier.md for how phrases are matched and how a business extends or replaces them.
 *
 * Phrases are written naturally: matching normalises both the phrase and the message (case,
 * punctuation, apostrophes, emoji variation selectors and skin tones, accents on Latin letters), so
 * "that's all" also matches "Thats all!!" and "não" also matches "NAO". A customer message matches
 * only when it consists ENTIRELY of listed phrases, so short words are safe here.
 *
 * - `ineffectual`: courtesy with no request; it never makes a conversation actionable.
 * - `negativeAnswer`: after a closing question, closes the conversation (alone or together with
 *   `ineffectual` phrases: "no thanks, that's all 🙂"). Farewells are in both lists: after a closing
 *   question "thanks, bye!" closes; elsewhere "bye" is just courtesy.
 * - `closingQuestion`: found anywhere in an agent's message (word-bounded). A trailing "?" means
 *   "only when a question mark follows": "noch etwas?" matches "Noch etwas?" but not "noch etwas
 *   Geduld bitte", so bare short forms that are common in other sentences stay safe.
 *
 * This object is a complete rule set (`replaceDefaults: true`) and is deeply frozen.
 */

const positiveEmoji = [
  '👍', '👌', '🙏', '❤️', '♥️', '💙', '💚', '💛', '💜', '🧡', '🖤', '🤍', '💕', '💖', '💗',
  '😊', '🙂', '☺️', '😀', '😃', '😄', '😁', '😉', '🤗', '🥰', '😍', '😘', '😎', '👏', '🙌',
  '💯', '✅', '✔️', '✌️', '🤝', '💪', '🎉', '🌟', '⭐', '✨', '🌹', '💐', '👋',
];

const farewells = {
  en: ['bye', 'bye bye', 'goodbye', 'good bye', 'see you', 'have a nice day', 'have a good day', 'have a great day',
    'have a nice evening', 'have a good one', 'take care'],
  es: ['adiós', 'chao', 'chau', 'hasta luego', 'hasta pronto', 'que tengas buen día', 'que tenga buen día',
  ],
  fr: ['au revoir', 'bonne journée', 'bonne soirée', 'bonne fin de journée', 'à bientôt', 'à plus'],
  de: ['tschüss', 'tschüs', 'auf wiedersehen', 'bis dann', 'bis bald', 'schönen tag', 'schönen tag noch',
    'einen schönen tag noch', 'schönes wochenende'],
  pt: ['tchau', 'até logo', 'até mais', 'até breve', 'tenha um bom dia', 'um abraço', 'abraço'],
};

const rules = {
  replaceDefaults: true,
  languages: {
    en: {
      ineffectual: [
        'thanks', 'thank you', 'thank u', 'thankyou', 'thanks you', 'thanx', 'thnx', 'thnks', 'thks', 'thx', 'ty',
        'tysm', 'tyvm', 'thank you so much', 'thanks so much', 'thank you very much', 'thanks very much',
        'thanks a lot', 'thanks a million', 'thanks a bunch', 'many thanks', 'thanks again', 'thank you again',
        'thanks for your help', 'thank you for your help', 'thanks for the help', 'thank you for the help',
        'thanks for helping', 'thank you for helping', 'much appreciated', 'appreciated', 'appreciate it',
        'i appreciate it', 'really appreciate it', 'ok', 'okay', 'okey', 'oki', 'okie', 'okok', 'k', 'kk',
        'alright', 'all right', 'great', 'cool', 'perfect', 'awesome', 'nice', 'excellent', 'wonderful',
        'fantastic', 'brilliant', 'amazing', 'lovely', 'got it', 'gotcha', 'noted', 'understood', 'sounds good',
        'sounds great', 'sounds perfect', 'no worries', 'no problem', 'np', 'you too', 'same to you',
        ...farewells.en, ...positiveEmoji,
      ],
      negativeAnswer: [
        'no', 'nope', 'nah', 'no thanks', 'no thank you', 'no thank u', 'no thx', 'no ty', 'nope thanks',
        'nah thanks', "that's all", 'that is all', "that's it", 'that is it', "that's everything",
        "that's all for now", "that's all i needed", "that'll be all", 'that will be all', 'that would be all',
        'nothing else', 'nothing more', 'nothing else for now', 'nothing', 'no more', 'not really', 'all good',
        "i'm good", 'i am good', "i'm fine", 'i am fine', "i'm all set", 'all set', 'all done', "we're good",
        // A one-word answer is followed directly (without punctuation) only by a listed combination:
        "no that's all", "no that's it", 'no that will be all', 'no nothing else', 'no all good', "no i'm good",
        "nope that's all", "nope that's it", 'nope nothing else', 'nope all good', "nope i'm good",
        "nah that's all", 'nah all good', "nah i'm good",
        ...farewells.en,
      ],
      closingQuestion: [
        'anything else', 'is there anything else', 'is there anything else i can help', 'can i help with anything else',
        'something else i can help', 'any other questions', 'any other question', 'any further questions',
        'anything more i can', 'anything further i can', 'can i do anything else',
      ],
    },
    es: {
      ineffectual: [
        'gracias', 'muchas gracias', 'mil gracias', 'muchísimas gracias', 'gracias de nuevo', 'gracias otra vez',
        'gracias por tu ayuda', 'gracias por su ayuda', 'gracias por la ayuda', 'te lo agradezco',
        'se lo agradezco', 'te agradezco', 'se agradece', 'vale', 'ok', 'okey', 'oki', 'perfecto',
        'perfecta', 'genial', 'excelente', 'estupendo', 'bien', 'muy bien', 'de acuerdo', 'entendido', 'listo',
        'ok gracias', 'vale gracias', 'de nada', ...farewells.es, ...positiveEmoji,
      ],
      negativeAnswer: [
        'no', 'nop', 'no gracias', 'no muchas gracias', 'no mil gracias', 'nada más', 'nada', 'eso es todo',
        'es todo', 'eso sería todo', 'sería todo', 'eso era todo', 'ya está', 'ya es todo', 'todo bien',
        'estoy bien', 'ninguna', 'ninguna otra',
        // Combinations after a bare "no" ("no es todo" means "that's not all", so it is NOT listed):
        'no nada', 'no nada más', 'no eso es todo', 'no eso sería todo', 'no estoy bien',
        ...farewells.es,
      ],
      closingQuestion: [
        'algo más?', 'en algo más', 'con algo más', 'algo más en que', 'algo más en lo que', 'algo más que pueda',
        'necesita algo más', 'necesitas algo más', 'alguna otra cosa', 'otra cosa en la que', 'otra cosa en que',
        'alguna otra consulta', 'alguna otra pregunta', 'alguna otra duda', 'alguna duda más',
      ],
    },
    fr: {
      ineffectual: [
        'merci', 'merci beaucoup', 'merci bien', 'mille mercis', 'merci mille fois', 'merci encore',
        'encore merci', 'merci pour votre aide', 'merci pour ton aide', "merci pour l'aide", 'je vous remercie',
        'je te remercie', 'ok', 'okay', "d'accord", 'dac', 'ok merci', "d'accord merci", 'super', 'super merci',
        'parfait', 'génial', 'très bien', 'top', 'nickel', 'cool', 'excellent', 'entendu', 'compris', 'noté',
        "c'est noté", 'ça marche', 'pas de souci', 'pas de problème', ...farewells.fr,
        ...positiveEmoji,
      ],
      negativeAnswer: [
        'non', 'non merci', 'non merci beaucoup', "rien d'autre", 'rien de plus', 'rien', "c'est tout",
        'ce sera tout', 'ça sera tout', "c'est tout pour moi", "c'est bon", 'tout est bon', 'ça ira',
        'ça va merci',
        "non c'est tout", "non rien d'autre", "non c'est bon", 'non ça ira', 'non ce sera tout',
        ...farewells.fr,
      ],
      closingQuestion: [
        'autre chose?', 'avec autre chose', 'pour autre chose', "besoin d'autre chose", 'autre chose pour vous',
        'autre chose pour toi', 'autre chose que je', 'y a-t-il autre chose', 'puis-je vous aider avec autre chose',
        "d'autres questions", 'une autre question', 'autre question',
      ],
    },
    de: {
      ineffectual: [
        'danke', 'danke schön', 'dankeschön', 'danke sehr', 'vielen dank', 'vielen lieben dank', 'herzlichen dank',
        'besten dank', 'tausend dank', 'danke vielmals', 'danke für die hilfe', 'danke für ihre hilfe',
        'danke für deine hilfe', 'ok', 'okay', 'ok danke', 'alles klar', 'alles klar danke', 'super', 'super danke',
        'prima', 'toll', 'klasse', 'perfekt', 'gut', 'sehr gut', 'verstanden', 'in ordnung', 'passt', 'geht klar',
        'cool', 'top', ...farewells.de, ...positiveEmoji,
      ],
      negativeAnswer: [
        'nein', 'nö', 'nee', 'nein danke', 'nein vielen dank', 'nichts weiter', 'nichts mehr', 'sonst nichts',
        'nichts', "das war's", 'das war es', 'das wäre alles', 'das ist alles', 'das war alles', 'alles gut',
        'alles erledigt', 'passt so',
        "nein das war's", 'nein das ist alles', 'nein das wäre alles', 'nein alles gut', 'nein nichts weiter',
        'nein sonst nichts', 'nö alles gut',
        ...farewells.de,
      ],
      closingQuestion: [
        'sonst noch', 'kann ich sonst', 'noch etwas?', 'kann ich noch etwas', 'gibt es noch etwas',
        'noch etwas für sie tun', 'noch etwas für dich tun', 'noch weitere fragen', 'noch fragen?',
        'weitere fragen?',
      ],
    },
    pt: {
      ineffectual: [
        'obrigado', 'obrigada', 'muito obrigado', 'muito obrigada', 'obrigadão', 'obg', 'brigado', 'brigada',
        'valeu', 'obrigado pela ajuda', 'obrigada pela ajuda', 'agradeço', 'ok', 'okay', 'beleza', 'blz',
        'perfeito', 'ótimo', 'show', 'legal', 'entendi', 'certo', 'tá bom', 'está bem', 'combinado', 'tudo bem',
        'ok obrigado', 'ok obrigada', 'de nada', ...farewells.pt, ...positiveEmoji,
      ],
      negativeAnswer: [
        'não', 'não obrigado', 'não obrigada', 'não muito obrigado', 'não muito obrigada', 'não valeu',
        'nada mais', 'nada', 'é só isso', 'só isso', 'era só isso', 'é isso', 'tudo certo', 'tudo bem',
        'está tudo bem',
        // After a bare "não" ("não é isso" / "não é só isso" negate, so they are NOT listed):
        'não nada mais', 'não obrigado é só isso', 'não obrigada é só isso',
        ...farewells.pt,
      ],
      closingQuestion: [
        'mais alguma coisa', 'algo mais?', 'algo mais em que', 'em algo mais', 'com algo mais', 'mais alguma dúvida',
        'mais alguma pergunta', 'alguma outra dúvida', 'outra dúvida?',
      ],
    },
  },
} satisfies ClassifierRules;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The built-in, multilingual rule set; used whenever no rules are given. */
export const defaultClassifierRules: ClassifierRules = deepFreeze(rules);
