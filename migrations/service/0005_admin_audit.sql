-- The admin audit log and operator provisioning keys.

-- Every admin action (admin socket or admin XRPC), append-only and hash-chained: `hash` is the
-- hex SHA-256 of the previous row's `hash` and this row's content (pdsd/src/service/audit.rs),
-- so an edited or deleted row breaks the chain from that row on.
CREATE TABLE audit_log (
    -- 1, 2, 3, ... without gaps.
    seq                 INTEGER PRIMARY KEY NOT NULL,
    time                TEXT NOT NULL,
    -- "uid:<n>" (an operator on the admin socket) or "admin-password" (admin XRPC).
    actor               TEXT NOT NULL,
    -- "<noun>.<verb>", e.g. "account.create".
    action              TEXT NOT NULL,
    -- A DID, an invite code, or '' when the action is about nothing in particular.
    subject             TEXT NOT NULL,
    reason              TEXT,
    -- A JSON object; never passwords or tokens.
    details_json        TEXT NOT NULL,
    -- The previous row's hash ('' for the first row).
    prev_hash           TEXT NOT NULL,
    hash                TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_subject ON audit_log(subject, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- The key an operator provisioned an account with (pdsctl account provision): re-running a
-- provisioning finds the account by it instead of creating a second one.
ALTER TABLE account ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX account_external_id ON account(external_id) WHERE external_id IS NOT NULL;
