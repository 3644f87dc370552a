import { describe, expect, it } from 'vitest';
import { channels } from '../../../../shared/channels/registry.js';
import { twilioChannel } from '../../../../shared/channels/twilio/channel.js';
import { parseConfig } from '../../../../shared/config/schema.js';
import { twilioConfig } from './twilio-requests.js';

describe('twilioChannel', () => {
  it('is the registry\'s twilio provider, configured by channels.twilio', () => {
    expect(channels.twilio).toBe(twilioChannel);
    expect(twilioChannel.provider).toBe('twilio');
    expect(twilioChannel.configured(parseConfig({ channels: { twilio: twilioConfig() } }))).toBe(true);
    expect(twilioChannel.configured(parseConfig({}))).toBe(false);
  });

  it('replies up to 1,600 characters on SMS and 4,096 on WhatsApp', () => {
    expect(twilioChannel.replyTextLimit('sms')).toBe(1600);
    expect(twilioChannel.replyTextLimit('whatsapp')).toBe(4096);
  });

  it('honours opt-out keywords and declares no reply window (Twilio enforces WhatsApp\'s with 63016)', () => {
    expect(twilioChannel.optOut).toBe(true);
    expect(twilioChannel.replyWindowSeconds).toBeUndefined();
  });
});
