//! Enumerations stored as text in Postgres (each has a CHECK constraint naming the same values).

macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        #[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::status::UnknownVariant;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                // Any case: operators type `admin` on the command line.
                $(if s.eq_ignore_ascii_case($text) { return Ok($name::$variant); })+
                Err($crate::domain::status::UnknownVariant { kind: stringify!($name), value: s.to_owned() })
            }
        }

        // By hand: the derive does not see the variants' renames through this macro.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} value {value:?}")]
pub struct UnknownVariant {
    pub kind: &'static str,
    pub value: String,
}

text_enum!(
    /// Who a user is to the system (the existing frontend's spelling, stored as such).
    Role { User => "USER", Komandan => "KOMANDAN", Admin => "ADMIN", SuperAdmin => "SUPER_ADMIN" }
);

impl Role {
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin | Role::SuperAdmin)
    }
}

text_enum!(
    /// Registration review state.
    ApprovalStatus { Pending => "PENDING_APPROVAL", Approved => "APPROVED", Rejected => "REJECTED" }
);

text_enum!(
    /// The access state the quota sync and the captive flow put a user in.
    AccessStatus {
        Active => "active",
        Fup => "fup",
        Habis => "habis",
        Expired => "expired",
        Blocked => "blocked",
        Inactive => "inactive",
        Unlimited => "unlimited",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), *r);
            assert_eq!(serde_json::to_string(r).unwrap(), format!("\"{}\"", r.as_str()));
        }
        for s in AccessStatus::ALL {
            assert_eq!(s.as_str().parse::<AccessStatus>().unwrap(), *s);
        }
        for a in ApprovalStatus::ALL {
            assert_eq!(a.as_str().parse::<ApprovalStatus>().unwrap(), *a);
        }
        // The frontend's spelling, stored and served as such; any case is read.
        assert_eq!(serde_json::to_string(&Role::SuperAdmin).unwrap(), "\"SUPER_ADMIN\"");
        assert_eq!(serde_json::to_string(&ApprovalStatus::Pending).unwrap(), "\"PENDING_APPROVAL\"");
        assert_eq!("admin".parse::<Role>(), Ok(Role::Admin));
        assert_eq!("super_admin".parse::<Role>(), Ok(Role::SuperAdmin));
        assert!("administrator".parse::<Role>().is_err());
        assert!(Role::SuperAdmin.is_admin() && !Role::Komandan.is_admin());
    }
}

text_enum!(
    /// The language a user reads their messages in.
    Language { Id => "id", En => "en" }
);
