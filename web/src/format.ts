// Pure formatting helpers (no DOM): dates in the viewer's time zone with a UTC form for hover,
// and the names of the Vultron states. Unit-tested in test/web-format.test.ts.

/** "12 Mar 2026, 14:05" in the given (default: the viewer's) time zone and locale. */
export function formatLocal(iso: string, opts: { timeZone?: string; locale?: string } = {}): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(opts.locale, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
    timeZoneName: 'short',
  }).format(d);
}

/** "2026-03-12 14:05 UTC": the unambiguous form, shown on hover. */
export function formatUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "in 3 days", "2 hours ago", relative to now. */
export function formatRelative(iso: string, now: Date = new Date(), locale?: string): string {
  const diff = new Date(iso).getTime() - now.getTime();
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  for (const [unit, ms] of units) {
    if (abs >= ms || unit === 'minute') return rtf.format(Math.round(diff / ms), unit);
  }
  return rtf.format(0, 'minute');
}

/** A <input type="datetime-local"> value (local time, no zone) → ISO 8601 UTC; undefined when empty or invalid. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** ISO 8601 → an <input type="datetime-local" step="1"> value in the viewer's zone (to the second). */
export function isoToLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export const RM_STATES: Record<string, string> = {
  S: 'Start',
  R: 'Received',
  I: 'Invalid',
  V: 'Valid',
  D: 'Deferred',
  A: 'Accepted',
  C: 'Closed',
};

export const EM_STATES: Record<string, string> = {
  N: 'No embargo',
  P: 'Proposed',
  A: 'Active',
  R: 'Revision proposed',
  X: 'Exited',
};

export const STATEMENT_STATUS: Record<string, string> = {
  under_investigation: 'Under investigation',
  affected: 'Affected',
  not_affected: 'Not affected',
  fixed: 'Fixed',
};

export const VEX_JUSTIFICATIONS: Record<string, string> = {
  component_not_present: 'Component not present',
  vulnerable_code_not_present: 'Vulnerable code not present',
  vulnerable_code_not_in_execute_path: 'Vulnerable code not in execute path',
  vulnerable_code_cannot_be_controlled_by_adversary: 'Vulnerable code cannot be controlled by an adversary',
  inline_mitigations_already_exist: 'Inline mitigations already exist',
};

export const RM_ACTION_LABELS: Record<string, string> = {
  receive: 'Mark received',
  validate: 'Validate',
  invalidate: 'Invalidate',
  accept: 'Accept',
  defer: 'Defer',
  close: 'Close',
};

export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
