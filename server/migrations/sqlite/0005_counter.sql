-- Card PINs (消费密码, CARD-3) and sales whose member is attached later (补登会员).

-- Only an argon2id hash of the PIN is kept. Wrong PINs in a row are counted and lock
-- spending until `pin_locked_until`; a right PIN resets the count.
ALTER TABLE members ADD COLUMN pin_hash TEXT;
ALTER TABLE members ADD COLUMN pin_failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN pin_locked_until BIGINT;

-- When a member was attached to a sale recorded without one.
ALTER TABLE sales ADD COLUMN member_attached_at BIGINT;
