//! Pure types and rules. Imports nothing of the other modules.

/// Display and Debug print the masked form, so a phone, MAC or IP cannot reach a log by
/// accident; FromStr parses; Serialize writes the real text (responses, storage).
macro_rules! masked_text_type {
    ($t:ident, $err:ident, $text:ident) => {
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.masked())
            }
        }

        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($t), self.masked())
            }
        }

        impl std::str::FromStr for $t {
            type Err = $err;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.$text())
            }
        }
    };
}
pub(crate) use masked_text_type;

pub mod code;
pub mod console;
pub mod csv;
pub mod days;
pub mod housekeeping;
pub mod ip;
pub mod kinds;
pub mod mac;
pub mod msisdn;
pub mod network;
pub mod payment;
pub mod policy;
pub mod radius;
pub mod site;
pub mod spellings;
pub mod status;
pub mod text;
pub mod units;

pub use code::OtpCode;
pub use console::{AlertEvent, PromoKind, PromoStatus, RequestKind, RequestStatus, SubmissionRole, SubmissionStatus};
pub use ip::{Cidr, ClientIp, IpError};
pub use kinds::{
    AuditAction, AuditTarget, BlockCause, LedgerSource, LoginMethod, MessageStatus, RunStatus, SaleChannel,
    SyncTrigger, TxEventSource, TxPurpose,
};
pub use mac::{MacAddress, MacError};
pub use msisdn::{Msisdn, MsisdnError};
pub use payment::{PaymentMethod, ProviderMode, Rupiah, TxState, VaBank};
pub use status::{AccessStatus, ApprovalStatus, Language, Role};
pub use units::{Bytes, GIB, MIB};
