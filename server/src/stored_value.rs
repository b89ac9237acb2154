//! Stored value (储值) beyond the counter's single top-up and checkout: the posting of a
//! top-up that single and batch top-ups share, withdrawals (SV-3), corporate batch
//! top-ups (SV-4) and the balance report (SV-5).

pub mod batch;
pub mod report;
pub mod topup;
pub mod withdrawal;
