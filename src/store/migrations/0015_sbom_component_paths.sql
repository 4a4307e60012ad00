-- Who is affected, with a path, in one index-only scan: every component entry carries the
-- package-version ids of its ancestors on its stored shortest path (from the product's direct
-- dependency down to its parent; empty for direct ones), as int32 big-endian values in a bytea,
-- and the package-version index includes it. Existing entries are filled from parent_idx.
ALTER TABLE sbom_components ADD COLUMN path bytea NOT NULL DEFAULT ''::bytea;

WITH RECURSIVE chain(sbom_id, idx, path) AS (
  SELECT sbom_id, idx, ''::bytea FROM sbom_components WHERE parent_idx < 0
  UNION ALL
  SELECT c.sbom_id, c.idx, ch.path || int4send(p.pv_id)
  FROM chain ch
  JOIN sbom_components c ON c.sbom_id = ch.sbom_id AND c.parent_idx = ch.idx
  JOIN sbom_components p ON p.sbom_id = ch.sbom_id AND p.idx = ch.idx
)
UPDATE sbom_components c SET path = ch.path FROM chain ch
WHERE c.sbom_id = ch.sbom_id AND c.idx = ch.idx AND length(ch.path) > 0;

ALTER TABLE sbom_components ALTER COLUMN path DROP DEFAULT;

DROP INDEX sbom_components_pv_idx;
CREATE INDEX sbom_components_pv_idx ON sbom_components (pv_id) INCLUDE (sbom_id, idx, depth, path);
