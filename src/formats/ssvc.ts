// SSVC (CERT/CC Stakeholder-Specific Vulnerability Categorization) decisions, driven by the official
// decision tables vendored in ./ssvc-data (see its README.md for source, version and licence).
//
// Tables offered: Supplier Patch Development Priority (DT_SP), Coordinator Triage (DT_COORD_TRIAGE),
// Coordinator Publish (DT_COORD_PUBLISH), and the helper tables Utility (DT_U: Automatable + Value
// Density → Utility) and Public Safety Impact (DT_PSI: Safety Impact → Public Safety Impact). A table
// input that a helper table yields may be given directly or derived: DT_SP accepts U, or A and VD.
//
// The SSVC data (schemaVersion 2.0.0) defines no vector string, so none is produced; a decision names
// each decision point by the data's own id (`namespace:key:version`, e.g. `ssvc:E:1.1.0`).
import { z } from 'zod';
import pointA from './ssvc-data/decision_points/automatable_2_0_0.json' with { type: 'json' };
import pointCoordinate from './ssvc-data/decision_points/decline_track_coordinate_1_0_1.json' with { type: 'json' };
import pointDsoi from './ssvc-data/decision_points/defer_scheduled_out_of_cycle_immediate_1_0_0.json' with { type: 'json' };
import pointE from './ssvc-data/decision_points/exploitation_1_1_0.json' with { type: 'json' };
import pointPsi from './ssvc-data/decision_points/public_safety_impact_2_0_1.json' with { type: 'json' };
import pointPva from './ssvc-data/decision_points/public_value_added_1_0_0.json' with { type: 'json' };
import pointPublish from './ssvc-data/decision_points/publish_do_not_publish_1_0_0.json' with { type: 'json' };
import pointRc from './ssvc-data/decision_points/report_credibility_1_0_0.json' with { type: 'json' };
import pointRp from './ssvc-data/decision_points/report_public_1_0_0.json' with { type: 'json' };
import pointSi from './ssvc-data/decision_points/safety_impact_2_0_1.json' with { type: 'json' };
import pointSc from './ssvc-data/decision_points/supplier_cardinality_1_0_0.json' with { type: 'json' };
import pointScon from './ssvc-data/decision_points/supplier_contacted_1_0_0.json' with { type: 'json' };
import pointSe from './ssvc-data/decision_points/supplier_engagement_1_0_0.json' with { type: 'json' };
import pointSinv from './ssvc-data/decision_points/supplier_involvement_1_0_0.json' with { type: 'json' };
import pointTi from './ssvc-data/decision_points/technical_impact_1_0_0.json' with { type: 'json' };
import pointU from './ssvc-data/decision_points/utility_1_0_1.json' with { type: 'json' };
import pointVd from './ssvc-data/decision_points/value_density_1_0_0.json' with { type: 'json' };
import tableCoordPublish from './ssvc-data/decision_tables/coordinator_publish_decision_table_1_0_0.json' with { type: 'json' };
import tableCoordTriage from './ssvc-data/decision_tables/coordinator_triage_1_0_0.json' with { type: 'json' };
import tablePsi from './ssvc-data/decision_tables/public_safety_impact_1_0_0.json' with { type: 'json' };
import tableSp from './ssvc-data/decision_tables/supplier_patch_development_priority_1_0_0.json' with { type: 'json' };
import tableU from './ssvc-data/decision_tables/utility_1_0_0.json' with { type: 'json' };

// ---------------------------------------------------------------------------------------------
// Shapes (checked against the vendored files at module load)

const ValueFile = z.object({ key: z.string().min(1), name: z.string().min(1), definition: z.string().min(1) });
const PointFile = z.object({
  namespace: z.string().min(3),
  key: z.string().min(1),
  version: z.string().min(5),
  name: z.string().min(1),
  definition: z.string().min(1),
  schemaVersion: z.literal('2.0.0'),
  values: z.array(ValueFile).min(1),
});
const TableFile = z.object({
  namespace: z.string().min(3),
  key: z.string().min(1),
  version: z.string().min(5),
  name: z.string().min(1),
  definition: z.string().min(1),
  schemaVersion: z.literal('2.0.0'),
  decision_points: z.record(z.string(), PointFile),
  outcome: z.string().min(1),
  mapping: z.array(z.record(z.string(), z.string())).min(1),
});

export interface SsvcValue {
  readonly key: string;
  readonly name: string;
  readonly definition: string;
}

export interface SsvcDecisionPoint {
  /** `namespace:key:version`, the id the decision tables use, e.g. `ssvc:E:1.1.0`. */
  readonly id: string;
  readonly namespace: string;
  readonly key: string;
  readonly version: string;
  readonly name: string;
  readonly definition: string;
  /** Ordered as in the data (lowest to highest where the data orders them). */
  readonly values: readonly SsvcValue[];
}

