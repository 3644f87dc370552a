import { describe, expect, it } from 'vitest';
import { twilioChannel, twilioRoutes } from '../../../../shared/channels/twilio/channel.js';
import type { InboundMessage } from '../../../../shared/conversation/receive-message.js';
import { accountSid, codeOf, fixture, twilioDeps, twilioPost } from './twilio-requests.js';

/** The one customer message a signed fixture yields. */
async function messageOf(raw: Buffer | string, deps = twilioDeps()): Promise<InboundMessage> {
  const parsed = await twilioChannel.parseWebhook(deps, twilioPost(twilioRoutes.messages, raw));
  expect(parsed.ignored).toBe(0);
  expect(parsed.items).toHaveLength(1);
  const item = parsed.items[0]!;
  if (item.kind !== 'message') throw new Error(`expected a message, got ${item.kind}`);
  return item.message;
}

const mediaUrl = (messageSid: string, mediaSid: string) => `https://api.twilio.com/2010-04-01/Accounts/${accountSid}/Messages/${messageSid}/Media/${mediaSid}`;

describe('Twilio incoming messages', () => {
  it('an SMS: the sender as sent, the body decoded (+ is a space, %2B a plus), the configured queue', async () => {
    expect(await messageOf(fixture('sms-text.form'))).toEqual({
      channel: 'sms',
      provider: 'twilio',
      externalId: 'SM1b3f5a7c9e0d2f4a6b8c0e2d4f6a8b0c',
      from: '+14155550123',
      text: "Hi, my order #12345 hasn't arrived — can you help? 100% paid & confirmed + tracked",
      queue: 'default',
    });
  });

  it('goes to the queue the channel is configured with', async () => {
    const deps = twilioDeps({ twilio: { queue: 'billing' }, queues: { billing: {} } });
    expect((await messageOf(fixture('sms-text.form'), deps)).queue).toBe('billing');
  });

  it('an MMS with two media keeps both, with their types and kinds, in order', async () => {
    const message = await messageOf(fixture('mms-two-media.form'));
    expect(message).toMatchObject({ channel: 'sms', externalId: 'MM7c1e9a3b5d7f9e1c3a5b7d9f1e3c5a7b', text: 'Here are photos of the damaged box' });
    expect(message.media).toEqual([
      { url: mediaUrl('MM7c1e9a3b5d7f9e1c3a5b7d9f1e3c5a7b', 'ME000000000000000000000000000000a1'), contentType: 'image/jpeg', kind: 'image' },
      { url: mediaUrl('MM7c1e9a3b5d7f9e1c3a5b7d9f1e3c5a7b', 'ME000000000000000000000000000000a2'), contentType: 'video/mp4', kind: 'video' },
    ]);
  });

  it('a media-only message has empty text; a PDF is a document', async () => {
    const message = await messageOf(fixture('mms-media-only.form'));
    expect(message.text).toBe('');
    expect(message.media).toEqual([
      { url: mediaUrl('MM2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c', 'ME5f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e'), contentType: 'application/pdf', kind: 'document' },
    ]);
  });

  it('reads only the media NumMedia declares; audio is audio', async () => {
    const body = 'MessageSid=MM1&From=%2B1555&Body=&NumMedia=1&MediaUrl0=https%3A%2F%2Fm%2F0&MediaContentType0=audio%2Fogg&MediaUrl1=https%3A%2F%2Fm%2F1';
    expect((await messageOf(body)).media).toEqual([{ url: 'https://m/0', contentType: 'audio/ogg', kind: 'audio' }]);
  });

  it('WhatsApp: the channel from the whatsapp: prefix, kept in the customer id; ProfileName as the name', async () => {
    expect(await messageOf(fixture('whatsapp-text.form'))).toEqual({
      channel: 'whatsapp',
      provider: 'twilio',
      externalId: 'SMa4c6e8f0b2d4a6c8e0f2b4d6a8c0e2f4',
      from: 'whatsapp:+4915112345678',
      text: 'Hallo! Can I change my delivery address to Straße 5?',
      queue: 'default',
      name: 'Zoë Müller',
    });
  });

  it('a WhatsApp location without a Body becomes a line of text', async () => {
    const body = 'MessageSid=SM2&From=whatsapp%3A%2B4915112345678&Body=&NumMedia=0&MessageType=location&Latitude=52.520008&Longitude=13.404954&Label=Warehouse&Address=Alexanderplatz+1%2C+Berlin';
    expect((await messageOf(body)).text).toBe('Location: Warehouse, Alexanderplatz 1, Berlin (52.520008, 13.404954)');
  });

  it('STOP (any case, with spaces and punctuation around it) opts the customer out', async () => {
    const message = await messageOf(fixture('sms-stop.form'));
    expect(message).toMatchObject({ externalId: 'SM9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b', text: ' Stop. ', optOut: 'stop' });
  });

  it('START with OptOutType=START opts the customer back in', async () => {
    expect(await messageOf(fixture('sms-start.form'))).toMatchObject({ text: 'START', optOut: 'start' });
  });

  it('an ordinary message carries no opt-out', async () => {
    expect(await messageOf(fixture('sms-text.form'))).not.toHaveProperty('optOut');
  });

  it('refuses a message without MessageSid or From, or with neither text nor media', async () => {
    const refusal = (body: string) => codeOf(twilioChannel.parseWebhook(twilioDeps(), twilioPost(twilioRoutes.messages, body)));
    expect(await refusal('From=%2B1555&Body=hi&NumMedia=0')).toBe('invalid_request');
    expect(await refusal('MessageSid=&From=%2B1555&Body=hi')).toBe('invalid_request');
    expect(await refusal('MessageSid=SM1&Body=hi')).toBe('invalid_request');
    expect(await refusal('MessageSid=SM1&From=%2B1555&Body=&NumMedia=0')).toBe('invalid_request');
    expect(await refusal('MessageSid=SM1&From=%2B1555&Body=+++&NumMedia=0')).toBe('invalid_request');
    expect(await refusal('MessageSid=SM1&From=%2B1555&NumMedia=0')).toBe('invalid_request');
    // NumMedia says one, but no MediaUrl0 came: nothing to show.
    expect(await refusal('MessageSid=SM1&From=%2B1555&Body=&NumMedia=1')).toBe('invalid_request');
    expect(await refusal('MessageSid=SM1&From=%2B1555&Body=hi&NumMedia=two')).toBe('invalid_request');
    expect(await refusal('MessageSid=SM1&MessageSid=SM2&From=%2B1555&Body=hi')).toBe('invalid_request');
    expect(await refusal('MessageSid=SM1&From=%2B1555&Body=hi')).toBe('ok');
  });
});
