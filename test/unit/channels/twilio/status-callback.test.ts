import { describe, expect, it } from 'vitest';
import type { ParsedWebhook } from '../../../../shared/channels/channel.js';
import { twilioChannel, twilioRoutes } from '../../../../shared/channels/twilio/channel.js';
import { codeOf, fixture, twilioDeps, twilioPost } from './twilio-requests.js';

const outboundSid = 'SM3f5b7d9a1c3e5f7b9d1a3c5e7f9b1d3a';
const emptyTwiml = { statusCode: 200, contentType: 'text/xml', body: '<?xml version="1.0" encoding="UTF-8"?><Response/>' };

/** A status callback to the URL Tide's send set: `?tideMessageId=…`, signed with that query. */
const callback = (raw: Buffer | string, query = 'tideMessageId=mo_4Zx81'): Promise<ParsedWebhook> =>
  twilioChannel.parseWebhook(twilioDeps(), twilioPost(twilioRoutes.status, raw, { query }));

const form = (fields: Record<string, string>) => new URLSearchParams({ MessageSid: outboundSid, ...fields }).toString();

describe('Twilio status callbacks', () => {
  it('sent: Tide\'s id from the query, Twilio\'s from MessageSid; answered with empty TwiML', async () => {
    expect(await callback(fixture('status-sent.form'))).toEqual({
      items: [{ kind: 'status', report: { messageId: 'mo_4Zx81', providerMessageId: outboundSid, status: 'sent' } }],
      ignored: 0,
      reply: emptyTwiml,
    });
  });

  it('delivered', async () => {
    expect((await callback(fixture('status-delivered.form'))).items).toEqual([
      { kind: 'status', report: { messageId: 'mo_4Zx81', providerMessageId: outboundSid, status: 'delivered' } },
    ]);
  });

  it('undelivered with ErrorCode 30006 fails the message with that code and a readable cause', async () => {
    expect((await callback(fixture('status-undelivered.form'))).items).toEqual([
      {
        kind: 'status',
        report: { messageId: 'mo_4Zx81', providerMessageId: outboundSid, status: 'failed', error: { code: '30006', message: 'a landline, or a carrier that cannot take the message' } },
      },
    ]);
  });

  it('queued says nothing new: no item, one ignored, still 200', async () => {
    expect(await callback(fixture('status-queued.form'))).toEqual({ items: [], ignored: 1, reply: emptyTwiml });
    for (const status of ['accepted', 'scheduled', 'sending', 'receiving', 'received', 'partially_delivered', 'something_new']) {
      expect(await callback(form({ MessageStatus: status }))).toMatchObject({ items: [], ignored: 1 });
    }
  });

  it('read (WhatsApp)', async () => {
    expect((await callback(form({ MessageStatus: 'read' }))).items).toEqual([{ kind: 'status', report: { messageId: 'mo_4Zx81', providerMessageId: outboundSid, status: 'read' } }]);
  });

  it('failed and canceled fail the message; Twilio\'s ErrorMessage wins, the status stands in for a missing code', async () => {
    const reportOf = async (fields: Record<string, string>) => ((await callback(form(fields))).items[0] as { report: unknown }).report;
    expect(await reportOf({ MessageStatus: 'failed', ErrorCode: '63016', ErrorMessage: 'Outside the allowed window' })).toMatchObject({
      status: 'failed',
      error: { code: '63016', message: 'Outside the allowed window' },
    });
    expect(await reportOf({ MessageStatus: 'failed', ErrorCode: '63016', ErrorMessage: '' })).toMatchObject({ error: { code: '63016', message: expect.stringContaining('WhatsApp') } });
    expect(await reportOf({ MessageStatus: 'undelivered' })).toMatchObject({ status: 'failed', error: { code: 'undelivered', message: 'Twilio reported the message undelivered' } });
    expect(await reportOf({ MessageStatus: 'failed', ErrorCode: '12345' })).toMatchObject({ error: { code: '12345', message: 'Twilio reported the message failed' } });
    expect(await reportOf({ MessageStatus: 'canceled' })).toMatchObject({ status: 'failed', error: { code: 'canceled' } });
  });

  it('without tideMessageId in the query, the report names only Twilio\'s id', async () => {
    expect((await callback(fixture('status-delivered.form'), '')).items).toEqual([{ kind: 'status', report: { providerMessageId: outboundSid, status: 'delivered' } }]);
    expect((await callback(fixture('status-delivered.form'), 'other=1')).items).toEqual([{ kind: 'status', report: { providerMessageId: outboundSid, status: 'delivered' } }]);
  });

  it('decodes the query as the send encoded it', async () => {
    const id = 'mo_a+b/c d';
    const parsed = await callback(fixture('status-sent.form'), `tideMessageId=${encodeURIComponent(id)}`);
    expect(parsed.items).toMatchObject([{ report: { messageId: id } }]);
  });

  it('refuses a callback without MessageSid or MessageStatus', async () => {
    expect(await codeOf(callback('MessageStatus=sent'))).toBe('invalid_request');
    expect(await codeOf(callback(`MessageSid=${outboundSid}`))).toBe('invalid_request');
  });
});
