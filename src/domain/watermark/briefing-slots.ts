// The phrase tables of the briefing packet's text (src/services/briefing.ts renderBriefingSegments):
// every alternative is correct English where its slot is used, and none is a word sequence that
// another slot's alternatives produce (test: briefing-slots.test.ts).
import { type FormatSlot, phrase, type Slot } from './slots.ts';

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const MONTH_RE = `(?:${MONTHS.join('|').toLowerCase()})`;
const pad = (n: number) => String(n).padStart(2, '0');
const hm = (d: Date) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
const ymd = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

/** Date style: one for the whole document (mixing styles would read oddly). All in UTC. */
export const DATE_STYLE: FormatSlot = {
  kind: 'format',
  name: 'date-style',
  context: 0,
  alts: [
    { render: (d) => d.toISOString(), pattern: /\d{4}-\d{2}-\d{2}t\d{2}:\d{2}:\d{2}(?:\.\d{3})?z/ },
    { render: (d) => `${ymd(d)} ${hm(d)} UTC`, pattern: /\d{4}-\d{2}-\d{2} \d{2}:\d{2} utc/ },
    {
      render: (d) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}, ${hm(d)} UTC`,
      pattern: new RegExp(`\\d{1,2} ${MONTH_RE} \\d{4}, \\d{2}:\\d{2} utc`),
    },
    {
      render: (d) => `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${hm(d)} UTC`,
      pattern: new RegExp(`${MONTH_RE} \\d{1,2}, \\d{4}, \\d{2}:\\d{2} utc`),
    },
  ],
};

export const BRIEFING_SLOTS = {
  header: phrase('header', 3, ['— briefing for', '— briefing prepared for', '— briefing packet for', '— briefing addressed to']),
  coordinatedBy: phrase('coordinated-by', 3, [
    'Coordinated by',
    'Coordination is led by',
    'Coordinator:',
    'The case is coordinated by',
  ]),
  opened: phrase('opened', 3, ['opened on', 'open since', 'in progress since', 'under way since']),
  releasePlanned: phrase('release-planned', 3, [
    'release planned for',
    'publication planned for',
    'release scheduled for',
    'disclosure planned for',
  ]),
  noRelease: phrase('no-release', 0, [
    'No release date is agreed yet.',
    'No release date has been agreed yet.',
    'A release date is not agreed yet.',
    'There is no agreed release date yet.',
  ]),
  vulnsHeading: phrase('vulns-heading', 0, [
    'Vulnerabilities',
    'Vulnerabilities in this case',
    'Known vulnerabilities',
    'Vulnerabilities covered',
  ]),
  bullet: phrase('bullet', 0, ['-', '*', '•']),
  noCve: phrase('no-cve', 3, ['no CVE yet', 'CVE pending', 'no CVE assigned yet', 'CVE not yet assigned']),
  cwe: phrase('cwe', 2, ['weakness class', 'classified as', 'categorized as', 'mapped to']),
  cvss31: phrase('cvss31', 3, ['CVSS 3.1', 'CVSS v3.1', 'CVSSv3.1 score', 'CVSS 3.1 base score']),
  cvss40: phrase('cvss40', 3, ['CVSS 4.0', 'CVSS v4.0', 'CVSSv4.0 score', 'CVSS 4.0 base score']),
  vector: phrase('vector', 2, ['with vector', 'from vector', 'computed from', 'vector:']),
  affects: phrase('affects', 3, ['affects', 'affected product:', 'concerns', 'found in']),
  statementsHeading: phrase('statements-heading', 0, [
    'Statements:',
    'Vendor statements:',
    'Statements so far:',
    "Participants' statements:",
  ]),
  statementOn: phrase('statement-on', 3, ['statement on', 'position on', 'status on', 'response on']),
  fixedIn: phrase('fixed-in', 3, ['(fixed in', '(fix in', '(fixed versions:', '(patched in']),
  timelineHeading: phrase('timeline-heading', 0, [
    'Timeline so far:',
    'Timeline to date:',
    'Events so far:',
    'Case history so far:',
  ]),
  eventSeparator: phrase('event-separator', 3, ['—', '–', '|', '·']),
} as const;

/** Every slot the briefing text uses, for the detector. */
export const BRIEFING_SLOT_LIST: readonly Slot[] = [...Object.values(BRIEFING_SLOTS), DATE_STYLE];
