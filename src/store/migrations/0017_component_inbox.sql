-- An upload no longer expands its components in its own transaction: it leaves them here, packed,
-- and the merge job (src/services/component-index.ts) writes them out to sbom_components and the
-- component index. Queries read this table too, so an upload is part of every answer from the
-- moment it commits.
--
--   component_inbox: one row per uploaded SBOM not merged yet.
--     pv_ids: the distinct package versions it ships, so a query reads only the rows that can
--             match (one of pv_ids among the query's package versions);
--     components: per component, in SBOM order, its package-version id, depth and parent index
--             (−1 for a direct dependency), int32 big-endian each (src/domain/component-inbox.ts).
-- Rows are deleted with their SBOM (a replacement deletes them itself, in its transaction).
CREATE TABLE component_inbox (
  sbom_id integer PRIMARY KEY REFERENCES sboms (id) ON DELETE CASCADE,
  pv_ids integer[] NOT NULL,
  components bytea NOT NULL
);
-- Packed integers do not compress; skipping compression makes writing and reading them a copy.
ALTER TABLE component_inbox ALTER COLUMN components SET STORAGE EXTERNAL;
