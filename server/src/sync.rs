//! The tablet sync (SYS-12, DESIGN §7): the change feed tablets pull their cache from,
//! the push that records their outbox, and the overdraft conflicts offline sales leave
//! for HQ. The wire types live in `shared::sync`.

pub mod feed;
pub mod overdraft;
pub mod push;
