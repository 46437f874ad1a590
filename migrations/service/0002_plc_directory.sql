-- The embedded did:plc directory (pdsd/src/plc/directory.rs): every operation it accepted, in
-- acceptance order. Operations are never deleted; a fork by a higher-priority rotation key
-- only marks the operations it replaces as nullified.

CREATE TABLE plc_operation (
    -- Acceptance order. A DID's log is read in this order (the reference directory orders by
    -- created_at, which ties when two operations arrive in the same millisecond).
    seq                 INTEGER PRIMARY KEY NOT NULL,
    did                 TEXT NOT NULL,
    -- CID (base32 string) of the signed operation's DAG-CBOR, as `prev` fields reference it.
    cid                 TEXT NOT NULL,
    -- The signed operation as canonical DAG-CBOR (the bytes its CID and signature cover).
    operation           BLOB NOT NULL,
    nullified           INTEGER NOT NULL DEFAULT 0,
    -- When the directory accepted the operation, in Unix milliseconds.
    created_at          INTEGER NOT NULL,
    UNIQUE (did, cid)
) STRICT;
CREATE INDEX plc_operation_did_seq ON plc_operation(did, seq);
