//! Payments as pure rules: a transaction's states, what a payment provider's word does to each
//! (the state machine), and the provider's amount text read as integer rupiah.

use super::status::text_enum;

text_enum!(
    /// Where a sale stands. `paid` and `refunded` are final for money received: nothing the
    /// provider says later moves a paid transaction back.
    TxState { Pending => "pending", Paid => "paid", Failed => "failed", Expired => "expired", Refunded => "refunded" }
);

text_enum!(
    /// How the shop opens payments: Midtrans's Snap page, or its Core API (the buyer picks a
    /// method in the frontend and pays from our status page).
    ProviderMode { Snap => "snap", CoreApi => "core_api" }
);

text_enum!(
    /// A Core API payment method the operator may offer.
    PaymentMethod { Qris => "qris", Gopay => "gopay", Shopeepay => "shopeepay", Va => "va" }
);

text_enum!(
    /// The banks whose virtual accounts the Core API opens (Mandiri's is a bill payment).
    VaBank { Bca => "bca", Bni => "bni", Bri => "bri", Mandiri => "mandiri", Permata => "permata", Cimb => "cimb" }
);

/// Integer rupiah. Midtrans writes amounts as `"10000.00"`; only whole rupiah exist here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rupiah(pub i64);

impl Rupiah {
    /// Reads `"10000"`, `"10000.0"` or `"10000.00"`; anything else (a fraction, a sign, an
    /// exponent, a separator) is not an amount we ever asked for.
    pub fn parse_provider(text: &str) -> Option<Rupiah> {
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if whole.is_empty() || whole.len() > 12 || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        // Midtrans writes amounts without leading zeros; "05000.00" is not its word.
        if whole.len() > 1 && whole.starts_with('0') {
            return None;
        }
        if frac.len() > 2 || !frac.bytes().all(|b| b == b'0') {
            return None;
        }
        whole.parse().ok().map(Rupiah)
    }

    /// The form Midtrans signs and sends back: two decimals.
    pub fn provider_text(self) -> String {
        format!("{}.00", self.0)
    }
}

/// `Rp15.000`: the way Indonesian receipts write money.
impl std::fmt::Display for Rupiah {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = self.0.unsigned_abs().to_string();
        f.write_str(if self.0 < 0 { "-Rp" } else { "Rp" })?;
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                f.write_str(".")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// What the provider says about a transaction (`transaction_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderWord {
    Pending,
    Settlement,
    /// A card payment captured; money only with fraud status `accept`.
    Capture,
    Authorize,
    Deny,
    Cancel,
    Expire,
    Failure,
    Refund,
    PartialRefund,
    Chargeback,
    Unknown,
}

impl ProviderWord {
    pub fn parse(s: &str) -> Self {
        match s {
            "pending" => Self::Pending,
            "settlement" => Self::Settlement,
            "capture" => Self::Capture,
            "authorize" => Self::Authorize,
            "deny" => Self::Deny,
            "cancel" => Self::Cancel,
            "expire" => Self::Expire,
            "failure" => Self::Failure,
            "refund" => Self::Refund,
            "partial_refund" => Self::PartialRefund,
            "chargeback" | "partial_chargeback" => Self::Chargeback,
            _ => Self::Unknown,
        }
    }
}

/// Whether a signed notification's word may be believed on its own. Midtrans signs the status
/// code and the amount, not the word (nor the fraud verdict): a genuine `pending` (201) sent
/// again saying `settlement` carries a valid signature. So only a word that moves no money and
/// agrees with its signed code stands alone; a word that pays, refunds or disagrees is asked
/// of the status API first.
pub fn believable_alone(word: ProviderWord, status_code: &str) -> bool {
    use ProviderWord as W;
    matches!(
        (word, status_code),
        (W::Pending | W::Authorize, "201") | (W::Deny | W::Expire | W::Failure | W::Cancel, "202")
    )
}

/// What a provider's word does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// The state after (the same state when nothing moves).
    pub to: TxState,
    /// Money arrived for a transaction that had not been paid: grant its package (once; the
    /// grant's key makes sure of that too).
    pub grant: bool,
}

