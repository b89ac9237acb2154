-- Member cards beyond 0009 (CARD-1, CARD-2, CARD-5): stock batches made at HQ and handed
-- to stores, each card's kind and where it is kept; the dynamic member QR code's
-- signing secret and the codes already used.

-- A batch of plastic cards made at HQ (制卡). Its cards start `in_stock` at `store_id`.
CREATE TABLE card_batches (
    id          TEXT PRIMARY KEY,
    store_id    TEXT NOT NULL REFERENCES stores (id),
    medium      TEXT NOT NULL CHECK (medium IN ('barcode', 'magnetic', 'ic')),
    kind        TEXT NOT NULL CHECK (kind IN ('personal', 'linked', 'group')),
    prefix      TEXT NOT NULL,
    card_count  BIGINT NOT NULL CHECK (card_count > 0),
    staff_id    TEXT REFERENCES staff (id),
    created_at  BIGINT NOT NULL
);

-- A card's kind (personal, linked to another card's member, group), its batch and place
-- in it, and where it is kept: the node holding it while in stock, the store that issued
-- it afterwards.
ALTER TABLE member_cards ADD COLUMN kind TEXT NOT NULL DEFAULT 'personal';
ALTER TABLE member_cards ADD COLUMN batch_id TEXT REFERENCES card_batches (id);
ALTER TABLE member_cards ADD COLUMN seq BIGINT;
ALTER TABLE member_cards ADD COLUMN location_id TEXT REFERENCES stores (id);
CREATE INDEX member_cards_stock ON member_cards (batch_id, location_id, state, seq);
CREATE INDEX member_cards_location ON member_cards (location_id, state);

-- Stock cards handed from one node to another (HQ → store), audited.
CREATE TABLE card_handovers (
    id             TEXT PRIMARY KEY,
    from_store_id  TEXT NOT NULL REFERENCES stores (id),
    to_store_id    TEXT NOT NULL REFERENCES stores (id),
    batch_id       TEXT REFERENCES card_batches (id),
    card_count     BIGINT NOT NULL CHECK (card_count > 0),
    staff_id       TEXT REFERENCES staff (id),
    created_at     BIGINT NOT NULL
);

-- Secrets the server makes once and keeps across restarts (the QR code's HMAC key).
CREATE TABLE server_secrets (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Member QR codes already used, by their nonce: the primary key lets only one of two
-- uses at once succeed. Rows are dropped once the code has expired anyway.
CREATE TABLE member_qr_uses (
    nonce       TEXT PRIMARY KEY,
    member_id   TEXT NOT NULL REFERENCES members (id),
    command_id  TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT NOT NULL
);
CREATE INDEX member_qr_uses_expiry ON member_qr_uses (expires_at);