export const SSVC_TABLE_IDS = ['DT_SP', 'DT_COORD_TRIAGE', 'DT_COORD_PUBLISH', 'DT_U', 'DT_PSI'] as const;
export type SsvcTableId = (typeof SSVC_TABLE_IDS)[number];
export const SsvcTableIdSchema = z.enum(SSVC_TABLE_IDS);

/** Readable names for the table ids. */
export const SSVC_TABLE = {
  supplierPatchDevelopmentPriority: 'DT_SP',
  coordinatorTriage: 'DT_COORD_TRIAGE',
  coordinatorPublish: 'DT_COORD_PUBLISH',
  utility: 'DT_U',
  publicSafetyImpact: 'DT_PSI',
} as const satisfies Record<string, SsvcTableId>;

export type SsvcTableRole = 'supplier' | 'coordinator' | 'helper';

export interface SsvcTable {
  readonly id: SsvcTableId;
  /** `namespace:key:version`, e.g. `ssvc:DT_SP:1.0.0`. */
  readonly qualifiedId: string;
  readonly namespace: string;
  readonly version: string;
  readonly name: string;
  readonly definition: string;
  readonly role: SsvcTableRole;
  /** Input decision points, in the table's column order. */
  readonly inputs: readonly SsvcDecisionPoint[];
  readonly outcome: SsvcDecisionPoint;
  /** Inputs that may be left out and derived by a helper table: decision point key → helper table id. */
  readonly derivable: Readonly<Record<string, SsvcTableId>>;
  readonly rows: number;
}

export interface SsvcSelection {
  /** Decision point id, e.g. `ssvc:U:1.0.1`. */
  readonly decisionPoint: string;
  readonly key: string;
  readonly name: string;
  readonly value: string;
  readonly valueName: string;
  /** Set when the value was not given but derived by this helper table. */
  readonly derivedBy?: SsvcTableId;
}

export interface SsvcDecision {
  readonly table: SsvcTableId;
  readonly qualifiedTable: string;
  readonly tableName: string;
  readonly namespace: string;
  readonly version: string;
  readonly outcome: {
    readonly decisionPoint: string;
    readonly key: string;
    readonly name: string;
    readonly definition: string;
  };
  /** Every input of the table (and of helper tables used), in column order. */
  readonly selections: readonly SsvcSelection[];
}

export type SsvcErrorCode =
  | 'unknown_table'
  | 'missing_decision_point'
  | 'unknown_decision_point'
  | 'unknown_value'
  | 'conflicting_values';

