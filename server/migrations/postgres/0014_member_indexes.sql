-- Lookups by the members a row points at: rejecting a registrant checks who it referred
-- and what was merged into it, and deleting it checks every reference; without these
-- each is a scan of a table that grows for ever.
CREATE INDEX members_referred_by ON members (referred_by);
CREATE INDEX members_merged_into ON members (merged_into);
CREATE INDEX notifications_member ON notifications (member_id);
CREATE INDEX member_qr_uses_member ON member_qr_uses (member_id);

-- Members from before 0009 get their referral code (their member number), as new ones do.
UPDATE members SET referral_code = member_no WHERE referral_code IS NULL;
