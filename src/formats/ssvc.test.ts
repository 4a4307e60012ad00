import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SSVC_DECISION_POINTS,
  SSVC_TABLE,
  SSVC_TABLE_IDS,
  SsvcDecisionRequest,
  SsvcError,
  ssvcDecide,
  ssvcTable,
  ssvcTables,
} from './ssvc.ts';

const dataDir = new URL('./ssvc-data/', import.meta.url);
const readJson = (rel: string) => JSON.parse(readFileSync(new URL(rel, dataDir), 'utf8'));

interface RawTable {
  key: string;
  decision_points: Record<string, { key: string }>;
  outcome: string;
  mapping: Record<string, string>[];
}

const tableFiles = readdirSync(new URL('decision_tables/', dataDir)).filter((f) => f.endsWith('.json'));

function expectSsvcError(fn: () => unknown, code: string, details: Record<string, string>): SsvcError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SsvcError);
  const err = caught as SsvcError;
  expect(err.code).toBe(code);
  expect(err.details).toMatchObject(details);
  return err;
}

describe('vendored SSVC data', () => {
  it('has a table file for each supported table and nothing else', () => {
    const keys = tableFiles.map((f) => (readJson(`decision_tables/${f}`) as RawTable).key).sort();
    expect(keys).toEqual([...SSVC_TABLE_IDS].sort());
  });

  it('every decision point a table embeds is vendored, identical, beside it', () => {
    for (const f of tableFiles) {
      const t = readJson(`decision_tables/${f}`) as RawTable;
      for (const [id, embedded] of Object.entries(t.decision_points)) {
        const point = SSVC_DECISION_POINTS[id];
        expect(point, `${t.key} uses ${id}`).toBeDefined();
        expect(point?.key).toBe(embedded.key);
      }
    }
    for (const f of readdirSync(new URL('decision_points/', dataDir))) {
      const raw = readJson(`decision_points/${f}`);
      const id = `${raw.namespace}:${raw.key}:${raw.version}`;
      const embeddedCopies = tableFiles
        .map((t) => (readJson(`decision_tables/${t}`) as RawTable).decision_points[id])
        .filter((x) => x !== undefined);
      expect(embeddedCopies.length, `${f} is used by a table`).toBeGreaterThan(0);
      for (const copy of embeddedCopies) expect(copy).toEqual(raw);
    }
  });

  // The upstream copy in shared/ (beside the repository) is read by this test only; the product never reads it.
  const shared = new URL('../../../shared/data/ssvc/', import.meta.url);
  it.skipIf(!existsSync(shared))('is byte-for-byte the copy in shared/data/ssvc', () => {
    for (const dir of ['decision_tables/', 'decision_points/']) {
      for (const f of readdirSync(new URL(dir, dataDir))) {
        expect(readFileSync(new URL(dir + f, dataDir)).equals(readFileSync(new URL(dir + f, shared))), dir + f).toBe(true);
      }
    }
    expect(readFileSync(new URL('LICENSE', dataDir)).equals(readFileSync(new URL('LICENSE', shared)))).toBe(true);
  });

  it('ships the licence and a README naming the source', () => {
    expect(readFileSync(new URL('LICENSE', dataDir), 'utf8')).toMatch(/Carnegie Mellon University/);
    expect(readFileSync(new URL('README.md', dataDir), 'utf8')).toMatch(/CERTCC\/SSVC/);
  });
});

describe('ssvcDecide agrees with every row of every table', () => {
  for (const f of tableFiles) {
    const t = readJson(`decision_tables/${f}`) as RawTable;
    it(`${t.key}: ${t.mapping.length} rows`, () => {
      for (const row of t.mapping) {
        const values: Record<string, string> = {};
        for (const [id, v] of Object.entries(row)) if (id !== t.outcome) values[t.decision_points[id]?.key as string] = v;
        const d = ssvcDecide(t.key, values);
        expect(d.outcome.key, JSON.stringify(row)).toBe(row[t.outcome]);
        expect(d.outcome.decisionPoint).toBe(t.outcome);
      }
    });
  }
});

