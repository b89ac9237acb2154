-- Membership levels (MEM-4): a tier belongs to one level only, so "the highest level a
-- member qualifies for" is always one level.
CREATE UNIQUE INDEX member_levels_tier ON member_levels (tier);

-- Whether a level is held (before it may be switched off) is one probe, not a scan of
-- every member.
CREATE INDEX members_level ON members (level_id);

-- The term-end job finds the members whose term has ended without reading the rest.
CREATE INDEX members_level_expires ON members (level_expires_at);
