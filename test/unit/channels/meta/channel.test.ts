import { describe, expect, it } from 'vitest';
import { channels } from '../../../../shared/channels/registry.js';
import { metaChannel } from '../../../../shared/channels/meta/channel.js';
import { parseConfig } from '../../../../shared/config/schema.js';
import { metaConfig } from './meta-requests.js';

describe('metaChannel', () => {
  it('is the registry\'s meta provider', () => {
    expect(channels.meta).toBe(metaChannel);
    expect(metaChannel.provider).toBe('meta');
  });

  it('is configured only with channels.meta', () => {
    expect(metaChannel.configured(parseConfig({ channels: { meta: metaConfig() } }))).toBe(true);
    expect(metaChannel.configured(parseConfig({}))).toBe(false);
  });

  it('limits replies per channel', () => {
    expect(metaChannel.replyTextLimit('whatsapp')).toBe(4096);
    expect(metaChannel.replyTextLimit('messenger')).toBe(2000);
    expect(metaChannel.replyTextLimit('instagram')).toBe(1000);
    expect(metaChannel.replyTextLimit('sms')).toBe(1000);
  });

  it('refuses free-form replies after the customer-service window', () => {
    expect(metaChannel.replyWindowSeconds?.(parseConfig({ channels: { meta: metaConfig() } }))).toBe(86_400);
    expect(metaChannel.replyWindowSeconds?.(parseConfig({ channels: { meta: metaConfig({ customerServiceWindowSeconds: 3600 }) } }))).toBe(3600);
  });
});
