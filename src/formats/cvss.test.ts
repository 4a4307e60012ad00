import { describe, expect, it } from 'vitest';
import {
  CvssError,
  CvssVector,
  CvssVector31,
  CvssVector40,
  cvssSeverity,
  normaliseCvss,
  parseCvss,
  tryParseCvss,
} from './cvss.ts';

// CVSS v3.1 base vectors and scores from FIRST's "CVSS v3.1 Examples" document
// (https://www.first.org/cvss/v3.1/examples); each is also recomputed below from the v3.1 equations.
const V31_EXAMPLES: ReadonlyArray<[string, string, number]> = [
  ['CVE-2013-1937 phpMyAdmin reflected XSS', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
  ['CVE-2013-0375 MySQL stored SQL injection', 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4],
  ['CVE-2014-3566 SSLv3 POODLE', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1],
  ['CVE-2012-1516 VMware guest to host escape', 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
  ['CVE-2009-0783 Apache Tomcat XML parser', 'CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L', 4.2],
  ['CVE-2012-0384 Cisco IOS command injection', 'CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
  ['CVE-2015-1098 Apple iWork denial of service', 'CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 7.8],
  ['CVE-2014-0160 OpenSSL Heartbleed', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5],
  ['CVE-2014-6271 GNU Bash Shellshock', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
  ['CVE-2008-1447 DNS Kaminsky bug', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N', 6.8],
  ['CVE-2014-2005 Sophos Disk Encryption', 'CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 6.8],
  ['CVE-2010-0467 Joomla directory traversal', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N', 5.8],
  ['CVE-2012-1342 Cisco ACL bypass', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N', 5.8],
  ['CVE-2013-6014 Juniper proxy ARP', 'CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H', 9.3],
  ['CVE-2014-9253 DokuWiki stored XSS', 'CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N', 5.4],
  ['CVE-2011-1265 Microsoft Bluetooth RCE', 'CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 8.8],
  ['CVE-2016-1645 Google Chrome PDFium', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8],
  ['CVE-2016-0128 Badlock', 'CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:H/A:N', 6.8],
];

// CVSS v4.0 vectors and scores from FIRST's "CVSS v4.0 Examples" document
// (https://www.first.org/cvss/v4.0/examples).
const V40_EXAMPLES: ReadonlyArray<[string, string, number]> = [
  ['CVE-2022-41741 NGINX mp4 module', 'CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 7.3],
  ['CVE-2020-3549 Cisco FMC', 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 7.7],
  ['CVE-2020-3549 with E:U', 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U', 5.2],
  ['CVE-2023-3089 OpenShift FIPS', 'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N', 8.3],
  [
    'CVE-2023-3089 with environmental metrics',
    'CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L',
    8.1,
  ],
  ['CVE-2021-44714 Adobe Reader', 'CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N', 4.6],
  ['CVE-2022-24682 Zimbra calendar XSS', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 5.1],
  ['CVE-2022-22186 Juniper EX4650', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N', 6.9],
  ['CVE-2023-21989 Oracle VirtualBox', 'CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:N/VI:N/VA:N/SC:H/SI:N/SA:N', 5.9],
  ['CVE-2020-3947 VMware Workstation', 'CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H', 9.4],
  ['CVE-2013-6014 Juniper proxy ARP', 'CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H', 6.4],
  ['CVE-2014-0160 Heartbleed, attacked', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/E:A', 8.7],
  ['CVE-2021-44228 Log4Shell, attacked', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A', 9.3],
  ['safety: MSI:S', 'CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N/MSI:S/S:P', 9.7],
];

// From FIRST's calculator validation set (FIRSTdotorg/cvss-resources, vectorFiles/reference-scores).
const V40_REFERENCE: ReadonlyArray<[string, number]> = [
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A/CR:H/IR:H/AR:H/MSI:S/MSA:S', 10],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L/E:U/CR:M/IR:M/AR:M', 6.8],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:H/SC:L/SI:L/SA:L/E:U/CR:M/IR:H/AR:M', 3],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L/E:U/CR:H/IR:H/AR:H', 1.7],
  [
    'CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:N/VC:N/VI:H/VA:L/SC:L/SI:H/SA:N/E:U/CR:X/IR:L/AR:H/MAV:P/MAC:L/MAT:P/MPR:X/MUI:A/MVC:N/MVI:X/MVA:X/MSC:L/MSI:H/MSA:X/S:N/AU:X/R:X/V:C/RE:H/U:Amber',
    0.6,
  ],
  [
    'CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:P/VC:N/VI:H/VA:H/SC:H/SI:N/SA:L/E:A/CR:H/IR:M/AR:M/MAV:N/MAC:X/MAT:P/MPR:X/MUI:A/MVC:H/MVI:L/MVA:L/MSC:X/MSI:S/MSA:L/S:P/AU:X/R:X/V:C/RE:L/U:Clear',
    8.6,
  ],
  [
    'CVSS:4.0/AV:P/AC:H/AT:N/PR:L/UI:P/VC:H/VI:N/VA:N/SC:L/SI:L/SA:L/E:A/CR:X/IR:M/AR:X/MAV:L/MAC:L/MAT:X/MPR:N/MUI:P/MVC:N/MVI:N/MVA:H/MSC:L/MSI:S/MSA:H/S:N/AU:Y/R:U/V:X/RE:M/U:Amber',
    9.2,
  ],
  [
    'CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:P/VC:H/VI:N/VA:L/SC:L/SI:L/SA:L/E:U/CR:L/IR:H/AR:H/MAV:P/MAC:X/MAT:N/MPR:L/MUI:P/MVC:L/MVI:L/MVA:X/MSC:X/MSI:H/MSA:X/S:X/AU:X/R:A/V:X/RE:X/U:X',
    0.3,
  ],
];

describe('CVSS v3.1', () => {
  it.each(V31_EXAMPLES)('%s scores as in FIRST examples', (_name, vector, score) => {
    const r = parseCvss(vector);
    expect(r.version).toBe('3.1');
    expect(r.vector).toBe(vector);
    expect(r.baseScore).toBe(score);
    expect(r.score).toBe(score);
    expect(r.scoreType).toBe('base');
    expect(r.severity).toBe(cvssSeverity(score));
  });

  it('matches the v3.1 base equations (spec section 7.1, Roundup per Appendix A) for all 2,592 base vectors', () => {
    const roundup = (x: number) => {
      const i = Math.round(x * 100000);
      return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
    };
    const av: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
    const ac: Record<string, number> = { L: 0.77, H: 0.44 };
    const ui: Record<string, number> = { N: 0.85, R: 0.62 };
    const cia: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };
    let checked = 0;
    for (const AV of 'NALP')
      for (const AC of 'LH')
        for (const PR of 'NLH')
          for (const UI of 'NR')
            for (const S of 'UC')
              for (const C of 'HLN')
                for (const I of 'HLN')
                  for (const A of 'HLN') {
                    const changed = S === 'C';
                    const pr = ({ N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 } as Record<string, number>)[
                      PR
                    ] as number;
                    const iss = 1 - (1 - (cia[C] as number)) * (1 - (cia[I] as number)) * (1 - (cia[A] as number));
                    const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
                    const expl = 8.22 * (av[AV] as number) * (ac[AC] as number) * pr * (ui[UI] as number);
                    const expected = impact <= 0 ? 0 : roundup(Math.min((changed ? 1.08 : 1) * (impact + expl), 10));
                    const vector = `CVSS:3.1/AV:${AV}/AC:${AC}/PR:${PR}/UI:${UI}/S:${S}/C:${C}/I:${I}/A:${A}`;
                    expect(parseCvss(vector).baseScore, vector).toBe(expected);
                    checked++;
                  }
    expect(checked).toBe(2592);
  });

  it('scores temporal and environmental metrics', () => {
    const t = parseCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C');
    expect(t).toMatchObject({ baseScore: 9.8, severity: 'Critical', score: 9.1, scoreType: 'temporal' });
    const e = parseCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:L/IR:L/AR:L');
    expect(e.scoreType).toBe('environmental');
    expect(e.baseScore).toBe(9.8);
    expect(e.score).toBeLessThan(9.8);
  });

  it('normalises order, whitespace and Not Defined metrics', () => {
    const r = parseCvss('  CVSS:3.1/A:H/I:H/C:H/S:U/UI:N/PR:N/AC:L/AV:N/E:X/RL:X/MAV:X  ');
    expect(r.vector).toBe('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
    expect(r.metrics).toEqual({ AV: 'N', AC: 'L', PR: 'N', UI: 'N', S: 'U', C: 'H', I: 'H', A: 'H' });
    expect(normaliseCvss('CVSS:3.1/RC:C/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBe(
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/RC:C',
    );
  });

  it('gives None for a vector with no impact', () => {
    expect(parseCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N')).toMatchObject({ baseScore: 0, severity: 'None' });
  });
});

describe('CVSS v4.0', () => {
  it.each(V40_EXAMPLES)('%s scores as in FIRST examples', (_name, vector, score) => {
    const r = parseCvss(vector);
    expect(r.version).toBe('4.0');
    expect(r.vector).toBe(vector);
    expect(r.score).toBe(score);
    expect(r.scoreSeverity).toBe(cvssSeverity(score));
  });

  it.each(V40_REFERENCE)('%s scores %d as in FIRST reference scores', (vector, score) => {
    expect(parseCvss(vector).score).toBe(score);
  });

  it('scores values that sit on an x.x5 tie as FIRST does (round half up)', () => {
    // 8.6 - 0.05 = 8.55 exactly; naive floating-point rounding gives 8.5, FIRST's calculator 8.6.
    expect(parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:L/VA:N/SC:H/SI:H/SA:H').score).toBe(8.6);
  });

  it('reports the Base-only score and the nomenclature of the full vector', () => {
    const b = parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N');
    expect(b).toMatchObject({ baseScore: 9.3, severity: 'Critical', score: 9.3, scoreType: 'CVSS-B' });
    const bt = parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U');
    expect(bt).toMatchObject({ baseScore: 9.3, scoreType: 'CVSS-BT' });
    expect(bt.score).toBeLessThan(9.3);
    expect(parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/CR:L').scoreType).toBe('CVSS-BE');
    expect(parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P/MAV:L').scoreType).toBe('CVSS-BTE');
    // Supplemental metrics change neither score nor nomenclature.
    expect(parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/U:Red')).toMatchObject({
      score: 9.3,
      scoreType: 'CVSS-B',
    });
  });

  it('normalises order and drops X values', () => {
    expect(normaliseCvss('CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/U:Green/E:X/CR:X/MSI:S')).toBe(
      'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSI:S/U:Green',
    );
  });

  it('gives None when nothing is impacted', () => {
    expect(parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N')).toMatchObject({
      baseScore: 0,
      severity: 'None',
    });
  });
});

describe('bad vectors', () => {
  const BASE40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
  const cases: ReadonlyArray<[string, unknown, string, { metric?: string; value?: string; version?: string }]> = [
    ['empty', '', 'empty', {}],
    ['blank', '   ', 'empty', {}],
    ['not a string', 42, 'empty', {}],
    ['no prefix', 'AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'wrong_prefix', {}],
    ['lower-case prefix', 'cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'wrong_prefix', {}],
    ['CVSS 3.0', 'CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'unsupported_version', { version: '3.0' }],
    ['CVSS 2.0 bare', 'AV:N/AC:L/Au:N/C:P/I:P/A:P', 'unsupported_version', { version: '2.0' }],
    ['CVSS 2.0 in parentheses', '(AV:N/AC:L/Au:N/C:C/I:C/A:C)', 'unsupported_version', { version: '2.0' }],
    ['CVSS 5.0', 'CVSS:5.0/AV:N', 'unsupported_version', { version: '5.0' }],
    ['unknown 3.1 metric', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/XX:Y', 'unknown_metric', { metric: 'XX' }],
    ['4.0 metric in a 3.1 vector', 'CVSS:3.1/AV:N/AC:L/AT:N/PR:N/UI:N/S:U/C:H/I:H/A:H', 'unknown_metric', { metric: 'AT' }],
    ['lower-case metric', `${BASE40.replace('UI:N', 'ui:N')}`, 'unknown_metric', { metric: 'ui' }],
    ['bad 3.1 value', 'CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'bad_value', { metric: 'AV', value: 'Q' }],
    ['X for a base metric', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'bad_value', { metric: 'AV', value: 'X' }],
    ['3.1 value in a 4.0 vector', BASE40.replace('UI:N', 'UI:R'), 'bad_value', { metric: 'UI', value: 'R' }],
    ['wrong-case U value', `${BASE40}/U:red`, 'bad_value', { metric: 'U', value: 'red' }],
    ['missing 3.1 base metric', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', 'missing_metric', { metric: 'A' }],
    ['missing 4.0 base metric', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/SC:N/SI:N/SA:N', 'missing_metric', { metric: 'VA' }],
    ['duplicate metric', `${BASE40}/E:A/E:X`, 'duplicate_metric', { metric: 'E' }],
    ['trailing slash', `${BASE40}/`, 'malformed', {}],
    ['double slash', BASE40.replace('/AC', '//AC'), 'malformed', {}],
    ['component without value', `${BASE40}/E`, 'malformed', {}],
    ['component without metric', `${BASE40}/:A`, 'malformed', {}],
    ['overlong', `${BASE40}${'/E:A'.repeat(200)}`, 'malformed', {}],
  ];

  it.each(cases)('%s', (_name, input, code, details) => {
    let caught: unknown;
    try {
      parseCvss(input as string);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CvssError);
    const err = caught as CvssError;
    expect(err.code).toBe(code);
    expect(err.details).toMatchObject(details);
    expect(err.message.length).toBeGreaterThan(10);
  });

  it('names the missing metrics in the message', () => {
    expect(() => parseCvss('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N')).toThrow(/VI, VA, SC, SI, SA/);
  });

  it('tryParseCvss returns the error instead of throwing', () => {
    const r = tryParseCvss('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('unsupported_version');
    expect(tryParseCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H').ok).toBe(true);
  });
});

describe('zod schemas', () => {
  const v31 = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
  const v40 = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

  it('accepts only the right version', () => {
    expect(CvssVector31.safeParse(v31).success).toBe(true);
    expect(CvssVector31.safeParse(v40).success).toBe(false);
    expect(CvssVector40.safeParse(v40).success).toBe(true);
    expect(CvssVector40.safeParse(v31).success).toBe(false);
    expect(CvssVector.safeParse(v31).success).toBe(true);
    expect(CvssVector.safeParse(v40).success).toBe(true);
  });

  it('reports the parser message', () => {
    const r = CvssVector.safeParse('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:Z');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/Bad value "Z" for CVSS v3.1 metric A/);
    expect(CvssVector40.safeParse(v31).error?.issues[0]?.message).toMatch(/Expected a CVSS v4.0 vector/);
    expect(CvssVector.safeParse(17).success).toBe(false);
  });
});

describe('cvssSeverity', () => {
  it.each([
    [0, 'None'],
    [0.1, 'Low'],
    [3.9, 'Low'],
    [4, 'Medium'],
    [6.9, 'Medium'],
    [7, 'High'],
    [8.9, 'High'],
    [9, 'Critical'],
    [10, 'Critical'],
  ] as const)('%d is %s', (score, severity) => {
    expect(cvssSeverity(score)).toBe(severity);
  });

  it('rejects scores out of range', () => {
    expect(() => cvssSeverity(-0.1)).toThrow(RangeError);
    expect(() => cvssSeverity(10.1)).toThrow(RangeError);
    expect(() => cvssSeverity(Number.NaN)).toThrow(RangeError);
  });
});
