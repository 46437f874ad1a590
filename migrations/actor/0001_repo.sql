-- One account's repository. Records keep their DAG-CBOR inline, so reading one is a single
-- lookup; `block` holds everything else the repository is made of (MST nodes, commits).

-- The current commit (exactly one row once the repository exists).
CREATE TABLE repo_root (
    id      INTEGER PRIMARY KEY CHECK (id = 0),
    cid     BLOB NOT NULL,
    rev     TEXT NOT NULL
) STRICT;

CREATE TABLE block (
    cid     BLOB PRIMARY KEY NOT NULL,
    content BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE record (
    collection  TEXT NOT NULL,
    rkey        TEXT NOT NULL,
    cid         BLOB NOT NULL,
    rev         TEXT NOT NULL,
    content     BLOB NOT NULL,
    PRIMARY KEY (collection, rkey)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_cid ON record(cid);
