-- Members (MEM-1…7), levels (MEM-4), member cards (CARD-1, CARD-2) and the notification
-- outbox. The search columns and the name-fragment table exist so every kind of lookup
-- the counter makes is one index probe among a million members.

-- Levels: benefits, term and the rule that moves a member up. `tier` orders them; the
-- standard level (tier 0) is where every member starts and cannot be removed.
CREATE TABLE member_levels (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    tier                  BIGINT NOT NULL,
    discount_bp           BIGINT NOT NULL DEFAULT 10000,
    points_multiplier_bp  BIGINT NOT NULL DEFAULT 10000,
    -- Months a level lasts once reached; NULL never ends.
    term_months           BIGINT,
    -- What reaching it takes: cumulative spend (分), points earned or visits within
    -- `upgrade_period_months` (NULL: since joining). NULL metric: only by staff.
    upgrade_metric        TEXT CHECK (upgrade_metric IN ('spend', 'points', 'visits')),
    upgrade_threshold     BIGINT,
    upgrade_period_months BIGINT,
    -- At term end: renew if the member still qualifies else drop one level, or always
    -- renew, or always drop.
    at_term_end           TEXT NOT NULL DEFAULT 'requalify'
                          CHECK (at_term_end IN ('requalify', 'renew', 'downgrade')),
    active                BIGINT NOT NULL DEFAULT 1,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
INSERT INTO member_levels (id, name, tier, created_at, updated_at)
VALUES ('standard', '普通会员', 0, 0, 0);

-- Every change of a member's level, and why.
CREATE TABLE member_level_history (
    id           TEXT PRIMARY KEY,
    member_id    TEXT NOT NULL REFERENCES members (id),
    from_level   TEXT REFERENCES member_levels (id),
    to_level     TEXT NOT NULL REFERENCES member_levels (id),
    reason       TEXT NOT NULL,
    expires_at   BIGINT,
    staff_id     TEXT,
    note         TEXT,
    created_at   BIGINT NOT NULL
);
CREATE INDEX member_level_history_member ON member_level_history (member_id, created_at);

-- Classification lists HQ keeps: frequency (频率), type (类型), region (地区).
CREATE TABLE member_classes (
    id         TEXT PRIMARY KEY,
    list       TEXT NOT NULL CHECK (list IN ('frequency', 'type', 'region')),
    name       TEXT NOT NULL,
    position   BIGINT NOT NULL DEFAULT 0,
    active     BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    UNIQUE (list, name)
);

-- The profile's fields: the built-in ones of MEM-1 and HQ's questionnaire fields. `access`
-- says who may edit: 'general' the member too, 'protected' staff only.
CREATE TABLE member_fields (
    key        TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('text', 'number', 'date', 'choice')),
    choices    TEXT,
    access     TEXT NOT NULL CHECK (access IN ('general', 'protected')),
    builtin    BIGINT NOT NULL DEFAULT 0,
    required   BIGINT NOT NULL DEFAULT 0,
    position   BIGINT NOT NULL DEFAULT 0,
    active     BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
INSERT INTO member_fields (key, label, kind, choices, access, builtin, position, created_at) VALUES
    ('gender',         '性别',         'choice', '["男","女"]', 'general',   1, 10,  0),
    ('birth_date',     '生日',         'date',   NULL,          'protected', 1, 20,  0),
    ('organisation',   '机构',         'text',   NULL,          'general',   1, 30,  0),
    ('job_title',      '职务',         'text',   NULL,          'general',   1, 40,  0),
    ('ethnicity',      '民族',         'text',   NULL,          'general',   1, 50,  0),
    ('address',        '地址',         'text',   NULL,          'general',   1, 60,  0),
    ('family',         '家庭情况',     'text',   NULL,          'general',   1, 70,  0),
    ('interests',      '兴趣爱好',     'text',   NULL,          'general',   1, 80,  0),
    ('habits',         '消费习惯',     'text',   NULL,          'general',   1, 90,  0),
    ('media_habits',   '媒体接触习惯', 'text',   NULL,          'general',   1, 100, 0),
    ('anniversary',    '纪念日',       'date',   NULL,          'general',   1, 110, 0),
    ('note1',          '备注一',       'text',   NULL,          'protected', 1, 120, 0),
    ('note2',          '备注二',       'text',   NULL,          'protected', 1, 130, 0),
    ('note3',          '备注三',       'text',   NULL,          'protected', 1, 140, 0);

-- The member record grows: where they stand (pending approval, formal, archived), their
-- level and its term, classification, the profile's field values as one JSON object, and
-- the columns search probes.
ALTER TABLE members ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE members ADD COLUMN level_id TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE members ADD COLUMN level_since BIGINT;
ALTER TABLE members ADD COLUMN level_expires_at BIGINT;
ALTER TABLE members ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
ALTER TABLE members ADD COLUMN frequency_class TEXT REFERENCES member_classes (id);
ALTER TABLE members ADD COLUMN type_class TEXT REFERENCES member_classes (id);
ALTER TABLE members ADD COLUMN region_class TEXT REFERENCES member_classes (id);
ALTER TABLE members ADD COLUMN phone_tail TEXT NOT NULL DEFAULT '';
ALTER TABLE members ADD COLUMN registered_via TEXT NOT NULL DEFAULT 'store';
ALTER TABLE members ADD COLUMN referral_code TEXT;
ALTER TABLE members ADD COLUMN referred_by TEXT REFERENCES members (id);
ALTER TABLE members ADD COLUMN frozen_at BIGINT;
ALTER TABLE members ADD COLUMN archived_at BIGINT;
ALTER TABLE members ADD COLUMN merged_into TEXT REFERENCES members (id);
ALTER TABLE members ADD COLUMN approved_at BIGINT;
UPDATE members SET phone_tail = substr(phone, length(phone) - 3, 4);
CREATE INDEX members_phone_tail ON members (phone_tail, member_no);
CREATE INDEX members_name ON members (name);
CREATE INDEX members_status ON members (status, created_at);
CREATE UNIQUE INDEX members_referral_code ON members (referral_code);

-- Name fragments: every character and every pair of neighbouring characters of a name,
-- so 三丰 finds 张三丰 by one probe instead of a scan.
CREATE TABLE member_name_grams (
    gram       TEXT NOT NULL,
    member_id  TEXT NOT NULL REFERENCES members (id),
    PRIMARY KEY (gram, member_id)
);

-- Member numbers are handed out from this counter.
CREATE TABLE number_counters (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);
INSERT INTO number_counters (name, value)
SELECT 'member_no', COUNT(*) FROM members;

-- Physical and virtual member cards (CARD-1, CARD-2). A member may hold several; only an
-- `active` card sells. A reissued or replaced card points at its successor.
CREATE TABLE member_cards (
    card_no      TEXT PRIMARY KEY,
    member_id    TEXT REFERENCES members (id),
    medium       TEXT NOT NULL CHECK (medium IN ('barcode', 'magnetic', 'ic', 'virtual')),
    state        TEXT NOT NULL
                 CHECK (state IN ('in_stock', 'active', 'lost', 'frozen', 'replaced', 'closed')),
    replaced_by  TEXT,
    store_id     TEXT REFERENCES stores (id),
    issued_at    BIGINT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX member_cards_member ON member_cards (member_id);

-- Messages to members (SMS codes, level changes), written in the same transaction as
-- what caused them and delivered afterwards by the configured provider.
CREATE TABLE notifications (
    id           TEXT PRIMARY KEY,
    channel      TEXT NOT NULL CHECK (channel IN ('sms')),
    recipient    TEXT NOT NULL,
    member_id    TEXT REFERENCES members (id),
    kind         TEXT NOT NULL,
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    sent_at      BIGINT
);
CREATE INDEX notifications_unsent ON notifications (sent_at, created_at);
CREATE INDEX notifications_recipient ON notifications (recipient, created_at);
