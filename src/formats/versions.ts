// Version order per ecosystem. Libraries where a maintained one exists (npm semver, PEP 440);
// small implementations of the published algorithms elsewhere, each citing its source:
//   Debian  — Debian Policy §5.6.12 "Version" (epoch:upstream-revision, '~' before everything)
//   RPM     — rpmvercmp() in rpm's lib/rpmvercmp.c (alphanumeric segments, '~' and '^')
//   Maven   — "Version Order Specification" of maven-artifact's ComparableVersion
//   RubyGems— Gem::Version#<=> (canonical segments; a string segment marks a prerelease)
//   NuGet   — NuGet SemVer 2.0 (four numeric parts, case-insensitive prerelease labels)
//   Go      — module versions are semver with a "v" prefix (pseudo-versions are prereleases)
//   generic — rpmvercmp's order, which puts OpenSSL's 1.0.1 < 1.0.1f < 1.0.1g
import * as pep440 from '@renovatebot/pep440';
import semver from 'semver';

export type Ecosystem = 'npm' | 'pypi' | 'maven' | 'debian' | 'rpm' | 'rubygems' | 'go' | 'nuget' | 'semver' | 'generic';
export type Compare = (a: string, b: string) => number;

const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);
const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** Compares two digit strings numerically without overflow. */
function cmpDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length < y.length ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

// --- RPM (rpmvercmp) and generic ---------------------------------------------------------------

/** rpmvercmp: compares alphanumeric segments; '~' sorts before anything, '^' after the end. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const sep = (c: string | undefined) => c !== undefined && !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';
  while (i < a.length || j < b.length) {
    while (sep(a[i])) i++;
    while (sep(b[j])) j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = isDigit(a[i] as string);
    const take = numeric ? isDigit : isAlpha;
    let i2 = i;
    let j2 = j;
    while (i2 < a.length && take(a[i2] as string)) i2++;
    while (j2 < b.length && take(b[j2] as string)) j2++;
    const sa = a.slice(i, i2);
    const sb = b.slice(j, j2);
    // A numeric segment is newer than an alphabetic one.
    if (sb.length === 0) return numeric ? 1 : -1;
    const c = numeric ? cmpDigits(sa, sb) : sa < sb ? -1 : sa > sb ? 1 : 0;
    if (c !== 0) return c;
    i = i2;
    j = j2;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** [epoch:]version[-release] as RPM splits it. */
function splitEvr(v: string): [string, string, string | undefined] {
  const m = /^(\d+):(.*)$/.exec(v);
  const epoch = m?.[1] ?? '0';
  const rest = m?.[2] ?? v;
  const dash = rest.lastIndexOf('-');
  return dash > 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, undefined];
}

export function compareRpm(a: string, b: string): number {
  const [ea, va, ra] = splitEvr(a);
  const [eb, vb, rb] = splitEvr(b);
  return cmpDigits(ea, eb) || rpmvercmp(va, vb) || (ra !== undefined && rb !== undefined ? rpmvercmp(ra, rb) : 0);
}

// --- Debian ---------------------------------------------------------------------------------------

/** Debian Policy §5.6.12: the weight of a character in a non-digit part ('~' < end < letters < others). */
function debOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (isAlpha(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function debPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // Non-digit prefix, compared character by character in the modified order.
    while ((i < a.length && !isDigit(a[i] as string)) || (j < b.length && !isDigit(b[j] as string))) {
      const ca = i < a.length && !isDigit(a[i] as string) ? a[i] : undefined;
      const cb = j < b.length && !isDigit(b[j] as string) ? b[j] : undefined;
      const d = debOrder(ca) - debOrder(cb);
      if (d !== 0) return sign(d);
      i++;
      j++;
    }
    let i2 = i;
    let j2 = j;
    while (i2 < a.length && isDigit(a[i2] as string)) i2++;
    while (j2 < b.length && isDigit(b[j2] as string)) j2++;
    const c = cmpDigits(a.slice(i, i2) || '0', b.slice(j, j2) || '0');
    if (c !== 0) return c;
    i = i2;
    j = j2;
  }
  return 0;
}

