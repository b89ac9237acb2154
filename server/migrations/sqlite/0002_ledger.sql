-- The double-entry ledger (DESIGN §4). A transfer moves a positive amount of one asset
-- from a debit account to a credit account; an account's balance is its credits minus
-- its debits, kept in the accounts row and changed only by conditional updates in the
-- transaction that writes the transfer. Member accounts have a floor of 0; the store's
-- and HQ's counterpart accounts have none.

ALTER TABLE accounts ADD COLUMN floor BIGINT;
ALTER TABLE accounts ADD COLUMN store_id TEXT;
ALTER TABLE accounts ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX accounts_by_owner ON accounts (owner_kind, owner_id);

CREATE TABLE transfers (
    id                 TEXT PRIMARY KEY,
    -- The command (sale, top-up, return…) the transfer belongs to.
    command_id         TEXT NOT NULL,
    debit_account_id   TEXT NOT NULL REFERENCES accounts (id),
    credit_account_id  TEXT NOT NULL REFERENCES accounts (id),
    asset              TEXT NOT NULL CHECK (asset IN ('points', 'CNY', 'visits')),
    amount             BIGINT NOT NULL CHECK (amount > 0),
    kind               TEXT NOT NULL,
    store_id           TEXT,
    staff_id           TEXT,
    device_id          TEXT,
    memo               TEXT,
    recorded_at        BIGINT NOT NULL,
    occurred_at        BIGINT,
    CHECK (debit_account_id <> credit_account_id)
);
CREATE INDEX transfers_by_debit ON transfers (debit_account_id, recorded_at);
CREATE INDEX transfers_by_credit ON transfers (credit_account_id, recorded_at);
CREATE INDEX transfers_by_command ON transfers (command_id);

-- Points are credited as lots with their own expiry; spending takes the lot that
-- expires soonest first. The remaining amounts of an account's lots add up to its
-- balance.
CREATE TABLE points_lots (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    transfer_id  TEXT NOT NULL REFERENCES transfers (id),
    amount       BIGINT NOT NULL CHECK (amount > 0),
    remaining    BIGINT NOT NULL CHECK (remaining >= 0),
    -- Last day the points can be spent, as milliseconds of the instant they lapse (UTC).
    expires_at   BIGINT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX points_lots_open ON points_lots (account_id, expires_at);

-- Every command with a client-made id, and the answer it got: a replay returns the same
-- answer, and a different command under the same id is a conflict.
CREATE TABLE commands (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    response_json  TEXT NOT NULL,
    store_id       TEXT,
    staff_id       TEXT,
    recorded_at    BIGINT NOT NULL
);
