import { describe, expect, it } from 'vitest';
import { metaChannel } from '../../../../shared/channels/meta/channel.js';
import { fixture, metaDeps, metaPost } from './meta-requests.js';

const parse = (raw: Buffer | string) => metaChannel.parseWebhook(metaDeps(), metaPost(raw));
const page = (messaging: unknown[], extra: Record<string, unknown> = {}) => JSON.stringify({ object: 'page', entry: [{ id: 'PAGE', time: 1, messaging, ...extra }] });

describe('Messenger', () => {
  it('a text message: the customer is sender.id, the id message.mid, the text decoded', async () => {
    const parsed = await parse(fixture('messenger-text.json'));
    expect(parsed).toEqual({
      items: [
        {
          kind: 'message',
          message: {
            channel: 'messenger',
            provider: 'meta',
            externalId: 'm_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P',
            from: '6942043587196547',
            text: 'Est-ce que la boutique est ouverte le dimanche ? Ça m’arrangerait.',
            queue: 'default',
          },
        },
      ],
      ignored: 0,
      reply: { statusCode: 200, contentType: 'text/plain', body: 'EVENT_RECEIVED' },
    });
  });

  it('a quick reply keeps the text of the tapped button', async () => {
    expect((await parse(fixture('messenger-quick-reply.json'))).items).toEqual([
      expect.objectContaining({ message: expect.objectContaining({ externalId: 'm_quick-reply-1', text: 'Track my order' }) }),
    ]);
  });

  it('attachments with a URL are media; one without a URL is left out', async () => {
    const parsed = await parse(fixture('messenger-attachment.json'));
    expect(parsed.ignored).toBe(0);
    expect(parsed.items).toEqual([
      {
        kind: 'message',
        message: {
          channel: 'messenger',
          provider: 'meta',
          externalId: 'm_attachment-1',
          from: '6942043587196547',
          text: '',
          queue: 'default',
          media: [
            { url: 'https://scontent.xx.fbcdn.net/v/t1.15752-9/448573112_1_n.jpg?_nc_cat=1&oh=00_AYB&oe=6693A1B2', kind: 'image' },
            { url: 'https://cdn.fbsbx.com/v/t59.2708-21/invoice-4711.pdf?_nc_cat=2&oh=00_AYC', kind: 'file' },
          ],
        },
      },
    ]);
  });

  it('an echo of the page\'s own message is ignored', async () => {
    expect(await parse(fixture('messenger-echo.json'))).toMatchObject({ items: [], ignored: 1 });
  });

  it('a delivery is a status per mid; one without mids is ignored', async () => {
    const parsed = await parse(fixture('messenger-delivery.json'));
    expect(parsed.items).toEqual([
      { kind: 'status', report: { providerMessageId: 'm_reply-1', status: 'delivered' } },
      { kind: 'status', report: { providerMessageId: 'm_reply-2', status: 'delivered' } },
    ]);
    expect(parsed.ignored).toBe(1);
  });

  it('a read naming its mid is a status; a watermark-only read is read-up-to for the customer; a postback is ignored', async () => {
    const parsed = await parse(fixture('messenger-read.json'));
    expect(parsed.items).toEqual([
      { kind: 'read-up-to', watermark: { channel: 'messenger', customerId: '6942043587196547', upTo: new Date(1750264299000).toISOString() } },
      { kind: 'status', report: { providerMessageId: 'm_reply-2', status: 'read' } },
    ]);
    expect(parsed.ignored).toBe(1);
  });

  it('takes each event on its own: malformed, deleted and sender-less messages never cost the others', async () => {
    const raw = page([
      { sender: { id: 'P1' }, message: { mid: 'm_ok-1', text: 'first' } },
      { sender: { id: 'P1' }, message: { text: 'no mid' } },
      { message: { mid: 'm_no-sender', text: 'who?' } },
      { sender: { id: 'P2' }, message: { mid: 'm_deleted', is_deleted: true } },
      { sender: { id: 'P2' }, message: { mid: 'm_empty' } },
      'not an event',
      { sender: { id: 'P2' }, message: { mid: 'm_ok-2', text: 'second' } },
    ]);
    const parsed = await parse(raw);
    expect(parsed.items.map((i) => (i.kind === 'message' ? [i.message.from, i.message.externalId] : i.kind))).toEqual([
      ['P1', 'm_ok-1'],
      ['P2', 'm_ok-2'],
    ]);
    expect(parsed.ignored).toBe(5);
  });

  it('counts standby events (another app holds the thread) and entries without events', async () => {
    const raw = JSON.stringify({
      object: 'page',
      entry: [
        { id: 'PAGE', time: 1, standby: [{ sender: { id: 'P1' }, message: { mid: 'm_standby', text: 'hi' } }] },
        { id: 'PAGE', time: 1, changes: [{ field: 'feed', value: {} }] },
      ],
    });
    expect(await parse(raw)).toMatchObject({ items: [], ignored: 2 });
  });
});

describe('Instagram', () => {
  it('messages and media are customer messages on the instagram channel; messaging_seen with a mid is a read', async () => {
    const parsed = await parse(fixture('instagram-message.json'));
    expect(parsed.ignored).toBe(0);
    expect(parsed.items).toEqual([
      {
        kind: 'message',
        message: {
          channel: 'instagram',
          provider: 'meta',
          externalId: 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDA4NDYwMDU2OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTE0NTA4MjI0NjQ1Nzc2OTozMTUzNTkwNjQ3MDQwMjQ4NzI5OTIyNDY0NzMyMDg5NDU5MgZDZD',
          from: '1238412347124129',
          text: 'Love the new colours ❤️ Is the blue one in stock?',
          queue: 'default',
        },
      },
      {
        kind: 'message',
        message: expect.objectContaining({
          channel: 'instagram',
          text: '',
          media: [{ url: 'https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=18012345678901234&signature=AbCdEf', kind: 'image' }],
        }),
      },
      {
        kind: 'status',
        report: {
          providerMessageId: 'aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAwMDA4NDYwMDU2OjM0MDI4MjM2Njg0MTcxMDMwMTI0NDI1OTE0NTA4MjI0NjQ1Nzc2OTozMTUzNTkwNjQ3MDQwMjQ4NzI5OTIyNDY0NzMyMDg5NDU5NAZDZD',
          status: 'read',
        },
      },
    ]);
  });

  it('an echo (Instagram sends them on the messages field) is ignored', async () => {
    expect(await parse(fixture('instagram-echo.json'))).toMatchObject({ items: [], ignored: 1 });
  });

  it('a read with a mid is a status', async () => {
    const raw = JSON.stringify({ object: 'instagram', entry: [{ id: 'IG', time: 1, messaging: [{ sender: { id: 'I1' }, read: { mid: 'ig_mid_1' } }] }] });
    expect((await parse(raw)).items).toEqual([{ kind: 'status', report: { providerMessageId: 'ig_mid_1', status: 'read' } }]);
  });
});
