-- Stored value beyond the counter: corporate batch top-ups (SV-4) and the balance
-- report (SV-5). Withdrawals (SV-3) need no table of their own: they are ledger
-- transfers (kinds 'withdraw' and 'forfeit') under a command.

-- One row per corporate batch top-up that was credited. Its rows are the transfers whose
-- command_id is the batch id; the idempotent answer is in commands.
CREATE TABLE topup_batches (
    id             TEXT PRIMARY KEY,
    store_id       TEXT NOT NULL REFERENCES stores (id),
    staff_id       TEXT REFERENCES staff (id),
    tender         TEXT NOT NULL,
    -- SHA-256 of the uploaded file, so the file behind a batch can be recognised later.
    file_sha256    TEXT NOT NULL,
    rows_credited  BIGINT NOT NULL,
    principal_fen  BIGINT NOT NULL,
    bonus_fen      BIGINT NOT NULL,
    recorded_at    BIGINT NOT NULL
);
CREATE INDEX topup_batches_by_store ON topup_batches (store_id, recorded_at);

-- Reports read transfers by period.
CREATE INDEX transfers_by_time ON transfers (recorded_at);
