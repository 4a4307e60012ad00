import { describe, expect, it } from 'vitest';
import { checkWebhookUrl, isRefusedAddress } from './webhook-address.ts';
import { signWebhook, verifyWebhook } from './webhook-signature.ts';

describe('isRefusedAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    'not-an-ip',
  ])('refuses %s', (a) => expect(isRefusedAddress(a)).toBe(true));
  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows %s', (a) =>
    expect(isRefusedAddress(a)).toBe(false),
  );
});

describe('checkWebhookUrl', () => {
  it('wants https without credentials, and no private literal hosts', () => {
    expect(checkWebhookUrl('https://hooks.example/in', false).ok).toBe(true);
    expect(checkWebhookUrl('http://hooks.example/in', false)).toMatchObject({ ok: false, reason: 'must be an https:// URL' });
    expect(checkWebhookUrl('http://hooks.example/in', true).ok).toBe(true);
    expect(checkWebhookUrl('https://u:p@hooks.example/', false).ok).toBe(false);
    expect(checkWebhookUrl('https://127.0.0.1/', false).ok).toBe(false);
    expect(checkWebhookUrl('https://[::1]/', false).ok).toBe(false);
    expect(checkWebhookUrl('https://localhost/', false).ok).toBe(false);
    expect(checkWebhookUrl('ftp://hooks.example/', true).ok).toBe(false);
    expect(checkWebhookUrl('nonsense', true).ok).toBe(false);
  });
});

describe('signatures', () => {
  it('verifies its own signature within the tolerance, and nothing else', () => {
    const body = '{"id":"1"}';
    const sig = signWebhook('whsec_abc', 1_700_000_000, body);
    expect(sig).toMatch(/^v1=[0-9a-f]{64}$/);
    const h = { timestamp: '1700000000', signature: sig };
    expect(verifyWebhook('whsec_abc', h, body, 1_700_000_100)).toBe(true);
    expect(verifyWebhook('whsec_abc', h, `${body} `, 1_700_000_100)).toBe(false);
    expect(verifyWebhook('whsec_other', h, body, 1_700_000_100)).toBe(false);
    expect(verifyWebhook('whsec_abc', h, body, 1_700_001_000)).toBe(false);
    expect(verifyWebhook('whsec_abc', { ...h, signature: `v1=bad ${sig}` }, body, 1_700_000_000)).toBe(true);
  });
});
