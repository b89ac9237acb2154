-- The tablet sync (SYS-12). Every syncable thing has one row in `sync_changes` whose
-- version moves forward whenever the thing changes; a tablet pulls the rows after its
-- cursor in version order. The rows are written by triggers on the source tables, so no
-- code path that changes a member, an item, a level or the rules can forget to.
--
-- PostgreSQL has many writers, so a number from a sequence is not safe: a transaction
-- that took 41 may commit after one that took 42, and a reader that already passed 42
-- would never see 41. The version is instead the writing transaction's own id
-- (pg_current_xact_id(), 64 bits, never reused), and a pull returns only versions below
-- the xmin of its snapshot: every transaction with a lower id has ended, committed or
-- not, so nothing can still appear below that line. A transaction that has not written
-- yet gets its id at its first write, above every id handed out before, hence above any
-- reader's line.

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

-- The triggers are deferred to the commit: by then the transaction holds every lock
-- its own work needed, so taking a `sync_changes` row last cannot deadlock with another
-- transaction that locks the same member's accounts and cards in another order, and the
-- row is held only for the moment of the commit.
--
-- Moves one thing's version to the writing transaction's id. A thing changed several
-- times in one transaction (a sale posts to a member's accounts more than once) is
-- written once.
CREATE FUNCTION sync_touch(kind TEXT, thing TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO sync_changes (entity, entity_id, version)
    VALUES (kind, thing, pg_current_xact_id()::text::bigint)
    ON CONFLICT (entity, entity_id) DO UPDATE SET version = excluded.version
    WHERE sync_changes.version <> excluded.version;
$$;

-- Members as of now, items, levels and the rules: a tablet's first pull starts here.
INSERT INTO sync_changes (entity, entity_id, version)
    SELECT 'member', id, pg_current_xact_id()::text::bigint FROM members;
INSERT INTO sync_changes (entity, entity_id, version)
    SELECT 'item', id, pg_current_xact_id()::text::bigint FROM items;
INSERT INTO sync_changes (entity, entity_id, version)
    SELECT 'level', id, pg_current_xact_id()::text::bigint FROM member_levels;
-- The rules always have a change, the defaults when none were saved yet.
INSERT INTO sync_changes (entity, entity_id, version)
    VALUES ('rules', 'current', pg_current_xact_id()::text::bigint);

CREATE FUNCTION sync_member_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM sync_touch('member', OLD.id);
    ELSE
        PERFORM sync_touch('member', NEW.id);
    END IF;
    RETURN NULL;
END $$;
-- Only the columns a tablet holds move the version, so counting wrong PINs or logins
-- does not send the member to every tablet again. A rejected registration is deleted
-- and goes out as a tombstone.
CREATE CONSTRAINT TRIGGER sync_member_inserted AFTER INSERT OR DELETE ON members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sync_member_changed();
CREATE CONSTRAINT TRIGGER sync_member_updated AFTER UPDATE OF member_no, name, phone, phone_tail, profile,
    level_id, frozen_at, status, pin_hash, offline_pin_salt, offline_pin_verifier, merged_into
    ON members DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sync_member_changed();

-- A member's balances are their ledger accounts.
CREATE FUNCTION sync_member_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_touch('member', NEW.owner_id);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER sync_member_account_changed AFTER INSERT OR UPDATE OF balance ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.owner_kind = 'member')
    EXECUTE FUNCTION sync_member_account_changed();

-- A member's cards; a card moved to another member changes both.
CREATE FUNCTION sync_member_card_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.member_id IS NOT NULL THEN
        PERFORM sync_touch('member', NEW.member_id);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.member_id IS NOT NULL
        AND OLD.member_id IS DISTINCT FROM NEW.member_id THEN
        PERFORM sync_touch('member', OLD.member_id);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER sync_member_card_changed AFTER INSERT OR UPDATE OF member_id, state
    ON member_cards DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sync_member_card_changed();

CREATE FUNCTION sync_item_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_touch('item', NEW.id);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER sync_item_changed AFTER INSERT OR UPDATE ON items
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sync_item_changed();

-- An item carries its category path: moving a category changes its items.
CREATE FUNCTION sync_category_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_touch('item', id) FROM items WHERE category_id = NEW.id;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER sync_category_moved AFTER UPDATE OF path ON categories
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sync_category_moved();

CREATE FUNCTION sync_level_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_touch('level', NEW.id);
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER sync_level_changed AFTER INSERT OR UPDATE ON member_levels
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sync_level_changed();

-- Rules are saved as whole new versions: one change stands for the rules in force.
CREATE FUNCTION sync_rules_saved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_touch('rules', 'current');
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER sync_rules_saved AFTER INSERT ON rule_sets
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION sync_rules_saved();

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
-- cache is hashed with it. gen_random_uuid() draws from a strong random source.
INSERT INTO server_secrets (name, value, created_at)
VALUES ('sync_phone_salt', replace(gen_random_uuid()::text, '-', ''),
        CAST(extract(epoch FROM now()) * 1000 AS BIGINT));