export function compareDebian(a: string, b: string): number {
  const split = (v: string): [string, string, string] => {
    const colon = v.indexOf(':');
    const epoch = colon > 0 ? v.slice(0, colon) : '0';
    const rest = colon > 0 ? v.slice(colon + 1) : v;
    const dash = rest.lastIndexOf('-');
    return dash >= 0 ? [epoch, rest.slice(0, dash), rest.slice(dash + 1)] : [epoch, rest, '0'];
  };
  const [ea, ua, ra] = split(a);
  const [eb, ub, rb] = split(b);
  return cmpDigits(ea, eb) || debPart(ua, ub) || debPart(ra, rb);
}

// --- Maven ComparableVersion ------------------------------------------------------------------------

type MItem = { k: 'int'; v: string } | { k: 'str'; v: string } | { k: 'list'; v: MItem[] };
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Record<string, string> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function mStr(value: string, followedByDigit: boolean): MItem {
  let v = value;
  if (followedByDigit && v.length === 1) v = ({ a: 'alpha', b: 'beta', m: 'milestone' } as Record<string, string>)[v] ?? v;
  return { k: 'str', v: ALIASES[v] ?? v };
}
const comparableQualifier = (q: string) => {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
};
const isNull = (it: MItem): boolean =>
  it.k === 'int' ? /^0+$/.test(it.v) : it.k === 'str' ? comparableQualifier(it.v) === RELEASE_INDEX : it.v.length === 0;

function mNormalize(list: MItem[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i] as MItem;
    if (isNull(last)) list.splice(i, 1);
    else if (last.k !== 'list') break;
  }
}

function mParse(version: string): MItem[] {
  const v = version.toLowerCase();
  const root: MItem[] = [];
  let list = root;
  const stack: MItem[][] = [root];
  let digit = false;
  let start = 0;
  const item = (s: string, followed = false): MItem => (digit ? { k: 'int', v: s.replace(/^0+(?=\d)/, '') } : mStr(s, followed));
  const sub = () => {
    const next: MItem[] = [];
    list.push({ k: 'list', v: next });
    list = next;
    stack.push(next);
  };
  for (let i = 0; i < v.length; i++) {
    const c = v[i] as string;
    if (c === '.') {
      list.push(i === start ? { k: 'int', v: '0' } : item(v.slice(start, i)));
      start = i + 1;
    } else if (c === '-') {
      list.push(i === start ? { k: 'int', v: '0' } : item(v.slice(start, i)));
      start = i + 1;
      sub();
    } else if (isDigit(c)) {
      if (!digit && i > start) {
        list.push(mStr(v.slice(start, i), true));
        start = i;
        sub();
      }
      digit = true;
    } else {
      if (digit && i > start) {
        list.push(item(v.slice(start, i)));
        start = i;
        sub();
      }
      digit = false;
    }
  }
  if (v.length > start) list.push(item(v.slice(start)));
  while (stack.length) mNormalize(stack.pop() as MItem[]);
  return root;
}

function mCmp(a: MItem | undefined, b: MItem | undefined): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return -mCmp(b, undefined);
  if (a.k === 'int') {
    if (b === undefined) return /^0+$/.test(a.v) ? 0 : 1;
    return b.k === 'int' ? cmpDigits(a.v, b.v) : 1;
  }
  if (a.k === 'str') {
    if (b === undefined) return sign(comparableQualifier(a.v).localeCompare(RELEASE_INDEX, 'en'));
    if (b.k === 'int' || b.k === 'list') return -1;
    const x = comparableQualifier(a.v);
    const y = comparableQualifier(b.v);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (b === undefined) return a.v.length === 0 ? 0 : mCmp(a.v[0], undefined);
  if (b.k === 'int') return -1;
  if (b.k === 'str') return 1;
  for (let i = 0; i < Math.max(a.v.length, b.v.length); i++) {
    const c = mCmp(a.v[i], b.v[i]);
    if (c !== 0) return c;
  }
  return 0;
}

export const compareMaven: Compare = (a, b) => mCmp({ k: 'list', v: mParse(a) }, { k: 'list', v: mParse(b) });

// --- RubyGems ---------------------------------------------------------------------------------------

