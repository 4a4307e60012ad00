-- Who is affected reads posting lists instead of one index entry per component entry, and an
-- upload no longer inserts a thousand entries at random places of one huge index.
--
--   component_pending: what committed uploads added since the last merge: one row per SBOM and
--     package version it ships (the shallowest occurrence, then the first listed), with its
--     ancestor chain. Small, so inserting into its index is cheap.
--   component_postings: per package version, that same data packed into rows of at most 4,096
--     entries (src/domain/postings.ts has the layout), so the SBOMs shipping a popular package
--     are read as a few values instead of tens of thousands of index tuples. Written only by the
--     merge job (src/services/component-index.ts), which moves pending rows here.
--   component_tombstones: SBOMs replaced since the last merge, with the package versions they
--     shipped; their entries still in component_postings are ignored by queries until the merge
--     removes them.
-- sbom_components stays the record of every entry (with its chain) and is read per SBOM only.

CREATE TABLE component_pending (
  pv_id integer NOT NULL,
  sbom_id integer NOT NULL,
  depth integer NOT NULL,
  -- Ancestors' package-version ids on the stored path, int32 big-endian, product side first.
  path bytea NOT NULL
);
CREATE INDEX component_pending_pv_idx ON component_pending (pv_id);
CREATE INDEX component_pending_sbom_idx ON component_pending (sbom_id);

-- Rows are only ever inserted by a merge (one per package version it touched, or several of at
-- most 4,096 entries each) and replaced by a compaction, which packs a package version's partly
-- filled rows into full ones once it has more than a few; so a merge never rewrites a large row.
CREATE SEQUENCE component_merge_gen AS bigint;
CREATE TABLE component_postings (
  pv_id integer NOT NULL,
  -- The merge or compaction that wrote the row, and its part of that package version's entries.
  gen bigint NOT NULL,
  part integer NOT NULL,
  -- How many entries the row holds.
  n integer NOT NULL CHECK (n > 0),
  -- Per entry: SBOM id and depth, int32 big-endian each.
  entries bytea NOT NULL,
  -- Per entry, in the same order: its depth − 1 ancestor ids, int32 big-endian.
  chains bytea NOT NULL,
  -- n included: a merge counts a package version's partly filled rows from the index alone.
  PRIMARY KEY (pv_id, gen, part) INCLUDE (n)
);
-- Packed integers do not compress; skipping compression makes reading them a copy.
ALTER TABLE component_postings ALTER COLUMN entries SET STORAGE EXTERNAL;
ALTER TABLE component_postings ALTER COLUMN chains SET STORAGE EXTERNAL;

CREATE TABLE component_tombstones (
  sbom_id integer PRIMARY KEY,
  pv_ids integer[] NOT NULL
);

-- Everything registered so far starts as pending; the first merge packs it.
INSERT INTO component_pending (pv_id, sbom_id, depth, path)
SELECT DISTINCT ON (sbom_id, pv_id) pv_id, sbom_id, depth, path
FROM sbom_components
ORDER BY sbom_id, pv_id, depth, idx;

DROP INDEX IF EXISTS sbom_components_pv_idx;
