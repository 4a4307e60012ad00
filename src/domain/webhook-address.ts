// Which network addresses a webhook may be sent to. Village refuses to POST to loopback, private,
// link-local, carrier-grade NAT, documentation, multicast and other special-purpose ranges (IANA
// IPv4 and IPv6 Special-Purpose Address Registries), so a subscription cannot be used to reach the
// instance's own network (SSRF). Pure: resolving names is the caller's job.
import { BlockList, isIP } from 'node:net';

const V4: Array<[string, number]> = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata services live here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and the broadcast address
];
const V6: Array<[string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64 (reaches IPv4 addresses)
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID…)
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (embeds IPv4 addresses)
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
];

const blocked = new BlockList();
for (const [a, p] of V4) blocked.addSubnet(a, p, 'ipv4');
for (const [a, p] of V6) blocked.addSubnet(a, p, 'ipv6');

/** Whether a literal IP address is in a range webhooks may not reach; anything not an IP is refused. */
export function isRefusedAddress(address: string): boolean {
  const kind = isIP(address);
  if (kind === 4) return blocked.check(address, 'ipv4');
  if (kind !== 6) return true;
  // IPv4-mapped and IPv4-compatible IPv6 addresses are judged by the IPv4 address they carry.
  const mapped = /^(?:0{0,4}:){0,5}(?:ffff:)?(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address.replace(/^::/, '0::'));
  if (mapped?.[1]) return isRefusedAddress(mapped[1]);
  const lower = address.toLowerCase();
  if (/^(?:0{0,4}:){0,5}ffff:[0-9a-f]{1,4}:[0-9a-f]{1,4}$/.test(lower.replace(/^::/, '0::'))) {
    const parts = lower.split(':');
    const hi = Number.parseInt(parts.at(-2) ?? '0', 16);
    const lo = Number.parseInt(parts.at(-1) ?? '0', 16);
    return isRefusedAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
  }
  return blocked.check(address, 'ipv6');
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * The parts of a subscription URL that can be judged without the network: https (http only when
 * private targets are allowed), no credentials, no fragment, a host. A literal IP host is judged
 * here too; a name is resolved by the caller and each address judged with isRefusedAddress().
 */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) {
    return { ok: false, reason: 'must be an https:// URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not carry credentials' };
  if (url.hash) return { ok: false, reason: 'must not have a fragment' };
  if (!url.hostname) return { ok: false, reason: 'must name a host' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && isRefusedAddress(host)) {
    return { ok: false, reason: `${host} is a loopback, private or special-purpose address` };
  }
  if (!allowPrivate && /(^|\.)localhost$/i.test(host)) return { ok: false, reason: 'must not be localhost' };
  return { ok: true, url };
}
