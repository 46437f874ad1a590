-- Signing keys reserved with com.atproto.server.reserveSigningKey, for an account that will
-- migrate here (createAccount with an existing DID uses the reserved key).
CREATE TABLE reserved_signing_key (
    -- The did:key of the public key; the private key hex is kept here until the account
    -- arrives, then moved into the account's actor directory.
    signing_key     TEXT PRIMARY KEY NOT NULL,
    did             TEXT,
    private_key_hex TEXT NOT NULL,
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX reserved_signing_key_did ON reserved_signing_key(did);
