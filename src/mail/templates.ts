// Plain-text mail templates: small pure functions returning { subject, text }. Notifications
// carry references and links only, never case content: whatever is shared under TLP:AMBER or
// above stays behind sign-in, so a notification says that something is waiting, not what.
// Subjects are single lines (line breaks in inputs are folded to spaces).

export interface Site {
  /** The instance's public URL, without a trailing slash (config.publicUrl). */
  publicUrl: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
}

/** One line, at most `max` characters: for subjects and inline names. */
function oneLine(s: string, max = 150): string {
  const flat = s
    .replace(/[\r\n\t\u2028\u2029]+/g, ' ')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function base(site: Site): string {
  return site.publicUrl.replace(/\/+$/, '');
}

/** The case page on this instance. */
export function caseUrl(site: Site, caseId: string): string {
  return `${base(site)}/cases/${encodeURIComponent(caseId)}`;
}

function footer(site: Site, why: string): string {
  return [
    '',
    '-- ',
    `Village, coordinated vulnerability disclosure: ${base(site)}`,
    why,
    'This message was sent automatically; replies are not read.',
  ].join('\n');
}

function fmtDate(d: Date): string {
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export interface CaseInvitationInput {
  /** The case's public reference (e.g. "VIL-2026-0042"); never its title. */
  caseRef: string;
  caseId: string;
  /** The invited participant organization (the recipient's). */
  orgName: string;
  /** Who invited them (the coordinating organization). */
  invitedBy: string;
}

/** To each user of a participant organization invited into a case. */
export function caseInvitation(site: Site, i: CaseInvitationInput): RenderedMail {
  const ref = oneLine(i.caseRef, 60);
  return {
    subject: `[Village] ${ref}: ${oneLine(i.orgName, 80)} is invited to a coordinated disclosure case`,
    text: [
      `${oneLine(i.invitedBy)} has invited ${oneLine(i.orgName)} to take part in case ${ref}.`,
      '',
      'Details of the case are shared only inside Village. Sign in to read them and to accept or',
      'decline the invitation:',
      '',
      `  ${caseUrl(site, i.caseId)}`,
      '',
      'The case carries parachute cords: events (an exploit made public, attacks seen in the wild,',
      'a leak, a date) on which Village acts at once, up to ending the embargo. Please read them',
      'there and acknowledge them for your organization.',
      footer(site, `You receive this as a member of ${oneLine(i.orgName)}.`),
    ].join('\n'),
  };
}

export interface NewMessageInput {
  caseRef: string;
  caseId: string;
}

/** A new message in a case: says only that one is waiting; the message itself stays behind sign-in. */
export function newMessageNotification(site: Site, i: NewMessageInput): RenderedMail {
  const ref = oneLine(i.caseRef, 60);
  return {
    subject: `[Village] ${ref}: a new message is waiting`,
    text: [
      `There is a new message for you in case ${ref}.`,
      '',
      'Sign in to read it:',
      '',
      `  ${caseUrl(site, i.caseId)}`,
      footer(site, `You receive this as a participant in case ${ref}.`),
    ].join('\n'),
  };
}

export interface DeadlineReminderInput {
  caseRef: string;
  caseId: string;
  /** What is due, e.g. "vendor response" or "end of embargo". */
  what: string;
  due: Date;
  /** Now, from the caller's clock (templates read no clock). */
  now: Date;
}

/** A reminder ahead of (or past) a case deadline. */
export function deadlineReminder(site: Site, i: DeadlineReminderInput): RenderedMail {
  const ref = oneLine(i.caseRef, 60);
  const what = oneLine(i.what, 80);
  const ms = i.due.getTime() - i.now.getTime();
  const days = Math.round(Math.abs(ms) / 86_400_000);
  const when =
    ms < 0
      ? `was due ${days === 0 ? 'today' : `${days} day${days === 1 ? '' : 's'} ago`}`
      : days === 0
        ? 'is due today'
        : `is due in ${days} day${days === 1 ? '' : 's'}`;
  return {
    subject: `[Village] ${ref}: ${what} ${when}`,
    text: [
      `Reminder: the ${what} for case ${ref} ${when} (${fmtDate(i.due)}).`,
      '',
      'Sign in to see the case and its timeline:',
      '',
      `  ${caseUrl(site, i.caseId)}`,
      footer(site, `You receive this as a participant in case ${ref}.`),
    ].join('\n'),
  };
}

export interface EscalationInput {
  caseRef: string;
  caseId: string;
  /** Why, in a few words, without case content, e.g. "vendor has not responded for 14 days". */
  reason: string;
}

/** To the coordinator: a case needs attention. */
export function escalationToCoordinator(site: Site, i: EscalationInput): RenderedMail {
  const ref = oneLine(i.caseRef, 60);
  return {
    subject: `[Village] ${ref} needs coordinator attention`,
    text: [
      `Case ${ref} has been escalated to you: ${oneLine(i.reason, 300)}.`,
      '',
      'Sign in to review it:',
      '',
      `  ${caseUrl(site, i.caseId)}`,
      footer(site, 'You receive this as a coordinator of the case.'),
    ].join('\n'),
  };
}

export interface ReporterAcknowledgementInput {
  /** The report's reference, e.g. "VIL-R-2026-0007". */
  reportRef: string;
  /** The reporter's private reply link: an absolute URL on this instance. */
  replyUrl: string;
}

/** To a reporter without an account: we received the report; here is the private link to follow up. */
export function reporterAcknowledgement(site: Site, i: ReporterAcknowledgementInput): RenderedMail {
  const root = base(site);
  if (!i.replyUrl.startsWith(`${root}/`)) throw new Error('the reply link must point to this instance');
  if (/[\s<>"]/.test(i.replyUrl)) throw new Error('the reply link must be a URL without spaces or quotes');
  const ref = oneLine(i.reportRef, 60);
  return {
    subject: `[Village] We received your report ${ref}`,
    text: [
      'Thank you for your report. It has been received and a coordinator will review it.',
      '',
      `Your report reference is ${ref}. To read replies and to add information, use your`,
      'private link:',
      '',
      `  ${i.replyUrl}`,
      '',
      'Keep this link to yourself: anyone who has it can read and answer in this conversation.',
      'If you did not submit a report, you can ignore this message.',
      footer(site, 'You receive this because this address was given with a vulnerability report.'),
    ].join('\n'),
  };
}

export interface CaseUpdateInput {
  caseRef: string;
  caseId: string;
  /** What changed, in a few words and without case content, e.g. "the embargo changed". */
  what: string;
}

/** Something changed in a case that every participant should look at; the details stay behind sign-in. */
export function caseUpdate(site: Site, i: CaseUpdateInput): RenderedMail {
  const ref = oneLine(i.caseRef, 60);
  return {
    subject: `[Village] ${ref}: ${oneLine(i.what, 80)}`,
    text: [
      `In case ${ref}, ${oneLine(i.what, 200)}.`,
      '',
      'Sign in to see what changed:',
      '',
      `  ${caseUrl(site, i.caseId)}`,
      footer(site, `You receive this as a participant in case ${ref}.`),
    ].join('\n'),
  };
}

export interface ReporterReplyInput {
  reportRef: string;
}

/** To a reporter: the coordinator wrote. The private link is not stored, so it is not repeated here. */
export function reporterReplyNotice(site: Site, i: ReporterReplyInput): RenderedMail {
  const ref = oneLine(i.reportRef, 60);
  return {
    subject: `[Village] A coordinator replied about your report ${ref}`,
    text: [
      `A coordinator has written to you about your report ${ref}.`,
      '',
      'Open the private link from our first message to read it and to answer.',
      footer(site, 'You receive this because this address was given with a vulnerability report.'),
    ].join('\n'),
  };
}

export interface BriefingNoticeInput {
  caseRef: string;
  caseId: string;
  orgName: string;
  tentName: string;
}

/** A tent opened for the organization: its briefing packet waits behind sign-in. */
export function briefingNotice(site: Site, i: BriefingNoticeInput): RenderedMail {
  const ref = oneLine(i.caseRef, 60);
  return {
    subject: `[Village] ${ref}: ${oneLine(i.orgName, 80)} is brought into a coordinated disclosure case`,
    text: [
      `${oneLine(i.orgName)} is now in the tent “${oneLine(i.tentName, 120)}” of case ${ref}.`,
      '',
      'A briefing packet brings you up to speed: what the case is, its vulnerabilities, the',
      'timeline so far and the release date. It is shared only inside Village; sign in to read it:',
      '',
      `  ${caseUrl(site, i.caseId)}/briefing`,
      '',
      'The case carries parachute cords (events on which Village acts at once, up to ending the',
      'embargo): please read them on the case page and acknowledge them for your organization.',
      footer(site, `You receive this as a member of ${oneLine(i.orgName)}.`),
    ].join('\n'),
  };
}

export interface StandingChangeInput {
  caseRef: string;
  caseId: string;
  orgName: string;
  change: 'ejected' | 'suspended';
}

/** To a case's coordinator: a participant lost its access; what it had seen is in the case timeline. */
export function standingChangeNotice(site: Site, i: StandingChangeInput): RenderedMail {
  const ref = oneLine(i.caseRef, 60);
  return {
    subject: `[Village] ${ref}: ${oneLine(i.orgName, 80)} was ${i.change} from the community`,
    text: [
      `${oneLine(i.orgName)} was ${i.change} from the trust community of case ${ref}. Its users and`,
      'tokens no longer have access to the case.',
      '',
      'What the organization had seen of the case (from the audit log) is in the case timeline,',
      'visible to the coordinator only:',
      '',
      `  ${caseUrl(site, i.caseId)}`,
      footer(site, `You receive this as the coordinator of case ${ref}.`),
    ].join('\n'),
  };
}
