-- Shifts at the counter (开班/交班, SALE-5): a cashier's cash drawer at one store from
-- opening to close. What the shift took is read from the ledger by cashier, store and
-- time, so nothing else records which shift a sale was in.

CREATE TABLE shifts (
    -- Made by the till, so opening again after a lost answer finds the same shift.
    id                 TEXT PRIMARY KEY,
    store_id           TEXT NOT NULL REFERENCES stores (id),
    staff_id           TEXT NOT NULL REFERENCES staff (id),
    device_id          TEXT,
    opening_float_fen  BIGINT NOT NULL CHECK (opening_float_fen >= 0),
    opened_at          BIGINT NOT NULL,
    closed_at          BIGINT,
    closed_by          TEXT REFERENCES staff (id),
    counted_fen        BIGINT,
    expected_fen       BIGINT,
    difference_fen     BIGINT,
    note               TEXT,
    -- The close as answered, returned verbatim when the same close is sent again.
    close_json         TEXT
);
-- One open shift per cashier per store: a second open is refused, and two opens racing
-- cannot both win.
CREATE UNIQUE INDEX shifts_one_open ON shifts (store_id, staff_id) WHERE closed_at IS NULL;
CREATE INDEX shifts_by_store ON shifts (store_id, opened_at);

-- Takings are read by store and by the time the till rang a movement up (its
-- occurred_at when it sent one, else when the server recorded it).
CREATE INDEX transfers_by_store_till_time ON transfers (store_id, (COALESCE(occurred_at, recorded_at)));
CREATE INDEX sales_by_store_till_time ON sales (store_id, (COALESCE(occurred_at, recorded_at)));
CREATE INDEX sale_returns_by_store ON sale_returns (store_id, recorded_at);
