-- Sales at the counter and the rules they were priced by.

-- Every version of the chain's rules (the engine's RuleSet as JSON). The newest is in
-- force; each sale records the version it was priced with.
CREATE TABLE rule_sets (
    version     BIGINT PRIMARY KEY,
    rules_json  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT
);

-- Receipt numbers count per store and business day.
CREATE TABLE receipt_counters (
    store_id  TEXT NOT NULL REFERENCES stores (id),
    day       TEXT NOT NULL,
    last      BIGINT NOT NULL,
    PRIMARY KEY (store_id, day)
);

CREATE TABLE sales (
    id             TEXT PRIMARY KEY,
    receipt_no     TEXT NOT NULL UNIQUE,
    store_id       TEXT NOT NULL REFERENCES stores (id),
    staff_id       TEXT REFERENCES staff (id),
    member_id      TEXT REFERENCES members (id),
    amount_due     BIGINT NOT NULL,
    points_earned  BIGINT NOT NULL,
    points_paid    BIGINT NOT NULL,
    rules_version  BIGINT NOT NULL,
    -- The receipt as answered, kept whole so a return can reverse it line by line.
    receipt_json   TEXT NOT NULL,
    recorded_at    BIGINT NOT NULL,
    occurred_at    BIGINT
);
CREATE INDEX sales_by_member ON sales (member_id, recorded_at);
CREATE INDEX sales_by_store ON sales (store_id, recorded_at);

-- Returns by receipt (SALE-3). Each return refunds part of the sale through the same
-- payments in proportion, and takes back the points the returned goods earned.
CREATE TABLE sale_returns (
    id               TEXT PRIMARY KEY,
    sale_id          TEXT NOT NULL REFERENCES sales (id),
    store_id         TEXT NOT NULL REFERENCES stores (id),
    staff_id         TEXT REFERENCES staff (id),
    refund_fen       BIGINT NOT NULL,
    points_reversed  BIGINT NOT NULL,
    receipt_json     TEXT NOT NULL,
    recorded_at      BIGINT NOT NULL
);
CREATE INDEX sale_returns_by_sale ON sale_returns (sale_id);

CREATE TABLE sale_return_lines (
    return_id   TEXT NOT NULL REFERENCES sale_returns (id),
    sale_id     TEXT NOT NULL REFERENCES sales (id),
    line        BIGINT NOT NULL,
    quantity    BIGINT NOT NULL CHECK (quantity > 0),
    amount_fen  BIGINT NOT NULL CHECK (amount_fen >= 0),
    PRIMARY KEY (return_id, line)
);
CREATE INDEX sale_return_lines_by_sale ON sale_return_lines (sale_id, line);