/// The state machine. `fraud` is Midtrans's `fraud_status` (`accept`, `challenge`, `deny`).
pub fn decide(current: TxState, word: ProviderWord, fraud: Option<&str>) -> Step {
    use ProviderWord as W;
    use TxState as S;
    let stay = Step { to: current, grant: false };
    let money_in = match word {
        W::Settlement => true,
        // A capture without a fraud verdict is Midtrans's non-card capture: money is in.
        W::Capture => matches!(fraud, None | Some("accept")),
        _ => false,
    };
    match current {
        S::Paid => match word {
            W::Refund | W::PartialRefund | W::Chargeback => Step { to: S::Refunded, grant: false },
            _ => stay,
        },
        S::Refunded => stay,
        // Money that arrives after we gave up on it is still money: the package is granted.
        S::Pending | S::Failed | S::Expired if money_in => Step { to: S::Paid, grant: true },
        S::Pending => match word {
            W::Capture if fraud == Some("deny") => Step { to: S::Failed, grant: false },
            W::Deny | W::Cancel | W::Failure => Step { to: S::Failed, grant: false },
            W::Expire => Step { to: S::Expired, grant: false },
            _ => stay,
        },
        S::Failed | S::Expired => stay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProviderWord as W;
    use TxState as S;

    #[test]
    fn provider_amounts_are_whole_rupiah_only() {
        let cases = [
            ("10000.00", Some(10_000)),
            ("10000", Some(10_000)),
            ("10000.0", Some(10_000)),
            ("0.00", Some(0)),
            ("10000.50", None),
            ("10000.001", None),
            ("-10000.00", None),
            ("1e4", None),
            ("10,000.00", None),
            ("", None),
            (".00", None),
            ("9999999999999.00", None),
            ("05000.00", None),
            ("00", None),
        ];
        for (text, want) in cases {
            assert_eq!(Rupiah::parse_provider(text), want.map(Rupiah), "{text:?}");
        }
        assert_eq!(Rupiah(15_000).provider_text(), "15000.00");
    }

    #[test]
    fn only_words_that_move_no_money_and_agree_with_their_code_stand_alone() {
        assert!(believable_alone(W::Pending, "201"));
        assert!(believable_alone(W::Expire, "202"));
        // A genuine pending (201) replayed as settlement, a settlement however signed, a
        // refund, a capture (its fraud verdict is not signed): asked of the status API.
        assert!(!believable_alone(W::Settlement, "201"));
        assert!(!believable_alone(W::Settlement, "200"));
        assert!(!believable_alone(W::Capture, "200"));
        assert!(!believable_alone(W::Refund, "200"));
        assert!(!believable_alone(W::Pending, "200"));
        assert!(!believable_alone(W::Expire, "201"));
        assert!(!believable_alone(W::Unknown, "202"));
    }

    #[test]
    fn the_state_machine() {
        let g = |to| Step { to, grant: true };
        let n = |to| Step { to, grant: false };
        let cases = [
            (S::Pending, W::Pending, None, n(S::Pending)),
            (S::Pending, W::Settlement, None, g(S::Paid)),
            (S::Pending, W::Capture, Some("accept"), g(S::Paid)),
            (S::Pending, W::Capture, Some("challenge"), n(S::Pending)),
            (S::Pending, W::Capture, Some("deny"), n(S::Failed)),
            (S::Pending, W::Deny, None, n(S::Failed)),
            (S::Pending, W::Cancel, None, n(S::Failed)),
            (S::Pending, W::Failure, None, n(S::Failed)),
            (S::Pending, W::Expire, None, n(S::Expired)),
            (S::Pending, W::Refund, None, n(S::Pending)),
            (S::Pending, W::Unknown, None, n(S::Pending)),
            // A paid transaction never moves back, and is never granted twice.
            (S::Paid, W::Settlement, None, n(S::Paid)),
            (S::Paid, W::Pending, None, n(S::Paid)),
            (S::Paid, W::Expire, None, n(S::Paid)),
            (S::Paid, W::Cancel, None, n(S::Paid)),
            (S::Paid, W::Deny, None, n(S::Paid)),
            (S::Paid, W::Refund, None, n(S::Refunded)),
            (S::Paid, W::PartialRefund, None, n(S::Refunded)),
            (S::Paid, W::Chargeback, None, n(S::Refunded)),
            (S::Refunded, W::Settlement, None, n(S::Refunded)),
            (S::Refunded, W::Pending, None, n(S::Refunded)),
            // Late money is honoured; late bad news changes nothing.
            (S::Expired, W::Settlement, None, g(S::Paid)),
            (S::Failed, W::Settlement, None, g(S::Paid)),
            (S::Expired, W::Pending, None, n(S::Expired)),
            (S::Failed, W::Expire, None, n(S::Failed)),
            (S::Expired, W::Cancel, None, n(S::Expired)),
        ];
        for (from, word, fraud, want) in cases {
            assert_eq!(decide(from, word, fraud), want, "{from:?} + {word:?} ({fraud:?})");
        }
    }

    #[test]
    fn provider_words() {
        assert_eq!(ProviderWord::parse("settlement"), W::Settlement);
        assert_eq!(ProviderWord::parse("partial_chargeback"), W::Chargeback);
        assert_eq!(ProviderWord::parse("SETTLEMENT"), W::Unknown);
        assert_eq!(ProviderWord::parse(""), W::Unknown);
    }
}
