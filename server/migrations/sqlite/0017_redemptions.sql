-- Gift redemption with points (积分兑换礼品, PTS-5): a member takes items that carry a
-- points price and pays with points only. The points move in the ledger (member points
-- to the store's `points_redeemed`) under the redemption's id; these rows say what was
-- taken, where, by whom and for how many points.

CREATE TABLE redemptions (
    -- Made by the till, so a redemption sent again is recognised.
    id            TEXT PRIMARY KEY,
    -- From the store's daily receipt counter, shared with sales.
    receipt_no    TEXT NOT NULL UNIQUE,
    store_id      TEXT NOT NULL REFERENCES stores (id),
    staff_id      TEXT NOT NULL REFERENCES staff (id),
    member_id     TEXT NOT NULL REFERENCES members (id),
    points        BIGINT NOT NULL CHECK (points > 0),
    -- The tablet that made it offline; none online.
    device_id     TEXT,
    -- The receipt as answered.
    receipt_json  TEXT NOT NULL,
    occurred_at   BIGINT,
    recorded_at   BIGINT NOT NULL
);
CREATE INDEX redemptions_by_member ON redemptions (member_id, recorded_at);
CREATE INDEX redemptions_by_store_till_time ON redemptions (store_id, (COALESCE(occurred_at, recorded_at)));

CREATE TABLE redemption_lines (
    redemption_id  TEXT NOT NULL REFERENCES redemptions (id),
    line_no        BIGINT NOT NULL,
    item_id        TEXT NOT NULL REFERENCES items (id),
    -- The item's name and points price when it was taken.
    name           TEXT NOT NULL,
    quantity       BIGINT NOT NULL CHECK (quantity > 0),
    points_each    BIGINT NOT NULL CHECK (points_each > 0),
    points         BIGINT NOT NULL CHECK (points > 0),
    PRIMARY KEY (redemption_id, line_no)
);
CREATE INDEX redemption_lines_by_item ON redemption_lines (item_id);

-- An offline redemption may overdraw a member's points like an offline sale: its
-- conflict names the redemption instead of a sale. SQLite cannot drop NOT NULL from a
-- column, so the table is made again with its rows; nothing refers to it.
CREATE TABLE overdraft_conflicts_new (
    id                TEXT PRIMARY KEY,
    sale_id           TEXT UNIQUE REFERENCES sales (id),
    redemption_id     TEXT UNIQUE REFERENCES redemptions (id),
    member_id         TEXT NOT NULL REFERENCES members (id),
    store_id          TEXT NOT NULL REFERENCES stores (id),
    device_id         TEXT NOT NULL,
    shortfall_fen     BIGINT NOT NULL CHECK (shortfall_fen >= 0),
    shortfall_points  BIGINT NOT NULL CHECK (shortfall_points >= 0),
    occurred_at       BIGINT,
    recorded_at       BIGINT NOT NULL,
    resolved_at       BIGINT,
    resolved_by       TEXT REFERENCES staff (id),
    resolution        TEXT,
    -- Exactly one of the two made it.
    CHECK ((sale_id IS NULL) <> (redemption_id IS NULL))
);
INSERT INTO overdraft_conflicts_new (id, sale_id, member_id, store_id, device_id, shortfall_fen,
    shortfall_points, occurred_at, recorded_at, resolved_at, resolved_by, resolution)
SELECT id, sale_id, member_id, store_id, device_id, shortfall_fen, shortfall_points, occurred_at,
    recorded_at, resolved_at, resolved_by, resolution
FROM overdraft_conflicts;
DROP TABLE overdraft_conflicts;
ALTER TABLE overdraft_conflicts_new RENAME TO overdraft_conflicts;
CREATE INDEX overdraft_conflicts_by_time ON overdraft_conflicts (recorded_at);
CREATE INDEX overdraft_conflicts_by_member ON overdraft_conflicts (member_id);
