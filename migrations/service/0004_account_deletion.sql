-- Accounts their owner deleted (com.atproto.server.deleteAccount). `delete_after` alone is not
-- enough to find them: deactivateAccount also records the owner's deleteAfter wish there, and
-- that must never purge an account. The purge job removes rows with `deleted_at` set once
-- `delete_after` has passed.
ALTER TABLE account ADD COLUMN deleted_at TEXT;
CREATE INDEX account_pending_purge ON account(delete_after) WHERE deleted_at IS NOT NULL;
