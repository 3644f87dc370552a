import { describe, expect, it } from 'vitest';
import { field, formParams } from '../../../../shared/channels/twilio/form-params.js';
import { optOutOf } from '../../../../shared/channels/twilio/opt-out.js';

describe('opt-out keywords', () => {
  it('the stop keywords, in any case, with spaces and punctuation around them', () => {
    for (const body of ['STOP', 'stop', 'Stop!', '  stop.  ', 'STOPALL', 'Unsubscribe', 'cancel', 'END', 'quit', '"Stop"', '¡stop!', 'STOP\n']) {
      expect(optOutOf(body, undefined)).toBe('stop');
    }
  });

  it('the start keywords', () => {
    for (const body of ['START', 'start', 'Unstop', 'yes', 'Yes!']) expect(optOutOf(body, undefined)).toBe('start');
  });

  it('only the whole message counts', () => {
    for (const body of ['Stop please', 'cancel my order', 'please stop', 'S T O P', 'stopp', 'HELP', 'yes please', '', 'end.of.story']) {
      expect(optOutOf(body, undefined)).toBeUndefined();
    }
  });

  it("Twilio's OptOutType decides when present (a business's own keywords); HELP is neither", () => {
    expect(optOutOf('ARRET', 'STOP')).toBe('stop');
    expect(optOutOf('REPRENDRE', 'START')).toBe('start');
    expect(optOutOf('HELP', 'HELP')).toBeUndefined();
    expect(optOutOf('stop', 'HELP')).toBe('stop');
  });
});

describe('form fields', () => {
  it('decodes + as a space and percent escapes, keeps empty and repeated fields', () => {
    const params = formParams(Buffer.from('Body=It%27s+50%25+off+%2B+free&From=%2B1555&Empty=&Tag=b&Tag=a&Tag=b&Name=Zo%C3%AB'));
    expect(params).toEqual({ Body: "It's 50% off + free", From: '+1555', Empty: '', Tag: ['b', 'a', 'b'], Name: 'Zoë' });
  });

  it('a field named __proto__ is a field, not a prototype', () => {
    const params = formParams(Buffer.from('__proto__=x&constructor=y'));
    expect(Object.keys(params)).toEqual(['__proto__', 'constructor']);
    expect(field(params, '__proto__')).toBe('x');
    expect(field(params, 'toString')).toBeUndefined();
  });

  it('a repeated field Tide reads is refused', () => {
    expect(() => field(formParams(Buffer.from('MessageSid=a&MessageSid=b')), 'MessageSid')).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