describe('supplier patch development priority (DT_SP)', () => {
  it.each([
    [{ E: 'N', U: 'L', TI: 'P', PSI: 'M' }, 'D', 'Defer'],
    [{ E: 'N', U: 'S', TI: 'T', PSI: 'M' }, 'O', 'Out-of-Cycle'],
    [{ E: 'P', U: 'L', TI: 'T', PSI: 'M' }, 'S', 'Scheduled'],
    [{ E: 'P', U: 'L', TI: 'T', PSI: 'S' }, 'I', 'Immediate'],
    [{ E: 'A', U: 'S', TI: 'P', PSI: 'M' }, 'I', 'Immediate'],
  ])('%o → %s', (values, key, name) => {
    const d = ssvcDecide(SSVC_TABLE.supplierPatchDevelopmentPriority, values);
    expect(d).toMatchObject({ table: 'DT_SP', qualifiedTable: 'ssvc:DT_SP:1.0.0', version: '1.0.0', namespace: 'ssvc' });
    expect(d.outcome).toMatchObject({ decisionPoint: 'ssvc:DSOI:1.0.0', key, name });
    expect(d.selections.map((s) => s.key)).toEqual(['E', 'U', 'TI', 'PSI']);
  });

  it('derives Utility from Automatable and Value Density, and Public Safety Impact from Safety Impact', () => {
    const d = ssvcDecide('DT_SP', { E: 'P', A: 'N', VD: 'D', TI: 'T', SI: 'M' });
    // A:N + VD:D → U:L (Laborious); SI:M → PSI:S (Significant); E:P, U:L, TI:T, PSI:S → Immediate.
    expect(d.outcome.key).toBe('I');
    const u = d.selections.find((s) => s.key === 'U');
    expect(u).toMatchObject({ decisionPoint: 'ssvc:U:1.0.1', value: 'L', valueName: 'Laborious', derivedBy: 'DT_U' });
    expect(d.selections.find((s) => s.key === 'PSI')).toMatchObject({ value: 'S', derivedBy: 'DT_PSI' });
    expect(d.selections.map((s) => s.key)).toEqual(['E', 'A', 'VD', 'U', 'TI', 'SI', 'PSI']);
  });

  it('accepts decision point ids and value names', () => {
    const d = ssvcDecide('ssvc:DT_SP:1.0.0', { 'ssvc:E:1.1.0': 'active', U: 'Super Effective', TI: 'Total', PSI: 'Minimal' });
    expect(d.outcome.key).toBe('I');
  });

  it('accepts a given input that agrees with the derived one', () => {
    expect(ssvcDecide('DT_SP', { E: 'N', U: 'S', A: 'Y', VD: 'C', TI: 'P', PSI: 'M' }).outcome.key).toBe('S');
  });
});

describe('coordinator tables', () => {
  it.each([
    [{ RP: 'Y', SCON: 'N', RC: 'NC', SC: 'O', SE: 'A', U: 'L', PSI: 'M' }, 'D', 'Decline'],
    [{ RP: 'N', SCON: 'Y', RC: 'C', SC: 'O', SE: 'U', U: 'L', PSI: 'M' }, 'T', 'Track'],
    [{ RP: 'N', SCON: 'Y', RC: 'C', SC: 'O', SE: 'U', U: 'L', PSI: 'S' }, 'C', 'Coordinate'],
    [{ RP: 'N', SCON: 'Y', RC: 'C', SC: 'M', SE: 'U', U: 'S', PSI: 'M' }, 'C', 'Coordinate'],
  ])('triage %o → %s', (values, key, name) => {
    const d = ssvcDecide(SSVC_TABLE.coordinatorTriage, values);
    expect(d.outcome).toMatchObject({ decisionPoint: 'ssvc:COORDINATE:1.0.1', key, name });
  });

  it.each([
    [{ SINV: 'FR', E: 'N', PVA: 'L' }, 'N'],
    [{ SINV: 'FR', E: 'A', PVA: 'L' }, 'N'],
    [{ SINV: 'UU', E: 'A', PVA: 'L' }, 'P'],
    [{ SINV: 'UU', E: 'P', PVA: 'A' }, 'P'],
    [{ SINV: 'C', E: 'P', PVA: 'A' }, 'N'],
    [{ SINV: 'C', E: 'N', PVA: 'P' }, 'P'],
  ])('publish %o → %s', (values, key) => {
    const d = ssvcDecide(SSVC_TABLE.coordinatorPublish, values);
    expect(d.outcome.key).toBe(key);
    expect(d.outcome.name).toBe(key === 'P' ? 'Publish' : 'Do Not Publish');
  });

  it('derives triage inputs too', () => {
    const d = ssvcDecide('DT_COORD_TRIAGE', { RP: 'N', SCON: 'Y', RC: 'C', SC: 'O', SE: 'U', A: 'N', VD: 'D', SI: 'N' });
    expect(d.outcome.key).toBe('T');
  });
});

