//! Typed columns: domain types read from and written to their text columns. A value that does
//! not parse is a deserialization error (the CHECK constraints keep such values out).

use std::io::Write;

use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;

use crate::domain::{
    AccessStatus, AlertEvent, ApprovalStatus, AuditAction, AuditTarget, BlockCause, ClientIp, Language, LedgerSource,
    LoginMethod, MacAddress, MessageStatus, Msisdn, PaymentMethod, PromoKind, PromoStatus, RequestKind, RequestStatus,
    Role, RunStatus, SaleChannel, SubmissionRole, SubmissionStatus, SyncTrigger, TxEventSource, TxPurpose, TxState,
    VaBank,
};

/// `FromSql`/`ToSql` for a domain type over a text column: `$parse` reads, `$text` writes.
macro_rules! text_column {
    ($t:ty, $text:expr) => {
        impl FromSql<Text, Pg> for $t {
            fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                let raw = <String as FromSql<Text, Pg>>::from_sql(value)?;
                raw.parse::<$t>().map_err(|e| format!("stored {}: {e}", stringify!($t)).into())
            }
        }

        impl ToSql<Text, Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                let text: &dyn Fn(&$t) -> String = &$text;
                out.write_all(text(self).as_bytes())?;
                Ok(IsNull::No)
            }
        }
    };
}

text_column!(Msisdn, |m: &Msisdn| m.as_e164().to_owned());
text_column!(MacAddress, MacAddress::canonical);
text_column!(ClientIp, ClientIp::as_text);
text_column!(Role, |r: &Role| r.as_str().to_owned());
text_column!(ApprovalStatus, |a: &ApprovalStatus| a.as_str().to_owned());
text_column!(AccessStatus, |a: &AccessStatus| a.as_str().to_owned());
text_column!(Language, |l: &Language| l.as_str().to_owned());
text_column!(TxState, |t: &TxState| t.as_str().to_owned());
text_column!(LedgerSource, |v: &LedgerSource| v.as_str().to_owned());
text_column!(LoginMethod, |v: &LoginMethod| v.as_str().to_owned());
text_column!(SyncTrigger, |v: &SyncTrigger| v.as_str().to_owned());
text_column!(RunStatus, |v: &RunStatus| v.as_str().to_owned());
text_column!(MessageStatus, |v: &MessageStatus| v.as_str().to_owned());
text_column!(SaleChannel, |v: &SaleChannel| v.as_str().to_owned());
text_column!(TxEventSource, |v: &TxEventSource| v.as_str().to_owned());
text_column!(BlockCause, |v: &BlockCause| v.as_str().to_owned());
text_column!(TxPurpose, |v: &TxPurpose| v.as_str().to_owned());
text_column!(AuditAction, |v: &AuditAction| v.as_str().to_owned());
text_column!(AuditTarget, |v: &AuditTarget| v.as_str().to_owned());
text_column!(SubmissionStatus, |v: &SubmissionStatus| v.as_str().to_owned());
text_column!(SubmissionRole, |v: &SubmissionRole| v.as_str().to_owned());
text_column!(PromoKind, |v: &PromoKind| v.as_str().to_owned());
text_column!(PromoStatus, |v: &PromoStatus| v.as_str().to_owned());
text_column!(RequestKind, |v: &RequestKind| v.as_str().to_owned());
text_column!(RequestStatus, |v: &RequestStatus| v.as_str().to_owned());
text_column!(AlertEvent, |v: &AlertEvent| v.as_str().to_owned());
text_column!(PaymentMethod, |v: &PaymentMethod| v.as_str().to_owned());
text_column!(VaBank, |v: &VaBank| v.as_str().to_owned());
text_column!(crate::domain::radius::SiteMode, |v: &crate::domain::radius::SiteMode| v.as_str().to_owned());
