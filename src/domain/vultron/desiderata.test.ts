import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DESIDERATA, type DesideratumRow, type HistoryEvent, participantHistory, scoreDesiderata } from './desiderata.ts';

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);

function score(history: HistoryEvent[], participants?: string[]) {
  const r = scoreDesiderata(history, participants ? { participants } : {});
  if (!r.ok) throw new Error(r.reason);
  return r;
}

function statusOf(rows: DesideratumRow[], id: string, participant: string | null = null) {
  return rows.find((r) => r.id === id && r.participant === participant)?.status;
}

describe('desiderata', () => {
  it('lists the twelve desiderata of the docs, in order', () => {
    expect(DESIDERATA.map((d) => d.id)).toEqual([
      'V≺P',
      'V≺X',
      'V≺A',
      'F≺P',
      'F≺X',
      'F≺A',
      'D≺P',
      'D≺X',
      'D≺A',
      'P≺X',
      'P≺A',
      'X≺A',
    ]);
    expect(DESIDERATA.filter((d) => d.scope === 'case').map((d) => d.id)).toEqual(['P≺X', 'P≺A', 'X≺A']);
  });

  it('a textbook history (V F D P X A) meets everything', () => {
    const { rows, summary } = score([
      { event: 'V', participant: 'acme', at: day(0) },
      { event: 'F', participant: 'acme', at: day(30) },
      { event: 'D', participant: 'acme', at: day(40) },
      { event: 'P', at: day(45) },
      { event: 'X', at: day(60) },
      { event: 'A', at: day(90) },
    ]);
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.status === 'met')).toBe(true);
    expect(summary.every((s) => s.met === 1 && s.missed === 0 && s.undetermined === 0)).toBe(true);
    const vp = rows.find((r) => r.id === 'V≺P');
    expect(vp).toMatchObject({ participant: 'acme', beforeAt: day(0), afterAt: day(45), simultaneous: false });
  });

  it('public before the fix: the F and D rows against P are missed; open rows stay undetermined', () => {
    const { rows } = score([
      { event: 'V', participant: 'acme', at: day(0) },
      { event: 'P', at: day(5) },
      { event: 'F', participant: 'acme', at: day(10) },
      { event: 'X', at: day(12) },
    ]);
    const table = Object.fromEntries(rows.map((r) => [r.id, r.status]));
    expect(table).toEqual({
      'V≺P': 'met',
      'V≺X': 'met',
      'V≺A': 'met',
      'F≺P': 'missed',
      'F≺X': 'met',
      'F≺A': 'met',
      'D≺P': 'missed',
      'D≺X': 'missed',
      'D≺A': 'undetermined',
      'P≺X': 'met',
      'P≺A': 'met',
      'X≺A': 'met',
    });
    expect(rows.find((r) => r.id === 'F≺P')).toMatchObject({ beforeAt: day(10), afterAt: day(5) });
    expect(rows.find((r) => r.id === 'D≺A')).toMatchObject({ beforeAt: null, afterAt: null });
  });

  it('multi-party: one row per participant for V/F/D desiderata, one case row for P/X/A', () => {
    const r = score(
      [
        { event: 'V', participant: 'upstream', at: day(0) },
        { event: 'F', participant: 'upstream', at: day(20) },
        { event: 'A', at: day(25) },
        { event: 'P', at: day(30) },
        { event: 'V', participant: 'downstream', at: day(31) },
      ],
      ['downstream', 'unreached'],
    );
    expect(r.participants).toEqual(['downstream', 'unreached', 'upstream']);
    expect(r.rows).toHaveLength(9 * 3 + 3);
    expect(statusOf(r.rows, 'V≺P', 'upstream')).toBe('met');
    expect(statusOf(r.rows, 'V≺P', 'downstream')).toBe('missed');
    expect(statusOf(r.rows, 'V≺P', 'unreached')).toBe('missed');
    expect(statusOf(r.rows, 'V≺X', 'unreached')).toBe('undetermined');
    expect(statusOf(r.rows, 'F≺A', 'upstream')).toBe('met');
    expect(statusOf(r.rows, 'P≺A')).toBe('missed');
    expect(statusOf(r.rows, 'X≺A')).toBe('missed');
    expect(r.summary.find((s) => s.id === 'V≺P')).toEqual({ id: 'V≺P', met: 1, missed: 2, undetermined: 0 });
  });

  it('flags simultaneous events; the history order decides', () => {
    const { rows } = score([
      { event: 'V', participant: 'acme', at: day(0) },
      { event: 'F', participant: 'acme', at: day(5) },
      { event: 'P', at: day(5) },
    ]);
    expect(rows.find((r) => r.id === 'F≺P')).toMatchObject({ status: 'met', simultaneous: true });
  });

  it('refuses malformed histories', () => {
    const bad: HistoryEvent[][] = [
      [{ event: 'F', participant: 'acme', at: day(0) }],
      [
        { event: 'V', participant: 'acme', at: day(0) },
        { event: 'D', participant: 'acme', at: day(1) },
      ],
      [
        { event: 'V', participant: 'acme', at: day(0) },
        { event: 'V', participant: 'acme', at: day(1) },
      ],
      [
        { event: 'P', at: day(2) },
        { event: 'X', at: day(1) },
      ],
      [
        { event: 'P', at: day(0) },
        { event: 'P', at: day(1) },
      ],
      [{ event: 'P', participant: 'acme', at: day(0) } as unknown as HistoryEvent],
      [{ event: 'V', at: day(0) } as unknown as HistoryEvent],
      [{ event: 'Q', at: day(0) } as unknown as HistoryEvent],
      [{ event: 'P', at: new Date(Number.NaN) }],
    ];
    for (const h of bad) expect(scoreDesiderata(h).ok).toBe(false);
  });

  it('participantHistory projects one participant’s six-event history', () => {
    const h: HistoryEvent[] = [
      { event: 'V', participant: 'a', at: day(0) },
      { event: 'V', participant: 'b', at: day(1) },
      { event: 'P', at: day(2) },
      { event: 'F', participant: 'a', at: day(3) },
    ];
    expect(participantHistory(h, 'a')).toBe('VPF');
    expect(participantHistory(h, 'b')).toBe('VP');
  });

  // Random well-formed multi-party histories: a shuffled subset of events, with each vendor's
  // events relabelled V, F, D in order of appearance (the Vendor Fix Path), and times that never
  // decrease (sometimes equal).
  const historyArb = fc
    .tuple(
      fc.shuffledSubarray(['a', 'a', 'a', 'b', 'b', 'b', 'P', 'X', 'A'] as const),
      fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 9, maxLength: 9 }),
    )
    .map(([tokens, gaps]) => {
      const seen: Record<string, number> = { a: 0, b: 0 };
      let t = 0;
      return tokens.map((tok, i): HistoryEvent => {
        t += gaps[i] ?? 0;
        const at = day(t);
        if (tok === 'a' || tok === 'b') {
          const n = seen[tok] ?? 0;
          seen[tok] = n + 1;
          return { event: (['V', 'F', 'D'] as const)[n] ?? 'D', participant: tok, at };
        }
        return { event: tok, at };
      });
    });

  it('property: every (desideratum, participant) gets exactly one verdict, consistent with the event times', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const r = score(h, ['a', 'b']);
        const keys = r.rows.map((x) => `${x.id}/${x.participant}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(r.rows).toHaveLength(9 * 2 + 3);
        for (const row of r.rows) {
          if (row.status === 'met') expect(row.beforeAt).not.toBeNull();
          if (row.status === 'missed') expect(row.afterAt).not.toBeNull();
          if (row.status === 'undetermined') expect([row.beforeAt, row.afterAt]).toEqual([null, null]);
          if (row.beforeAt && row.afterAt && row.beforeAt.getTime() !== row.afterAt.getTime()) {
            expect(row.status).toBe(row.beforeAt < row.afterAt ? 'met' : 'missed');
          }
        }
        for (const s of r.summary) expect(s.met + s.missed + s.undetermined).toBe(s.id.match(/^[VFD]/) ? 2 : 1);
      }),
    );
  });

  it('property: once a row is met or missed, later events never change it', () => {
    fc.assert(
      fc.property(historyArb, fc.nat(), (h, cut) => {
        const prefix = h.slice(0, h.length === 0 ? 0 : cut % (h.length + 1));
        const early = score(prefix, ['a', 'b']).rows;
        const late = score(h, ['a', 'b']).rows;
        for (const row of early) {
          if (row.status === 'undetermined') continue;
          const same = late.find((x) => x.id === row.id && x.participant === row.participant);
          expect(same?.status).toBe(row.status);
        }
      }),
    );
  });
});
