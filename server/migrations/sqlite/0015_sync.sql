-- The tablet sync (SYS-12). Every syncable thing has one row in `sync_changes` whose
-- version moves forward whenever the thing changes; a tablet pulls the rows after its
-- cursor in version order. The rows are written by triggers on the source tables, so no
-- code path that changes a member, an item, a level or the rules can forget to.
--
-- SQLite has one writer: a version taken as MAX + 1 inside the writing transaction is
-- always above every version already committed, and no reader can see it before the
-- transaction commits, so a reader that passed version V never meets a later commit at
-- or below V. (PostgreSQL needs another scheme: see its copy of this file.)

-- The offline PIN verifier (shared::sync::offline_pin_verifier) with its own random
-- salt, made whenever the plain PIN is at hand (set, changed, checked online) and
-- cleared with the PIN. It goes to the tablets so a till can check a PIN offline.
ALTER TABLE members ADD COLUMN offline_pin_salt TEXT;
ALTER TABLE members ADD COLUMN offline_pin_verifier TEXT;

CREATE TABLE sync_changes (
    entity     TEXT NOT NULL CHECK (entity IN ('member', 'item', 'level', 'rules')),
    entity_id  TEXT NOT NULL,
    version    BIGINT NOT NULL,
    PRIMARY KEY (entity, entity_id)
);
CREATE INDEX sync_changes_order ON sync_changes (version, entity, entity_id);

-- Members as of now, items, levels and the rules: a tablet's first pull starts here.
INSERT INTO sync_changes (entity, entity_id, version) SELECT 'member', id, 1 FROM members;
INSERT INTO sync_changes (entity, entity_id, version) SELECT 'item', id, 1 FROM items;
INSERT INTO sync_changes (entity, entity_id, version) SELECT 'level', id, 1 FROM member_levels;
-- The rules always have a change, the defaults when none were saved yet.
INSERT INTO sync_changes (entity, entity_id, version) VALUES ('rules', 'current', 1);

-- Members: only the columns a tablet holds move the version, so counting wrong PINs or
-- logins does not send the member to every tablet again.
CREATE TRIGGER sync_member_inserted AFTER INSERT ON members BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('member', NEW.id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER sync_member_updated AFTER UPDATE OF member_no, name, phone, phone_tail, profile,
    level_id, frozen_at, status, pin_hash, offline_pin_salt, offline_pin_verifier, merged_into
    ON members BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('member', NEW.id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;
-- A rejected registration is deleted; it goes out as a tombstone.
CREATE TRIGGER sync_member_deleted AFTER DELETE ON members BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('member', OLD.id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;

-- A member's balances are their ledger accounts.
CREATE TRIGGER sync_member_account_opened AFTER INSERT ON accounts
    WHEN NEW.owner_kind = 'member' BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('member', NEW.owner_id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER sync_member_account_moved AFTER UPDATE OF balance ON accounts
    WHEN NEW.owner_kind = 'member' BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('member', NEW.owner_id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;

-- A member's cards; a card moved to another member changes both.
CREATE TRIGGER sync_member_card_inserted AFTER INSERT ON member_cards
    WHEN NEW.member_id IS NOT NULL BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('member', NEW.member_id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER sync_member_card_updated AFTER UPDATE OF member_id, state ON member_cards BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    SELECT 'member', NEW.member_id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes)
    WHERE NEW.member_id IS NOT NULL
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
    INSERT INTO sync_changes (entity, entity_id, version)
    SELECT 'member', OLD.member_id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes)
    WHERE OLD.member_id IS NOT NULL AND OLD.member_id IS NOT NEW.member_id
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;

CREATE TRIGGER sync_item_inserted AFTER INSERT ON items BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('item', NEW.id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER sync_item_updated AFTER UPDATE ON items BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('item', NEW.id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;
-- An item carries its category path: moving a category changes its items.
CREATE TRIGGER sync_category_moved AFTER UPDATE OF path ON categories BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    SELECT 'item', id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes)
    FROM items WHERE category_id = NEW.id
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;

CREATE TRIGGER sync_level_inserted AFTER INSERT ON member_levels BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('level', NEW.id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;
CREATE TRIGGER sync_level_updated AFTER UPDATE ON member_levels BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('level', NEW.id, (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;

-- Rules are saved as whole new versions: one change stands for the rules in force.
CREATE TRIGGER sync_rules_saved AFTER INSERT ON rule_sets BEGIN
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('rules', 'current', (SELECT COALESCE(MAX(version), 0) + 1 FROM sync_changes))
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version;
END;

-- Offline sales that overdrew a member's stored value or points: recorded all the same
-- (the goods have left), and listed here for a manager to settle.
CREATE TABLE overdraft_conflicts (
    id                TEXT PRIMARY KEY,
    sale_id           TEXT NOT NULL UNIQUE REFERENCES sales (id),
    member_id         TEXT NOT NULL REFERENCES members (id),
    store_id          TEXT NOT NULL REFERENCES stores (id),
    device_id         TEXT NOT NULL,
    shortfall_fen     BIGINT NOT NULL CHECK (shortfall_fen >= 0),
    shortfall_points  BIGINT NOT NULL CHECK (shortfall_points >= 0),
    occurred_at       BIGINT,
    recorded_at       BIGINT NOT NULL,
    resolved_at       BIGINT,
    resolved_by       TEXT REFERENCES staff (id),
    resolution        TEXT
);
CREATE INDEX overdraft_conflicts_by_time ON overdraft_conflicts (recorded_at);
CREATE INDEX overdraft_conflicts_by_member ON overdraft_conflicts (member_id);

-- The organisation's salt for the phone hashes tablets match typed numbers with
-- (shared::sync::phone_hash): made once, here, and never changed, since every tablet's
-- cache is hashed with it.
INSERT INTO server_secrets (name, value, created_at)
VALUES ('sync_phone_salt', lower(hex(randomblob(16))), CAST(strftime('%s', 'now') AS BIGINT) * 1000);