export class SsvcError extends Error {
  override readonly name = 'SsvcError';
  constructor(
    readonly code: SsvcErrorCode,
    message: string,
    readonly details: { table?: string; decisionPoint?: string; value?: string } = {},
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Load and index the vendored data

const pointFiles: unknown[] = [
  pointE,
  pointU,
  pointTi,
  pointPsi,
  pointDsoi,
  pointRp,
  pointScon,
  pointRc,
  pointSc,
  pointSe,
  pointCoordinate,
  pointSinv,
  pointPva,
  pointPublish,
  pointA,
  pointVd,
  pointSi,
];

function toPoint(raw: z.infer<typeof PointFile>): SsvcDecisionPoint {
  return Object.freeze({
    id: `${raw.namespace}:${raw.key}:${raw.version}`,
    namespace: raw.namespace,
    key: raw.key,
    version: raw.version,
    name: raw.name,
    definition: raw.definition,
    values: Object.freeze(raw.values.map((v) => Object.freeze({ key: v.key, name: v.name, definition: v.definition }))),
  });
}

/** Every decision point Village vendors, keyed by id (`ssvc:E:1.1.0`). */
export const SSVC_DECISION_POINTS: Readonly<Record<string, SsvcDecisionPoint>> = Object.freeze(
  Object.fromEntries(
    pointFiles.map((f) => {
      const p = toPoint(PointFile.parse(f));
      return [p.id, p];
    }),
  ),
);

interface IndexedTable {
  readonly table: SsvcTable;
  readonly lookup: ReadonlyMap<string, string>;
}

const tableSources: ReadonlyArray<{ id: SsvcTableId; role: SsvcTableRole; file: unknown }> = [
  { id: 'DT_SP', role: 'supplier', file: tableSp },
  { id: 'DT_COORD_TRIAGE', role: 'coordinator', file: tableCoordTriage },
  { id: 'DT_COORD_PUBLISH', role: 'coordinator', file: tableCoordPublish },
  { id: 'DT_U', role: 'helper', file: tableU },
  { id: 'DT_PSI', role: 'helper', file: tablePsi },
];

function indexTable(id: SsvcTableId, role: SsvcTableRole, file: unknown): IndexedTable {
  const raw = TableFile.parse(file);
  if (raw.key !== id) throw new Error(`SSVC data: expected table ${id}, found ${raw.key}`);
  const points = Object.entries(raw.decision_points).map(([pid, p]) => {
    const point = toPoint(p);
    if (point.id !== pid) throw new Error(`SSVC data: ${id} lists ${point.id} under ${pid}`);
    return point;
  });
  const outcome = points.find((p) => p.id === raw.outcome);
  if (!outcome) throw new Error(`SSVC data: ${id} has no outcome decision point ${raw.outcome}`);
  const inputs = points.filter((p) => p.id !== raw.outcome);
  const lookup = new Map<string, string>();
  for (const row of raw.mapping) {
    const keys = inputs.map((p) => {
      const v = row[p.id];
      if (v === undefined || !p.values.some((x) => x.key === v)) throw new Error(`SSVC data: ${id} row has bad ${p.id}=${v}`);
      return v;
    });
    const out = row[outcome.id];
    if (out === undefined || !outcome.values.some((x) => x.key === out)) throw new Error(`SSVC data: ${id} row has bad outcome`);
    const k = keys.join('\u0000');
    if (lookup.has(k)) throw new Error(`SSVC data: ${id} has a duplicate row ${keys.join('/')}`);
    lookup.set(k, out);
  }
  const combinations = inputs.reduce((n, p) => n * p.values.length, 1);
  if (lookup.size !== combinations) throw new Error(`SSVC data: ${id} covers ${lookup.size} of ${combinations} combinations`);
  const table: SsvcTable = {
    id,
    qualifiedId: `${raw.namespace}:${raw.key}:${raw.version}`,
    namespace: raw.namespace,
    version: raw.version,
    name: raw.name,
    definition: raw.definition,
    role,
    inputs: Object.freeze(inputs),
    outcome,
    derivable: {},
    rows: raw.mapping.length,
  };
  return { table, lookup };
}

const indexed = new Map<SsvcTableId, IndexedTable>(tableSources.map((s) => [s.id, indexTable(s.id, s.role, s.file)]));

// Which helper table yields which decision point (by id), then each table's derivable inputs.
const helperFor = new Map<string, SsvcTableId>();
for (const { table } of indexed.values()) if (table.role === 'helper') helperFor.set(table.outcome.id, table.id);
for (const [id, entry] of indexed) {
  const derivable: Record<string, SsvcTableId> = {};
  for (const p of entry.table.inputs) {
    const h = helperFor.get(p.id);
    if (h && h !== id) derivable[p.key] = h;
  }
  indexed.set(id, { ...entry, table: Object.freeze({ ...entry.table, derivable: Object.freeze(derivable) }) });
}

// ---------------------------------------------------------------------------------------------
// Public API

/** The tables Village supports, with their decision points, for a UI or API to present. */
export function ssvcTables(): readonly SsvcTable[] {
  return SSVC_TABLE_IDS.map((id) => tableEntry(id).table);
}

export function ssvcTable(id: string): SsvcTable {
  return tableEntry(id).table;
}

function tableEntry(id: string): IndexedTable {
  const bare = SSVC_TABLE_IDS.find((t) => t === id || indexed.get(t)?.table.qualifiedId === id);
  const entry = bare ? indexed.get(bare) : undefined;
  if (!entry)
    throw new SsvcError('unknown_table', `Unknown SSVC decision table "${id}"; known: ${SSVC_TABLE_IDS.join(', ')}`, {
      table: id,
    });
  return entry;
}

function findValue(point: SsvcDecisionPoint, given: string): SsvcValue | undefined {
  return point.values.find((v) => v.key === given) ?? point.values.find((v) => v.name.toLowerCase() === given.toLowerCase());
}

const describe = (p: SsvcDecisionPoint) => `${p.key} (${p.name})`;

/**
 * Decide with an official SSVC table. `values` maps a decision point key (`E`) or id (`ssvc:E:1.1.0`)
 * to a value key (`A`) or value name (`Active`, case-insensitive). Inputs that a helper table yields
 * (Utility, Public Safety Impact) may be left out if the helper's inputs are given instead.
 * Throws SsvcError naming the unknown table, the missing or unknown decision point, or the bad value.
 */
export function ssvcDecide(tableId: string, values: Readonly<Record<string, string>>): SsvcDecision {
  const entry = tableEntry(tableId);
  const given = new Map<string, string>();
  for (const [k, v] of Object.entries(values)) {
    const key = k.includes(':') ? (SSVC_DECISION_POINTS[k]?.key ?? k) : k;
    if (given.has(key)) {
      throw new SsvcError('conflicting_values', `Decision point ${key} given twice`, {
        table: entry.table.id,
        decisionPoint: key,
      });
    }
    given.set(key, v);
  }
  const used = new Set<string>();
  const result = decideWith(entry, given, used);
  const unused = [...given.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) {
    const k = unused[0] as string;
    throw new SsvcError(
      'unknown_decision_point',
      `Decision point "${k}" is not an input of ${entry.table.id} (${entry.table.name}); its inputs are ${inputList(entry.table)}`,
      { table: entry.table.id, decisionPoint: k },
    );
  }
  return result;
}

function inputList(table: SsvcTable): string {
  return table.inputs
    .map((p) => {
      const h = table.derivable[p.key];
      const alt = h
        ? ` (or ${tableEntry(h)
            .table.inputs.map((x) => x.key)
            .join(' + ')})`
        : '';
      return `${p.key}${alt}`;
    })
    .join(', ');
}

function decideWith(entry: IndexedTable, given: ReadonlyMap<string, string>, used: Set<string>): SsvcDecision {
  const { table } = entry;
  const selections: SsvcSelection[] = [];
  const keys: string[] = [];
  for (const point of table.inputs) {
    const raw = given.get(point.key);
    let chosen: SsvcValue | undefined;
    if (raw !== undefined) {
      used.add(point.key);
      chosen = findValue(point, raw);
      if (!chosen) {
        throw new SsvcError(
          'unknown_value',
          `Unknown value "${raw}" for ${describe(point)}; allowed: ${point.values.map((v) => `${v.key} (${v.name})`).join(', ')}`,
          { table: table.id, decisionPoint: point.key, value: raw },
        );
      }
    }
    const helperId = table.derivable[point.key];
    const helper = helperId ? indexed.get(helperId) : undefined;
    const helperGiven = helper ? helper.table.inputs.filter((p) => given.has(p.key)) : [];
    if (helper && helperGiven.length > 0) {
      const missing = helper.table.inputs.filter((p) => !given.has(p.key));
      if (missing.length > 0) {
        const m = missing[0] as SsvcDecisionPoint;
        throw new SsvcError(
          'missing_decision_point',
          `Missing decision point ${describe(m)}: deriving ${describe(point)} with ${helper.table.id} needs ${helper.table.inputs.map((p) => p.key).join(' and ')}`,
          { table: helper.table.id, decisionPoint: m.key },
        );
      }
      const sub = decideWith(helper, given, used);
      const derived = findValue(point, sub.outcome.key) as SsvcValue;
      if (chosen && chosen.key !== derived.key) {
        throw new SsvcError(
          'conflicting_values',
          `${describe(point)} given as ${chosen.key} but ${helper.table.id} derives ${derived.key} from ${helper.table.inputs.map((p) => p.key).join(' and ')}`,
          { table: table.id, decisionPoint: point.key, value: chosen.key },
        );
      }
      if (!chosen) {
        selections.push(...sub.selections);
        chosen = derived;
        selections.push(selection(point, chosen, helper.table.id));
        keys.push(chosen.key);
        continue;
      }
      selections.push(...sub.selections);
    }
    if (!chosen) {
      const alt = helper ? `; give it, or give ${helper.table.inputs.map(describe).join(' and ')} to derive it` : '';
      throw new SsvcError('missing_decision_point', `Missing decision point ${describe(point)} for ${table.id}${alt}`, {
        table: table.id,
        decisionPoint: point.key,
      });
    }
    selections.push(selection(point, chosen));
    keys.push(chosen.key);
  }
  const outKey = entry.lookup.get(keys.join('\u0000'));
  const outValue = outKey === undefined ? undefined : table.outcome.values.find((v) => v.key === outKey);
  if (!outValue) throw new Error(`SSVC ${table.id}: no row for ${keys.join('/')}`); // impossible: tables are checked complete at load
  return {
    table: table.id,
    qualifiedTable: table.qualifiedId,
    tableName: table.name,
    namespace: table.namespace,
    version: table.version,
    outcome: { decisionPoint: table.outcome.id, key: outValue.key, name: outValue.name, definition: outValue.definition },
    selections,
  };
}

function selection(point: SsvcDecisionPoint, value: SsvcValue, derivedBy?: SsvcTableId): SsvcSelection {
  return {
    decisionPoint: point.id,
    key: point.key,
    name: point.name,
    value: value.key,
    valueName: value.name,
    ...(derivedBy ? { derivedBy } : {}),
  };
}

/** Request-body shape for a decision: `{ table, values }`, values keyed by decision point key. */
export const SsvcDecisionRequest = z.object({
  table: SsvcTableIdSchema,
  values: z.record(z.string().min(1).max(64), z.string().min(1).max(64)),
});
