import { describe, expect, it } from 'vitest';
import type { WebhookItem } from '../../../../shared/channels/channel.js';
import { metaChannel } from '../../../../shared/channels/meta/channel.js';
import { fixture, metaDeps, metaPost } from './meta-requests.js';

const parse = (raw: Buffer | string, deps = metaDeps()) => metaChannel.parseWebhook(deps, metaPost(raw));
const messages = (items: WebhookItem[]) => items.flatMap((i) => (i.kind === 'message' ? [i.message] : []));
const reports = (items: WebhookItem[]) => items.flatMap((i) => (i.kind === 'status' ? [i.report] : []));
/** One WhatsApp `messages` change around `value`, for the cases no fixture covers. */
const change = (value: Record<string, unknown>) =>
  JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', ...value } }] }] });

describe('WhatsApp Cloud API messages', () => {
  it('a text message: the customer is `from`, the name from contacts, the text decoded from Meta\'s escapes', async () => {
    const parsed = await parse(fixture('whatsapp-text.json'));
    expect(parsed.reply).toEqual({ statusCode: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' });
    expect(parsed.ignored).toBe(0);
    expect(parsed.items).toEqual([
      {
        kind: 'message',
        message: {
          channel: 'whatsapp',
          provider: 'meta',
          externalId: 'wamid.HBgNNDkxNTExMjM0NTY3OBUCABIYFjNFQjBDMEI3QkEwN0M0NTZFRUY0AA==',
          from: '4915112345678',
          name: 'Jörg Müller',
          text: 'Grüße! Wo ist meine Bestellung? 📦',
          queue: 'default',
        },
      },
    ]);
  });

  it('goes to the configured queue', async () => {
    const deps = metaDeps({ meta: { queue: 'support' }, queues: { support: {} } });
    expect(messages((await parse(fixture('whatsapp-text.json'), deps)).items)[0]!.queue).toBe('support');
  });

  it('an image keeps Meta\'s media id and MIME type, and the caption as text', async () => {
    const [message] = messages((await parse(fixture('whatsapp-image.json'))).items);
    expect(message).toMatchObject({
      from: '16505551234',
      name: 'Sheena Nelson',
      text: 'The box arrived like this',
      media: [{ providerMediaId: '1003383421387256', contentType: 'image/jpeg', kind: 'image' }],
    });
  });

  it('audio, video, document and sticker without caption are media with empty text', async () => {
    const raw = change({
      contacts: [{ profile: { name: 'S' }, wa_id: '1' }],
      messages: [
        { from: '1', id: 'wamid.a', type: 'audio', audio: { id: 'A1', mime_type: 'audio/ogg; codecs=opus', voice: true } },
        { from: '1', id: 'wamid.v', type: 'video', video: { id: 'V1', mime_type: 'video/mp4' } },
        { from: '1', id: 'wamid.d', type: 'document', document: { id: 'D1', mime_type: 'application/pdf', filename: 'invoice.pdf' } },
        { from: '1', id: 'wamid.s', type: 'sticker', sticker: { id: 'S1', mime_type: 'image/webp', animated: false } },
        { from: '1', id: 'wamid.x', type: 'image', image: { mime_type: 'image/jpeg' } },
      ],
    });
    const parsed = await parse(raw);
    expect(messages(parsed.items).map((m) => [m.text, m.media])).toEqual([
      ['', [{ providerMediaId: 'A1', contentType: 'audio/ogg; codecs=opus', kind: 'audio' }]],
      ['', [{ providerMediaId: 'V1', contentType: 'video/mp4', kind: 'video' }]],
      ['', [{ providerMediaId: 'D1', contentType: 'application/pdf', kind: 'document' }]],
      ['', [{ providerMediaId: 'S1', contentType: 'image/webp', kind: 'sticker' }]],
    ]);
    // An image without its media id is unusable.
    expect(parsed.ignored).toBe(1);
  });

  it('interactive replies are the tapped button\'s or list row\'s title', async () => {
    expect(messages((await parse(fixture('whatsapp-button-reply.json'))).items)[0]).toMatchObject({ text: 'Cancel my order', externalId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUI0QjlFMjFGRjNEQzlGQzk3NQA=' });
    expect(messages((await parse(fixture('whatsapp-list-reply.json'))).items)[0]).toMatchObject({ text: 'Express delivery' });
  });

  it('a template quick-reply button is its text', async () => {
    expect(messages((await parse(fixture('whatsapp-template-button.json'))).items)[0]).toMatchObject({ text: 'Reschedule delivery' });
  });

  it('a reaction is stored as its emoji and is ineffectual; a removed reaction has empty text', async () => {
    const parsed = await parse(fixture('whatsapp-reaction.json'));
    expect(parsed.ignored).toBe(0);
    expect(messages(parsed.items).map((m) => [m.text, m.ineffectual])).toEqual([
      ['👍', true],
      ['', true],
    ]);
  });

  it('a location is a line of text', async () => {
    expect(messages((await parse(fixture('whatsapp-location.json'))).items)[0]!.text).toBe(
      'Location: Main Office, 1 Hacker Way, Menlo Park, CA 94025 (37.483307, -122.148981)',
    );
    const bare = change({ messages: [{ from: '1', id: 'wamid.l', type: 'location', location: { latitude: 52.52, longitude: 13.405 } }] });
    expect(messages((await parse(bare)).items)[0]!.text).toBe('Location: (52.52, 13.405)');
  });

  it('shared contacts are a line of text', async () => {
    expect(messages((await parse(fixture('whatsapp-contacts.json'))).items)[0]!.text).toBe(
      'Contact: Barbara J. Johnson (+1 (940) 555-1234, +1 (650) 555-1234)',
    );
  });

  it('keys a customer whose number Meta withholds by the business-scoped user id', async () => {
    const parsed = await parse(fixture('whatsapp-bsuid.json'));
    expect(messages(parsed.items)).toEqual([expect.objectContaining({ from: 'US.13491208655302741918', name: 'Pablo', text: 'Hola, ¿está abierto?' })]);
    const onMessage = change({
      contacts: [{ profile: { name: 'A' }, user_id: 'US.1' }, { profile: { name: 'B' }, user_id: 'US.2' }],
      messages: [{ user_id: 'US.2', id: 'wamid.u', type: 'text', text: { body: 'hi' } }, { id: 'wamid.nobody', type: 'text', text: { body: 'who?' } }],
    });
    const both = await parse(onMessage);
    expect(messages(both.items)).toEqual([expect.objectContaining({ from: 'US.2', name: 'B' })]);
    // Two contacts and no id on the message: nobody to key it by.
    expect(both.ignored).toBe(1);
  });

  it('takes `from` as Meta sends it, phone number or not', async () => {
    const raw = change({ contacts: [{ profile: { name: 'N' }, wa_id: 'not-a-phone', user_id: 'US.9' }], messages: [{ from: 'not-a-phone', id: 'wamid.n', type: 'text', text: { body: 'x' } }] });
    expect(messages((await parse(raw)).items)[0]).toMatchObject({ from: 'not-a-phone', name: 'N' });
  });

  it('a batch: several customers and statuses; the malformed and unsupported items are counted, the others kept', async () => {
    const parsed = await parse(fixture('whatsapp-batch.json'));
    expect(messages(parsed.items).map((m) => [m.externalId, m.from, m.name, m.text])).toEqual([
      ['wamid.batch-joerg-1', '4915112345678', 'Jörg', 'Hallo'],
      ['wamid.batch-ana-1', '5511987654321', 'Ana', 'Olá, preciso de ajuda'],
      ['wamid.batch-joerg-2', '4915112345678', 'Jörg', 'Noch da?'],
      ['wamid.batch-li-1', '8613800000003', 'Li Wei', '你好'],
    ]);
    expect(reports(parsed.items)).toEqual([{ providerMessageId: 'wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjdCMzE0OUI3RUM5OTZFRDhFNAA=', messageId: 'mo_reply-1', status: 'delivered' }]);
    // The unsupported message, the message without id, the status without status, the
    // template-status change and the entry that is not an object.
    expect(parsed.ignored).toBe(5);
  });

  it('statuses: Tide\'s id from biz_opaque_callback_data, a failure with Meta\'s code and title, unknown statuses ignored', async () => {
    const parsed = await parse(fixture('whatsapp-statuses.json'));
    expect(messages(parsed.items)).toEqual([]);
    expect(reports(parsed.items)).toEqual([
      { providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3RkQ2QzFGODA0MjgzNzc0QTQA', messageId: 'mo_7Hq2xLw9', status: 'sent' },
      { providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3RkQ2QzFGODA0MjgzNzc0QTQA', messageId: 'mo_7Hq2xLw9', status: 'delivered' },
      { providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA', status: 'read' },
      {
        providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCMzA5MjFGMjc2RDM1M0UyOTMA',
        messageId: 'mo_Kp3vR8sT',
        status: 'failed',
        error: { code: '131047', message: 'Re-engagement message' },
      },
    ]);
    expect(parsed.ignored).toBe(1);
  });

  it('a failed status without a title uses the message; without errors it carries none', async () => {
    const raw = change({
      statuses: [
        { id: 'wamid.f1', status: 'failed', errors: [{ code: 131026, message: 'Message undeliverable' }] },
        { id: 'wamid.f2', status: 'failed' },
      ],
    });
    expect(reports((await parse(raw)).items)).toEqual([
      { providerMessageId: 'wamid.f1', status: 'failed', error: { code: '131026', message: 'Message undeliverable' } },
      { providerMessageId: 'wamid.f2', status: 'failed' },
    ]);
  });

  it('ignores unknown types, system messages, blank texts and changes of other fields', async () => {
    const raw = change({
      messages: [
        { from: '1', id: 'wamid.o', type: 'order', order: { catalog_id: 'c', product_items: [] } },
        { from: '1', id: 'wamid.sys', type: 'system', system: { body: 'changed number', type: 'customer_changed_number' } },
        { from: '1', id: 'wamid.blank', type: 'text', text: { body: '   ' } },
        { from: '1', id: 'wamid.nfm', type: 'interactive', interactive: { type: 'nfm_reply', nfm_reply: { response_json: '{}' } } },
        { from: '1', id: 'wamid.proto', type: 'constructor' },
      ],
    });
    const parsed = await parse(raw);
    expect(parsed.items).toEqual([]);
    expect(parsed.ignored).toBe(5);
  });
});
