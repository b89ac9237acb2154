-- The product catalogue (GDS-1): categories of any depth and the items sold or given as
-- gifts. Ids are UUIDv7 text made by whoever creates the row; timestamps are BIGINT
-- milliseconds since the Unix epoch (UTC); money is BIGINT 分. Rows are never removed:
-- `deleted_at` marks a tombstone, so sales and rules that name an old item still resolve
-- and the tablet sync can tell devices that the row is gone.
--
-- `version` is what the tablet sync will use to fetch rows changed since its last pull.
-- For now every write sets it to the row's `updated_at` in milliseconds; the sync may
-- later move it to a sequence without changing the column.

CREATE TABLE categories (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT REFERENCES categories (id),
    name        TEXT NOT NULL,
    -- Materialised path of ids from the root down to this category itself, e.g.
    -- '/<root id>/<child id>/<own id>/': a category's descendants are the rows whose path
    -- starts with its own.
    path        TEXT NOT NULL UNIQUE,
    sort_order  BIGINT NOT NULL DEFAULT 0,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT,
    version     BIGINT NOT NULL DEFAULT 0
);
-- Two live siblings may not share a name, so an import's path 食品/饮料 names one
-- category. Roots have no parent; COALESCE makes them siblings of each other.
CREATE UNIQUE INDEX categories_sibling_name
    ON categories (COALESCE(parent_id, ''), name) WHERE deleted_at IS NULL;
CREATE INDEX categories_by_parent ON categories (parent_id);
CREATE INDEX categories_by_version ON categories (version);

CREATE TABLE items (
    id                TEXT PRIMARY KEY,
    -- The shop's own item code (编码/货号), unique among live items.
    code              TEXT NOT NULL,
    -- A GS1 barcode (EAN-8, UPC-A, EAN-13, ITF-14), unique among live items when present.
    barcode           TEXT,
    name              TEXT NOT NULL,
    category_id       TEXT REFERENCES categories (id),
    unit              TEXT NOT NULL,
    retail_price_fen  BIGINT NOT NULL CHECK (retail_price_fen >= 0),
    member_price_fen  BIGINT CHECK (member_price_fen >= 0),
    -- Points a member pays to take the item as a gift (积分兑换), when it can be.
    points_price      BIGINT CHECK (points_price > 0),
    -- 1 when buying the item earns points (积分商品); tobacco, deposits and gift cards
    -- usually do not.
    earns_points      BIGINT NOT NULL DEFAULT 1 CHECK (earns_points IN (0, 1)),
    image_url         TEXT,
    active            BIGINT NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL,
    deleted_at        BIGINT,
    version           BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX items_code ON items (code) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX items_barcode ON items (barcode)
    WHERE barcode IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX items_by_category ON items (category_id);
CREATE INDEX items_by_version ON items (version);
