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
-- conflict names the redemption instead of a sale.
ALTER TABLE overdraft_conflicts ALTER COLUMN sale_id DROP NOT NULL;
ALTER TABLE overdraft_conflicts ADD COLUMN redemption_id TEXT UNIQUE REFERENCES redemptions (id);
-- Exactly one of the two made it.
ALTER TABLE overdraft_conflicts ADD CONSTRAINT overdraft_conflicts_one_source
    CHECK ((sale_id IS NULL) <> (redemption_id IS NULL));
