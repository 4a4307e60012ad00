// Kysely table types for products and SBOMs (src/store/migrations/0005_products_sboms.sql, 0015, 0016).
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Int8 = ColumnType<string, number | bigint | string, number | bigint | string>;

export interface ProductsTable {
  id: Generated<string>;
  org_id: string;
  name: string;
  purl: string | null;
  created_at: Timestamp;
}

export interface PackagesTable {
  id: Generated<number>;
  purl: string;
  type: string;
}

export interface PackageVersionsTable {
  id: Generated<number>;
  package_id: number;
  version: string;
}

export type SbomFormatColumn = 'cyclonedx-json' | 'cyclonedx-xml' | 'spdx-json';

export interface SbomsTable {
  id: Generated<number>;
  uid: Generated<string>;
  product_id: string;
  org_id: string;
  product_version: string;
  format: SbomFormatColumn;
  spec_version: string;
  root_name: string | null;
  root_purl: string | null;
  component_count: number;
  direct_count: number;
  edge_count: number;
  edges: Buffer;
  warnings: ColumnType<string[], string | undefined, string>;
  sha256: string;
  size_bytes: Int8;
  uploaded_by: string | null;
  created_at: Timestamp;
}

export interface SbomComponentsTable {
  sbom_id: number;
  idx: number;
  pv_id: number;
  depth: number;
  parent_idx: number;
  /** Ancestors' package-version ids on the stored path, int32 big-endian, product side first. */
  path: Buffer;
}

/** The component index (src/store/migrations/0016_component_postings.sql, src/domain/postings.ts). */
export interface ComponentPendingTable {
  pv_id: number;
  sbom_id: number;
  depth: number;
  path: Buffer;
}

export interface ComponentPostingsTable {
  pv_id: number;
  gen: Int8;
  part: number;
  n: number;
  entries: Buffer;
  chains: Buffer;
}

/** Uploads not merged yet (src/store/migrations/0017_component_inbox.sql, src/domain/component-inbox.ts). */
export interface ComponentInboxTable {
  sbom_id: number;
  pv_ids: number[];
  components: Buffer;
}

export interface ComponentTombstonesTable {
  sbom_id: number;
  pv_ids: number[];
}

export interface SbomsDB {
  products: ProductsTable;
  packages: PackagesTable;
  package_versions: PackageVersionsTable;
  sboms: SbomsTable;
  sbom_components: SbomComponentsTable;
  component_inbox: ComponentInboxTable;
  component_pending: ComponentPendingTable;
  component_postings: ComponentPostingsTable;
  component_tombstones: ComponentTombstonesTable;
}
