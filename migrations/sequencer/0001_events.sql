-- The firehose event log. `frame` is the complete WebSocket binary frame (header + body, both
-- DAG-CBOR) as subscribers receive it, so replay is a copy.
CREATE TABLE event (
    seq     INTEGER PRIMARY KEY,
    did     TEXT NOT NULL,
    -- commit, sync, identity, account
    kind    TEXT NOT NULL,
    -- The repository revision a commit/sync event carries (NULL for the others).
    rev     TEXT,
    time    TEXT NOT NULL,
    frame   BLOB NOT NULL
) STRICT;
CREATE INDEX event_did_seq ON event(did, seq);
CREATE INDEX event_time ON event(time);
