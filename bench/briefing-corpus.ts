// Realistic briefing packets for the leak-tracing benchmark and tests: several vulnerabilities
// with scores and affected products, vendor statements and a timeline, drawn from a seeded
// generator so that runs repeat.
import type { BriefingPacket } from '../src/services/briefing.ts';

/** A small, fast, seedable PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));

const COMPONENTS = [
  'web console',
  'firmware updater',
  'TLS stack',
  'login service',
  'SNMP agent',
  'REST API',
  'VPN client',
  'DHCP server',
  'image parser',
  'plugin loader',
];
const FLAWS = [
  ['Heap buffer overflow in the', 'CWE-122'],
  ['SQL injection in the', 'CWE-89'],
  ['Authentication bypass in the', 'CWE-287'],
  ['Path traversal in the', 'CWE-22'],
  ['Use after free in the', 'CWE-416'],
  ['Cross-site scripting in the', 'CWE-79'],
  ['Integer overflow in the', 'CWE-190'],
  ['Hard-coded credentials in the', 'CWE-798'],
] as const;
const VENDORS = [
  'Acme Networks',
  'Globex Systems',
  'Initech',
  'Umbrella Devices',
  'Hooli Embedded',
  'Stark Routers',
  'Wayne Security',
  'Tyrell Firmware',
  'Cyberdyne IoT',
  'Soylent Software',
  'Vandelay Industries',
  'Nakatomi Tech',
];
const PRODUCTS = [
  'EdgeRouter',
  'CloudGate',
  'SecureBox',
  'NetStation',
  'SmartCam',
  'OfficeHub',
  'FleetManager',
  'PowerSwitch',
  'MediaServer',
  'AccessPoint',
];
const STATUSES = ['known_affected', 'fixed', 'known_not_affected', 'under_investigation'];
const EVENTS = [
  'Case opened from report VR-2026-0142',
  'Vendor acknowledged the report and started triage',
  'Coordinator shared the proof of concept with the affected vendors',
  'Release date proposed; vendors asked to confirm by Friday',
  'Vendor confirmed the issue reproduces on current firmware',
  'CVE identifiers requested from the CNA',
  'Draft advisory circulated for review',
  'Vendor reported a fix is in QA and will ship with the next maintenance release',
  'Embargo extended by two weeks at the request of two vendors',
  'Tent opened for downstream integrators',
  'Finder agreed to delay the conference talk until after release',
  'Severity assessment updated after new exploitation details',
  'Coordinator asked vendors to publish statements before the release date',
  'Patch verified by the finder on the test build',
  'Call held with vendors to agree the disclosure plan',
];
const PROSE = [
  'A remote attacker without credentials can send a crafted request that corrupts memory in the affected service.',
  'Several vendors ship the same upstream component, so fixes must be coordinated before the release date.',
  'The finder reported the issue privately and agreed to the default embargo.',
  'Exploitation requires network access to the management interface, which is often exposed on the internet.',
  'No exploitation in the wild is known at this time.',
  'Workarounds include disabling the affected feature or restricting access to trusted networks.',
  'The upstream maintainers have prepared a patch that is under review.',
];
const VECTORS31 = [
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
  ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
  ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
  ['CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.8],
  ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
] as const;
const VECTORS40 = [
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 9.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.7],
  ['CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N', 7.1],
] as const;

/** One realistic packet (the recipient is filled in per copy by the caller). */
export function samplePacket(
  seed: number,
  size: { vulns: [number, number]; vendors: [number, number] } = { vulns: [4, 8], vendors: [5, 10] },
): BriefingPacket {
  const r = rng(seed);
  const base = Date.UTC(2026, int(r, 0, 11), int(r, 1, 28), int(r, 0, 23), int(r, 0, 59));
  const nVulns = int(r, ...size.vulns);
  const vendors = [...VENDORS].sort(() => r() - 0.5).slice(0, int(r, ...size.vendors));
  const vulnerabilities = Array.from({ length: nVulns }, (_, i) => {
    const [flaw, cwe] = pick(r, FLAWS);
    const component = pick(r, COMPONENTS);
    const v31 = pick(r, VECTORS31);
    const v40 = pick(r, VECTORS40);
    return {
      id: `v${i}`,
      cveId: r() < 0.8 ? `CVE-2026-${int(r, 10000, 49999)}` : null,
      title: `${flaw} ${component}`,
      description: pick(r, PROSE),
      cweIds: r() < 0.85 ? [cwe] : [],
      cvss31: r() < 0.9 ? { vector: v31[0], score: v31[1] } : null,
      cvss40: r() < 0.5 ? { vector: v40[0], score: v40[1] } : null,
      ssvc: null,
      affectedProducts: Array.from({ length: int(r, 1, 5) }, () => {
        const vendor = pick(r, vendors);
        const product = pick(r, PRODUCTS);
        const slug = vendor.toLowerCase().split(' ')[0];
        const major = int(r, 1, 9);
        return {
          productName: `${vendor} ${product}`,
          purl: r() < 0.7 ? `pkg:generic/${slug}/${product.toLowerCase()}` : null,
          versionRange: r() < 0.9 ? `vers:generic/>=${major}.0.0|<${major}.${int(r, 1, 9)}.${int(r, 0, 20)}` : null,
        };
      }),
    };
  });
  const statements = vendors.flatMap((o) =>
    vulnerabilities
      .filter(() => r() < 0.6)
      .map((v) => {
        const status = pick(r, STATUSES);
        return {
          vulnerability: v.cveId ?? v.title,
          organization: o,
          status,
          fixedVersions: status === 'fixed' ? [`${int(r, 1, 9)}.${int(r, 0, 9)}.${int(r, 0, 30)}`] : [],
        };
      }),
  );
  const events = [...EVENTS].sort(() => r() - 0.5).slice(0, int(r, 9, 15));
  let at = base;
  const timeline = events.map((summary) => {
    at += int(r, 3, 72) * 3600_000;
    return { at: new Date(at).toISOString(), kind: 'note', summary, tlp: pick(r, ['CLEAR', 'GREEN', 'AMBER'] as const) };
  });
  const summary = Array.from({ length: int(r, 2, 4) }, () => pick(r, PROSE)).join(' ');
  return {
    format: 'village-briefing/1',
    generatedAt: new Date(base).toISOString(),
    case: {
      id: `case-${seed}`,
      ref: `VU#${int(r, 100000, 999999)}`,
      title: `${vulnerabilities[0]?.title ?? 'Issues'} and related issues`,
      summary,
      coordinator: 'Village CERT',
      openedAt: new Date(base).toISOString(),
    },
    recipient: { orgId: '', orgName: '', tents: [], tlpCeiling: 'AMBER' },
    embargo:
      r() < 0.7 ? { state: 'A', releaseAt: new Date(base + 45 * 86400_000).toISOString() } : { state: 'N', releaseAt: null },
    vulnerabilities,
    statements,
    timeline,
  };
}

/** A run of `words` consecutive words from `text` starting at a random word, re-wrapped at ~`width` columns. */
export function excerpt(text: string, words: number, r: () => number, width = 60): string | null {
  const all = text.split(/\s+/).filter(Boolean);
  if (all.length < words) return null;
  const start = Math.floor(r() * (all.length - words + 1));
  const lines: string[] = [];
  let line = '';
  for (const w of all.slice(start, start + words)) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
