-- Accounts, sessions, app passwords, invite codes and email tokens.
-- Times are RFC 3339 strings in UTC with millisecond precision (sortable as text).

CREATE TABLE account (
    did                 TEXT PRIMARY KEY NOT NULL,
    -- Normalised to lower case; NULL only while an imported account has no valid handle.
    handle              TEXT UNIQUE,
    email               TEXT UNIQUE COLLATE NOCASE,
    email_confirmed_at  TEXT,
    email_auth_factor   INTEGER NOT NULL DEFAULT 0,
    -- PHC string (argon2id), or the reference PDS's scrypt "salt:hash" for imported accounts.
    password_hash       TEXT NOT NULL,
    created_at          TEXT NOT NULL,
    -- Set while the account is deactivated by its owner.
    deactivated_at      TEXT,
    -- Set when deletion was requested: data is purged after this time.
    delete_after        TEXT,
    -- Moderation: a takedown reference, when taken down.
    takedown_ref        TEXT,
    invites_disabled    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Refresh tokens, stored only as hashes. Rotation links a token to its successor; reuse of a
-- rotated token revokes the whole family (every token descended from one login).
CREATE TABLE refresh_token (
    id_hash             TEXT PRIMARY KEY NOT NULL,
    did                 TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
    family              TEXT NOT NULL,
    app_password_name   TEXT,
    expires_at          TEXT NOT NULL,
    rotated_at          TEXT
) STRICT;
CREATE INDEX refresh_token_did ON refresh_token(did);
CREATE INDEX refresh_token_family ON refresh_token(family);

CREATE TABLE app_password (
    did                 TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
    name                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    privileged          INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    PRIMARY KEY (did, name)
) STRICT;

CREATE TABLE invite_code (
    code                TEXT PRIMARY KEY NOT NULL,
    available_uses      INTEGER NOT NULL,
    disabled            INTEGER NOT NULL DEFAULT 0,
    -- The account the code was made for ("admin" when the operator made it).
    for_account         TEXT NOT NULL,
    created_by          TEXT NOT NULL,
    created_at          TEXT NOT NULL
) STRICT;
CREATE INDEX invite_code_for_account ON invite_code(for_account);

CREATE TABLE invite_code_use (
    code                TEXT NOT NULL REFERENCES invite_code(code),
    used_by             TEXT NOT NULL,
    used_at             TEXT NOT NULL,
    PRIMARY KEY (code, used_by)
) STRICT;

-- One outstanding token per (purpose, account): confirm_email, update_email, reset_password,
-- delete_account, plc_operation, 2fa.
CREATE TABLE email_token (
    purpose             TEXT NOT NULL,
    did                 TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
    token               TEXT NOT NULL,
    requested_at        TEXT NOT NULL,
    PRIMARY KEY (purpose, did)
) STRICT;
CREATE UNIQUE INDEX email_token_purpose_token ON email_token(purpose, token);

-- app.bsky.actor preferences, stored as the JSON array the client sent.
CREATE TABLE account_pref (
    did                 TEXT NOT NULL REFERENCES account(did) ON DELETE CASCADE,
    namespace           TEXT NOT NULL,
    value_json          TEXT NOT NULL,
    PRIMARY KEY (did, namespace)
) STRICT;
