//! Identifier newtypes. Every id is a UUIDv7, made by whoever creates the thing (the
//! tablet included), so a retried request carries the same id and is recognised.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(text).map(Self)
            }
        }
    };
}

id_type!(
    /// A store node: headquarters, a region or a store.
    StoreId
);
id_type!(
    /// A staff account.
    StaffId
);
id_type!(
    /// A member (会员).
    MemberId
);
id_type!(
    /// A login session; only its hash is stored.
    SessionId
);

#[cfg(test)]
mod tests {
    use super::*;

    /// New ids sort in creation order, which keeps indexes append-only.
    #[test]
    fn ids_are_time_ordered_and_round_trip() {
        let first = StaffId::new();
        let second = StaffId::new();
        assert!(first < second);
        let parsed: StaffId = first.to_string().parse().expect("a valid uuid");
        assert_eq!(parsed, first);
        assert!("not-a-uuid".parse::<StaffId>().is_err());
    }
}
