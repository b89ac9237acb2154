-- Foundation: the organisation tree, staff and roles, sessions, members, accounts and the
-- hash-chained audit log. Ids are UUIDv7 text; timestamps are BIGINT milliseconds since
-- the Unix epoch (UTC); amounts are BIGINT minor units (分).

CREATE TABLE stores (
    id          TEXT PRIMARY KEY,
    parent_id   TEXT REFERENCES stores (id),
    kind        TEXT NOT NULL CHECK (kind IN ('hq', 'region', 'store')),
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    -- Materialised path of codes, e.g. '/HQ/R-EAST/S001/': a scope covers every node
    -- whose path starts with its own.
    path        TEXT NOT NULL UNIQUE,
    created_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    id    TEXT PRIMARY KEY,
    code  TEXT NOT NULL UNIQUE,
    name  TEXT NOT NULL
);

CREATE TABLE role_permissions (
    role_id     TEXT NOT NULL REFERENCES roles (id),
    permission  TEXT NOT NULL,
    PRIMARY KEY (role_id, permission)
);

CREATE TABLE staff (
    id             TEXT PRIMARY KEY,
    username       TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    -- 1 while the password is a published demo password; `serve` then refuses to listen
    -- beyond loopback.
    demo_password  BIGINT NOT NULL DEFAULT 0,
    role_id        TEXT NOT NULL REFERENCES roles (id),
    store_id       TEXT NOT NULL REFERENCES stores (id),
    email          TEXT,
    department     TEXT,
    title          TEXT,
    left_at        BIGINT,
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Permissions granted to one staff member beyond their role.
CREATE TABLE staff_permissions (
    staff_id    TEXT NOT NULL REFERENCES staff (id),
    permission  TEXT NOT NULL,
    PRIMARY KEY (staff_id, permission)
);

CREATE TABLE members (
    id             TEXT PRIMARY KEY,
    member_no      TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    phone          TEXT NOT NULL UNIQUE,
    password_hash  TEXT,
    level_name     TEXT NOT NULL,
    store_id       TEXT REFERENCES stores (id),
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Sessions of staff and members. Only a SHA-256 of the token is kept, so a copy of the
-- database does not let anyone log in.
CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    subject_kind  TEXT NOT NULL CHECK (subject_kind IN ('staff', 'member')),
    subject_id    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    ip            TEXT,
    user_agent    TEXT
);
CREATE INDEX sessions_by_subject ON sessions (subject_kind, subject_id);

-- Ledger accounts: one row per owner and asset, the balance kept beside the postings.
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    owner_kind  TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    code        TEXT NOT NULL,
    asset       TEXT NOT NULL,
    balance     BIGINT NOT NULL DEFAULT 0,
    UNIQUE (owner_kind, owner_id, code)
);

-- The audit log (SYS-3). Each row's hash covers its content and the previous row's hash,
-- so changing or removing a row breaks the chain from there on.
CREATE TABLE audit_log (
    seq          BIGINT PRIMARY KEY,
    at           BIGINT NOT NULL,
    actor_kind   TEXT NOT NULL,
    actor_id     TEXT,
    actor_name   TEXT,
    action       TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    TEXT,
    store_id     TEXT,
    ip           TEXT,
    before_json  TEXT,
    after_json   TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
);
CREATE INDEX audit_by_action ON audit_log (action, seq);
CREATE INDEX audit_by_actor ON audit_log (actor_id, seq);

-- The chain's head. Every audited transaction updates this one row first, which takes
-- its lock and so orders the writers of the chain on both engines.
CREATE TABLE audit_head (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
