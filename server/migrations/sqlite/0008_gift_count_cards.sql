-- Anonymous gift cards (礼品卡, CARD-4) and count cards (计次卡, SV-6). Their value lives in
-- the ledger: a gift card's money in the account `giftcard:<card_no>:principal`, a count
-- card's visits in `countcard:<id>:visits`, both with a floor of 0. These tables hold what
-- the ledger does not: numbers, PIN hashes, states, expiry and what was sold.

-- A batch of cards made at HQ. The plain PINs are answered once at creation and never
-- stored.
CREATE TABLE giftcard_batches (
    id                   TEXT PRIMARY KEY,
    -- The node (usually HQ) that issued the batch.
    store_id             TEXT NOT NULL REFERENCES stores (id),
    prefix               TEXT NOT NULL,
    card_count           BIGINT NOT NULL CHECK (card_count > 0),
    face_value_fen       BIGINT NOT NULL CHECK (face_value_fen >= 0),
    -- How the face value was paid; NULL when it was issued unpaid.
    tender               TEXT,
    -- Last valid business date, YYYY-MM-DD (inclusive); NULL for no expiry.
    expires_on           TEXT,
    pin_lockout_minutes  BIGINT NOT NULL CHECK (pin_lockout_minutes > 0),
    staff_id             TEXT REFERENCES staff (id),
    created_at           BIGINT NOT NULL
);

CREATE TABLE giftcards (
    card_no       TEXT PRIMARY KEY,
    batch_id      TEXT NOT NULL REFERENCES giftcard_batches (id),
    -- Position in the batch: the order the numbers were answered and printed in.
    seq           BIGINT NOT NULL,
    -- SHA-256 of the salt and the PIN, hex; see server/src/giftcard/pin.rs for why a
    -- fast salted hash is enough here.
    pin_salt      TEXT NOT NULL,
    pin_hash      TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('active', 'frozen', 'closed')),
    expires_on    TEXT,
    -- Wrong PINs in a row; at five the card is locked until locked_until.
    failed_pins   BIGINT NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX giftcards_by_batch ON giftcards (batch_id, seq);

CREATE TABLE count_cards (
    id            TEXT PRIMARY KEY,
    member_id     TEXT NOT NULL REFERENCES members (id),
    -- The store that sold the card; visits can be used at any store.
    store_id      TEXT NOT NULL REFERENCES stores (id),
    item_id       TEXT REFERENCES items (id),
    service_name  TEXT NOT NULL,
    visits        BIGINT NOT NULL CHECK (visits > 0),
    price_fen     BIGINT NOT NULL CHECK (price_fen > 0),
    tender        TEXT NOT NULL,
    expires_on    TEXT,
    staff_id      TEXT REFERENCES staff (id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX count_cards_by_member ON count_cards (member_id, created_at);
