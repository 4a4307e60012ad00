-- Products, their SBOMs per product version, and the component index "who is affected" reads.
-- Package identities (a purl without version) and (package, version) pairs are interned to
-- integers, so the index every query uses is small: sbom_components by package version.

CREATE TABLE products (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  org_id uuid NOT NULL REFERENCES organizations (id),
  name text NOT NULL,
  purl text,
  created_at timestamptz NOT NULL,
  UNIQUE (org_id, name)
);

-- Append-only interning tables (never deleted from, so components need no foreign key to them).
CREATE TABLE packages (
  id serial PRIMARY KEY,
  purl text NOT NULL UNIQUE,
  type text NOT NULL
);

CREATE TABLE package_versions (
  id serial PRIMARY KEY,
  package_id integer NOT NULL REFERENCES packages (id),
  -- '' when the SBOM gives no version.
  version text NOT NULL,
  UNIQUE (package_id, version)
);

-- One SBOM per product version: uploading again replaces what that version ships.
CREATE TABLE sboms (
  id serial PRIMARY KEY,
  uid uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  org_id uuid NOT NULL REFERENCES organizations (id),
  product_version text NOT NULL,
  format text NOT NULL CHECK (format IN ('cyclonedx-json', 'cyclonedx-xml', 'spdx-json')),
  spec_version text NOT NULL,
  root_name text,
  root_purl text,
  component_count integer NOT NULL,
  direct_count integer NOT NULL,
  edge_count integer NOT NULL,
  -- The dependency graph as it was uploaded: (from, to) component indices, int32 little-endian
  -- pairs; -1 is the product.
  edges bytea NOT NULL,
  warnings jsonb NOT NULL DEFAULT '[]',
  sha256 text NOT NULL,
  size_bytes bigint NOT NULL,
  uploaded_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL,
  UNIQUE (product_id, product_version)
);
CREATE INDEX sboms_org_idx ON sboms (org_id);

-- One row per component entry. depth 1 = a direct dependency of the product; parent_idx is the
-- component's parent on one shortest path from the product (-1 for direct ones). No foreign key
-- to sboms (a per-row trigger on the biggest table): the ingest service deletes an SBOM's rows
-- with it, in the same transaction.
CREATE TABLE sbom_components (
  sbom_id integer NOT NULL,
  idx integer NOT NULL,
  pv_id integer NOT NULL,
  depth integer NOT NULL,
  parent_idx integer NOT NULL,
  PRIMARY KEY (sbom_id, idx)
);
CREATE INDEX sbom_components_pv_idx ON sbom_components (pv_id) INCLUDE (sbom_id, idx, depth);
