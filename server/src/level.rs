//! Membership levels (MEM-4): HQ's level definitions; the benefits a member's level gives
//! at the counter; the upgrade a sale can earn, checked inside the sale's own
//! transaction; the term-end job that renews or downgrades; and staff setting a level or
//! extending a term by hand. Every change of a member's level goes through [`moves`]: a
//! conditional update of the member row (so a change decided on a stale reading changes
//! nothing), a history row, an SMS in the outbox and an audit event, all in one
//! transaction.

pub mod benefits;
pub mod by_staff;
pub mod definitions;
pub mod months;
pub mod moves;
pub mod qualifying;
pub mod term_end;
pub mod upgrade;

pub use benefits::member_context;
