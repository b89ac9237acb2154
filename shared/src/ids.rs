//! Identifier newtypes. Every id is a UUIDv7, made by whoever creates the thing (the
//! tablet included), so a retried request carries the same id and is recognised.

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub ::uuid::Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(::uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::uuid::Error;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                ::uuid::Uuid::parse_str(text).map(Self)
            }
        }
    };
}

/// Other modules declare their own id types with the same macro.
pub(crate) use id_type;

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
