-- Blobs of one account. A row exists from upload on; `temp_key` names the uploaded bytes in
-- the blob store's temporary area until a record references the blob, and is NULL once the
-- bytes are permanent (`<did>/<cid>`). Unreferenced temporary blobs expire after a grace period.
CREATE TABLE blob (
    cid          BLOB PRIMARY KEY NOT NULL,
    mime_type    TEXT NOT NULL,
    size         INTEGER NOT NULL,
    temp_key     TEXT,
    -- Unix milliseconds of the (latest) upload.
    created_at   INTEGER NOT NULL,
    -- Set while an operator has taken the blob down: it is neither served nor accepted again.
    takedown_ref TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX blob_temp ON blob(created_at) WHERE temp_key IS NOT NULL;

-- Which records reference which blobs, kept by the same transaction that writes the records.
-- A blob referenced here with no `blob` row is missing (an imported repository whose blobs
-- have not been uploaded yet: listMissingBlobs).
CREATE TABLE record_blob (
    blob_cid   BLOB NOT NULL,
    collection TEXT NOT NULL,
    rkey       TEXT NOT NULL,
    PRIMARY KEY (blob_cid, collection, rkey)
) STRICT, WITHOUT ROWID;
CREATE INDEX record_blob_record ON record_blob(collection, rkey);
