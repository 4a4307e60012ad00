// The webhook signature: HMAC-SHA256 keyed with the subscription's secret over
// `${timestamp}.${body}` (timestamp: Unix seconds as sent in Village-Webhook-Timestamp; body: the
// exact bytes of the request body), hex-encoded and sent as `v1=<hex>` in Village-Webhook-Signature.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_HEADERS = {
  id: 'village-webhook-id',
  event: 'village-webhook-event',
  delivery: 'village-webhook-delivery',
  timestamp: 'village-webhook-timestamp',
  signature: 'village-webhook-signature',
} as const;

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute the signature, compare in constant time, and refuse a timestamp
 * more than `toleranceSeconds` away from its own clock (a replayed old delivery).
 */
export function verifyWebhook(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.timestamp || !/^\d+$/.test(headers.timestamp) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, ts, body));
  // Several signatures may be sent, space-separated; one match is enough.
  return (headers.signature ?? '').split(' ').some((s) => {
    const got = Buffer.from(s.trim());
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
