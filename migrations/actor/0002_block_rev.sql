-- The revision that added each block, so sync.getRepo can serve only what changed since a
-- revision (`since`). Blocks from before this migration have NULL and count as old.
ALTER TABLE block ADD COLUMN rev TEXT;
CREATE INDEX record_rev ON record(rev);