function gemSegments(v: string): Array<number | string> {
  const s = v.trim().replace(/-/g, '.pre.');
  const segs = (s.match(/[0-9]+|[a-z]+/gi) ?? []).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  // Canonical segments: drop trailing zeros from the release part and from the prerelease part.
  const firstStr = segs.findIndex((x) => typeof x === 'string');
  const release = firstStr === -1 ? segs : segs.slice(0, firstStr);
  const pre = firstStr === -1 ? [] : segs.slice(firstStr);
  while (release.length > 1 && release.at(-1) === 0) release.pop();
  while (pre.length && pre.at(-1) === 0) pre.pop();
  return [...release, ...pre];
}

export function compareRubyGems(a: string, b: string): number {
  const x = gemSegments(a);
  const y = gemSegments(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const l = x[i] ?? 0;
    const r = y[i] ?? 0;
    if (l === r) continue;
    if (typeof l === 'string' && typeof r === 'number') return -1;
    if (typeof l === 'number' && typeof r === 'string') return 1;
    return l < r ? -1 : 1;
  }
  return 0;
}

// --- NuGet ------------------------------------------------------------------------------------------

export function compareNuGet(a: string, b: string): number {
  const parse = (v: string) => {
    const noMeta = v.trim().split('+')[0] ?? '';
    const dash = noMeta.indexOf('-');
    const core = dash === -1 ? noMeta : noMeta.slice(0, dash);
    const pre = dash === -1 ? [] : noMeta.slice(dash + 1).split('.');
    return { nums: core.split('.').map((n) => n.replace(/^v/i, '')), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 4; i++) {
    const c = cmpDigits(x.nums[i] || '0', y.nums[i] || '0');
    if (c !== 0) return c;
  }
  if (!x.pre.length || !y.pre.length) return x.pre.length === y.pre.length ? 0 : x.pre.length ? -1 : 1;
  for (let i = 0; i < Math.max(x.pre.length, y.pre.length); i++) {
    const l = x.pre[i];
    const r = y.pre[i];
    if (l === undefined) return -1;
    if (r === undefined) return 1;
    const ln = /^\d+$/.test(l);
    const rn = /^\d+$/.test(r);
    if (ln && rn) {
      const c = cmpDigits(l, r);
      if (c !== 0) return c;
    } else if (ln !== rn) return ln ? -1 : 1;
    else {
      const c = sign(l.toLowerCase().localeCompare(r.toLowerCase(), 'en'));
      if (c !== 0) return c;
    }
  }
  return 0;
}

// --- semver-based (npm, Go, crates, …) and PEP 440 ------------------------------------------------

function semverOr(fallback: Compare, loose: boolean, strip = false): Compare {
  return (a, b) => {
    const x = semver.valid(strip ? a.replace(/^v/, '') : a, { loose });
    const y = semver.valid(strip ? b.replace(/^v/, '') : b, { loose });
    return x && y ? semver.compare(x, y) : fallback(a, b);
  };
}

const comparePypi: Compare = (a, b) =>
  pep440.valid(a) && pep440.valid(b) ? sign(pep440.compare(a, b)) : rpmvercmp(a.toLowerCase(), b.toLowerCase());

export const COMPARATORS: Record<Ecosystem, Compare> = {
  npm: semverOr(rpmvercmp, true),
  semver: semverOr(rpmvercmp, true, true),
  go: semverOr(rpmvercmp, false, true),
  pypi: comparePypi,
  maven: compareMaven,
  debian: compareDebian,
  rpm: compareRpm,
  rubygems: compareRubyGems,
  nuget: compareNuGet,
  generic: rpmvercmp,
};

/** The version order for a purl (or vers) type. */
export function ecosystemOf(type: string): Ecosystem {
  switch (type.toLowerCase()) {
    case 'npm':
      return 'npm';
    case 'pypi':
      return 'pypi';
    case 'maven':
      return 'maven';
    case 'deb':
    case 'debian':
      return 'debian';
    case 'rpm':
      return 'rpm';
    case 'gem':
    case 'rubygems':
      return 'rubygems';
    case 'golang':
    case 'go':
      return 'go';
    case 'nuget':
      return 'nuget';
    case 'cargo':
    case 'semver':
    case 'hex':
    case 'composer':
    case 'swift':
    case 'pub':
      return 'semver';
    default:
      return 'generic';
  }
}

export const compareFor = (type: string): Compare => COMPARATORS[ecosystemOf(type)];
