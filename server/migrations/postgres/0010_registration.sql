-- Self-registration with an SMS code (MEM-2). A code is kept only as a salted hash, lives
-- five minutes, is used once and dies after five tries. The rows stay after use: counting
-- them is how requests per phone and per client address are limited.
CREATE TABLE sms_codes (
    id          TEXT PRIMARY KEY,
    phone       TEXT NOT NULL,
    purpose     TEXT NOT NULL CHECK (purpose IN ('register')),
    salt        TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    ip          TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    used_at     BIGINT
);
CREATE INDEX sms_codes_phone ON sms_codes (phone, created_at);
CREATE INDEX sms_codes_ip ON sms_codes (ip, created_at);

-- One row per phone and per client address that asked for a code. Touching a row takes
-- its lock, so two requests for the same phone or from the same address are counted one
-- after the other instead of both passing the limit at once.
CREATE TABLE sms_code_senders (
    sender      TEXT PRIMARY KEY,
    touched_at  BIGINT NOT NULL
);
