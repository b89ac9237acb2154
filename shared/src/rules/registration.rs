//! Self-registration policy (MEM-2): whether a registrant waits for HQ's approval before
//! becoming a formal member, and the points the member who referred them earns then.

use super::error::{RuleError, RuleErrorKind};
use serde::{Deserialize, Serialize};

/// The most points one referral may earn: a typing slip of extra zeros should be refused,
/// not paid to every referrer.
pub const REFERRAL_POINTS_MAX: i64 = 100_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RegistrationPolicy {
    /// Registrants from the phone wait in HQ's approval queue (待审核) until approved.
    /// Staff-entered members are formal at once either way.
    pub approval_required: bool,
    /// Points the referrer earns when the member they referred becomes formal; 0 pays
    /// nothing.
    pub referral_points: i64,
}

impl RegistrationPolicy {
    pub fn check(&self, field: &str) -> Result<(), RuleError> {
        if self.referral_points < 0 {
            return Err(RuleError::new(
                format!("{field}.referral_points"),
                RuleErrorKind::Negative,
            ));
        }
        if self.referral_points > REFERRAL_POINTS_MAX {
            return Err(RuleError::new(
                format!("{field}.referral_points"),
                RuleErrorKind::AboveMaximum,
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referral_points_lie_between_zero_and_the_maximum() {
        let policy = |points| RegistrationPolicy {
            approval_required: true,
            referral_points: points,
        };
        assert!(policy(0).check("registration").is_ok());
        assert!(policy(REFERRAL_POINTS_MAX).check("registration").is_ok());
        let error = policy(-1).check("registration").expect_err("negative");
        assert_eq!(error.field, "registration.referral_points");
        assert_eq!(error.kind, RuleErrorKind::Negative);
        assert_eq!(
            policy(REFERRAL_POINTS_MAX + 1)
                .check("registration")
                .expect_err("too many")
                .kind,
            RuleErrorKind::AboveMaximum
        );
    }
}
