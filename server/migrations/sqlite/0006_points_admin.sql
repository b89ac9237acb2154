-- Points expiry (PTS-2) looks for lots whose expiry has passed with points remaining,
-- across every member, soonest first. Spent-out lots, the great majority over time,
-- stay out of this index.
CREATE INDEX points_lots_due ON points_lots (expires_at, id) WHERE remaining > 0;