describe('bad input', () => {
  it('unknown table', () => {
    expectSsvcError(() => ssvcDecide('DT_CISA', { E: 'A' }), 'unknown_table', { table: 'DT_CISA' });
    expect(() => ssvcTable('nope')).toThrow(SsvcError);
  });

  it('missing decision point, naming the helper alternative', () => {
    const err = expectSsvcError(() => ssvcDecide('DT_SP', { E: 'A', TI: 'T', PSI: 'M' }), 'missing_decision_point', {
      table: 'DT_SP',
      decisionPoint: 'U',
    });
    expect(err.message).toMatch(/A \(Automatable\) and VD \(Value Density\)/);
    expectSsvcError(() => ssvcDecide('DT_COORD_PUBLISH', { SINV: 'FR', E: 'A' }), 'missing_decision_point', {
      decisionPoint: 'PVA',
    });
  });

  it('half of a helper table’s inputs', () => {
    expectSsvcError(() => ssvcDecide('DT_SP', { E: 'A', A: 'Y', TI: 'T', PSI: 'M' }), 'missing_decision_point', {
      table: 'DT_U',
      decisionPoint: 'VD',
    });
  });

  it('unknown decision point', () => {
    const err = expectSsvcError(
      () => ssvcDecide('DT_COORD_PUBLISH', { SINV: 'FR', E: 'A', PVA: 'L', MWI: 'D' }),
      'unknown_decision_point',
      { decisionPoint: 'MWI' },
    );
    expect(err.message).toMatch(/SINV, E, PVA/);
    // A helper's input is unknown to a table that takes no derived input.
    expectSsvcError(() => ssvcDecide('DT_COORD_PUBLISH', { SINV: 'FR', E: 'A', PVA: 'L', A: 'Y' }), 'unknown_decision_point', {
      decisionPoint: 'A',
    });
  });

  it('unknown value, listing the allowed ones', () => {
    const err = expectSsvcError(() => ssvcDecide('DT_SP', { E: 'X', U: 'L', TI: 'T', PSI: 'M' }), 'unknown_value', {
      decisionPoint: 'E',
      value: 'X',
    });
    expect(err.message).toMatch(/N \(None\), P \(Public PoC\), A \(Active\)/);
  });

  it('conflicting values', () => {
    expectSsvcError(() => ssvcDecide('DT_SP', { E: 'A', U: 'S', A: 'N', VD: 'D', TI: 'T', PSI: 'M' }), 'conflicting_values', {
      decisionPoint: 'U',
    });
    expectSsvcError(() => ssvcDecide('DT_SP', { E: 'A', 'ssvc:E:1.1.0': 'N', U: 'S', TI: 'T', PSI: 'M' }), 'conflicting_values', {
      decisionPoint: 'E',
    });
  });
});

describe('catalogue for a UI or API', () => {
  it('lists the tables with their inputs and outcomes', () => {
    const tables = ssvcTables();
    expect(tables.map((t) => t.id)).toEqual(['DT_SP', 'DT_COORD_TRIAGE', 'DT_COORD_PUBLISH', 'DT_U', 'DT_PSI']);
    const sp = ssvcTable('DT_SP');
    expect(sp).toMatchObject({ name: 'Supplier Patch Development Priority', role: 'supplier', rows: 36 });
    expect(sp.inputs.map((p) => p.id)).toEqual(['ssvc:E:1.1.0', 'ssvc:U:1.0.1', 'ssvc:TI:1.0.0', 'ssvc:PSI:2.0.1']);
    expect(sp.outcome.values.map((v) => v.name)).toEqual(['Defer', 'Scheduled', 'Out-of-Cycle', 'Immediate']);
    expect(sp.derivable).toEqual({ U: 'DT_U', PSI: 'DT_PSI' });
    expect(ssvcTable('DT_COORD_TRIAGE').outcome.values.map((v) => v.name)).toEqual(['Decline', 'Track', 'Coordinate']);
  });

  it('exposes every decision point with values and definitions', () => {
    const e = SSVC_DECISION_POINTS['ssvc:E:1.1.0'];
    expect(e).toMatchObject({ namespace: 'ssvc', key: 'E', version: '1.1.0', name: 'Exploitation' });
    expect(e?.values.map((v) => v.key)).toEqual(['N', 'P', 'A']);
    for (const p of Object.values(SSVC_DECISION_POINTS)) {
      expect(p.definition.length).toBeGreaterThan(0);
      for (const v of p.values) expect(v.definition.length).toBeGreaterThan(0);
    }
    expect(Object.keys(SSVC_DECISION_POINTS)).toHaveLength(17);
  });

  it('has a request schema', () => {
    expect(SsvcDecisionRequest.safeParse({ table: 'DT_SP', values: { E: 'A' } }).success).toBe(true);
    expect(SsvcDecisionRequest.safeParse({ table: 'DT_DP', values: {} }).success).toBe(false);
  });
});
