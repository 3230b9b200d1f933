//! Pure types and rules. Imports nothing of the other modules.

pub mod ip;
pub mod mac;
pub mod msisdn;
pub mod status;
pub mod text;

pub use ip::{Cidr, ClientIp, IpError};
pub use mac::{MacAddress, MacError};
pub use msisdn::{Msisdn, MsisdnError};
pub use status::{AccessStatus, ApprovalStatus, Role};

/// Bytes in one GiB; quota is always integer bytes.
pub const GIB: i64 = 1024 * 1024 * 1024;
