//! The Core API: a charge opens a payment the buyer completes outside Midtrans's pages (a QRIS
//! code, an e-wallet app, a bank's virtual account), and a pending charge can be cancelled. The
//! answer carries what the buyer needs (a QR string, a deep link, a VA number or Mandiri's bill
//! key); notifications, the status API and the state machine are the same as Snap's.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Midtrans, MidtransError, Order, refusal};
use crate::domain::{PaymentMethod, VaBank};

/// Midtrans writes its times in Jakarta time without an offset.
const WIB_SECS: i32 = 7 * 3_600;

/// What the buyer needs to pay a charge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Charged {
    pub transaction_id: Option<String>,
    /// Midtrans's `payment_type` (`qris`, `gopay`, `shopeepay`, `bank_transfer`, `echannel`).
    pub payment_type: String,
    pub va_number: Option<String>,
    /// Mandiri bill payment: the bill key and the biller code.
    pub bill_key: Option<String>,
    pub biller_code: Option<String>,
    /// The QRIS text, drawn by our own QR endpoint.
    pub qr_string: Option<String>,
    /// Midtrans's QR image (GoPay has no QR text).
    pub qr_url: Option<String>,
    /// An e-wallet app's deep link.
    pub deeplink_url: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct Action {
    #[serde(default)]
    name: String,
    #[serde(default)]
    url: String,
}

#[derive(Debug, Deserialize)]
struct VaNumber {
    #[serde(default)]
    bank: String,
    #[serde(default)]
    va_number: String,
}

#[derive(Debug, Deserialize)]
struct ChargeAnswer {
    #[serde(default)]
    status_code: String,
    #[serde(default)]
    status_message: Option<String>,
    #[serde(default)]
    transaction_id: Option<String>,
    #[serde(default)]
    payment_type: Option<String>,
    #[serde(default)]
    actions: Vec<Action>,
    #[serde(default)]
    va_numbers: Vec<VaNumber>,
    #[serde(default)]
    permata_va_number: Option<String>,
    #[serde(default)]
    bill_key: Option<String>,
    #[serde(default)]
    biller_code: Option<String>,
    #[serde(default)]
    qr_string: Option<String>,
    #[serde(default)]
    expiry_time: Option<String>,
}

/// The charge body for one method (`custom_expiry` bounds it like Snap's window).
fn body(o: &Order<'_>, method: PaymentMethod, bank: Option<VaBank>) -> Result<Value, MidtransError> {
    let mut b = o.details();
    b["custom_expiry"] = json!({ "expiry_duration": o.expiry_minutes, "unit": "minute" });
    match method {
        PaymentMethod::Qris => {
            b["payment_type"] = json!("qris");
            b["qris"] = json!({ "acquirer": "gopay" });
        }
        PaymentMethod::Gopay => {
            b["payment_type"] = json!("gopay");
            b["gopay"] = json!({ "enable_callback": true, "callback_url": o.return_url });
        }
        PaymentMethod::Shopeepay => {
            b["payment_type"] = json!("shopeepay");
            b["shopeepay"] = json!({ "callback_url": o.return_url });
        }
        PaymentMethod::Va => match bank {
            None => return Err(MidtransError::Refused("a virtual account needs its bank".into())),
            Some(VaBank::Mandiri) => {
                b["payment_type"] = json!("echannel");
                let item: String = o.item_name.chars().take(18).collect();
                b["echannel"] = json!({ "bill_info1": "Pembayaran Hotspot", "bill_info2": item });
            }
            Some(bank) => {
                b["payment_type"] = json!("bank_transfer");
                b["bank_transfer"] = json!({ "bank": bank.as_str() });
            }
        },
    }
    Ok(b)
}

/// Midtrans's `2026-12-07 20:54:00` (Jakarta time) as an instant.
fn wib(text: &str) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    let offset = chrono::FixedOffset::east_opt(WIB_SECS)?;
    local.and_local_timezone(offset).single().map(|t| t.with_timezone(&Utc))
}

fn read(a: ChargeAnswer, bank: Option<VaBank>) -> Charged {
    let action = |name: &str| a.actions.iter().find(|x| x.name.contains(name)).map(|x| x.url.clone());
    let va_number = a
        .permata_va_number
        .clone()
        .or_else(|| {
            let want = bank.map(VaBank::as_str);
            a.va_numbers
                .iter()
                .find(|v| Some(v.bank.as_str()) == want)
                .or(a.va_numbers.first())
                .map(|v| v.va_number.clone())
        })
        .filter(|v| !v.is_empty());
    Charged {
        transaction_id: a.transaction_id.clone(),
        payment_type: a.payment_type.clone().unwrap_or_default(),
        va_number,
        bill_key: a.bill_key.clone().filter(|v| !v.is_empty()),
        biller_code: a.biller_code.clone().filter(|v| !v.is_empty()),
        qr_string: a.qr_string.clone().filter(|v| !v.is_empty()),
        qr_url: action("generate-qr-code-v2").or_else(|| action("generate-qr-code")),
        deeplink_url: action("deeplink-redirect"),
        expires_at: a.expiry_time.as_deref().and_then(wib),
    }
}

impl Midtrans {
    /// Opens a Core API payment by `method` (and `bank`, for a virtual account).
    pub async fn charge(
        &self,
        o: &Order<'_>,
        method: PaymentMethod,
        bank: Option<VaBank>,
    ) -> Result<Charged, MidtransError> {
        self.check_breaker()?;
        let body = body(o, method, bank)?;
        let r = async {
            let text = self.post_api("/v2/charge", &body).await?;
            let a: ChargeAnswer = serde_json::from_str(&text).map_err(|e| MidtransError::Decode(e.to_string()))?;
            // The Core API answers HTTP 200 with its own status code in the body.
            match a.status_code.as_str() {
                "200" | "201" => Ok(read(a, bank)),
                code if code.starts_with('5') => Err(MidtransError::Unavailable(format!("status_code {code}"))),
                code => Err(MidtransError::Refused(format!(
                    "status_code {code} {}",
                    a.status_message.unwrap_or_default().chars().take(200).collect::<String>()
                ))),
            }
        }
        .await;
        self.outcome(r)
    }

    /// Cancels a pending charge. `Ok(false)`: Midtrans would not (already paid, or past
    /// cancelling); `Ok(true)` also when it was cancelled or expired before.
    pub async fn cancel(&self, order_id: &str) -> Result<bool, MidtransError> {
        self.check_breaker()?;
        let r = async {
            let text = self.post_api(&format!("/v2/{order_id}/cancel"), &json!({})).await?;
            let v: Value = serde_json::from_str(&text).map_err(|e| MidtransError::Decode(e.to_string()))?;
            let status = v["transaction_status"].as_str().unwrap_or_default();
            match v["status_code"].as_str().unwrap_or_default() {
                "200" => Ok(matches!(status, "cancel" | "expire")),
                code if code.starts_with('5') => Err(MidtransError::Unavailable(format!("status_code {code}"))),
                _ => Ok(false),
            }
        }
        .await;
        self.outcome(r)
    }

    /// A POST to the Core API host; the answer's text on any 2xx or 4xx with a body.
    async fn post_api(&self, path: &str, body: &Value) -> Result<String, MidtransError> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.settings.api_base))
            .header("authorization", self.auth())
            .header("accept", "application/json")
            .json(body);
        if let Some(url) = &self.settings.notification_url {
            req = req.header("X-Override-Notification", url);
        }
        let res = req.send().await.map_err(|e| MidtransError::Unavailable(e.to_string()))?;
        let status = res.status();
        let text = res.text().await.map_err(|e| MidtransError::Unavailable(e.to_string()))?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(MidtransError::Unavailable(format!("HTTP {status}")));
        }
        if !status.is_success()
            && serde_json::from_str::<Value>(&text).ok().and_then(|v| v.get("status_code").cloned()).is_none()
        {
            return Err(MidtransError::Refused(refusal(status.as_u16(), &text)));
        }
        Ok(text)
    }

    /// Midtrans's QR image for a charge without QR text (GoPay), fetched with the server key;
    /// only from Midtrans's own host, at most 512 KiB, and a PNG.
    pub async fn qr_image(&self, url: &str) -> Result<Vec<u8>, MidtransError> {
        if !url.starts_with(&format!("{}/", self.settings.api_base)) {
            return Err(MidtransError::Refused("a QR URL not on Midtrans's host".into()));
        }
        let res = self
            .http
            .get(url)
            .header("authorization", self.auth())
            .send()
            .await
            .map_err(|e| MidtransError::Unavailable(e.to_string()))?;
        if !res.status().is_success() {
            return Err(MidtransError::Unavailable(format!("HTTP {}", res.status())));
        }
        let bytes = res.bytes().await.map_err(|e| MidtransError::Unavailable(e.to_string()))?;
        if bytes.len() > 512 * 1024 || !bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(MidtransError::Decode("the QR image is not a PNG".into()));
        }
        Ok(bytes.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midtrans_times_are_jakarta_time() {
        let t = wib("2026-12-07 20:54:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-07T13:54:00+00:00");
        assert_eq!(wib("07-12-2026"), None);
    }

    #[test]
    fn each_method_has_its_charge() {
        let o = Order {
            order_id: "HS-1",
            amount: crate::domain::Rupiah(15_000),
            item_id: "p".into(),
            item_name: "Mingguan 5 GB untuk keluarga besar",
            customer_name: "Budi",
            customer_phone: "081234567001".into(),
            expiry_minutes: 60,
            return_url: "https://portal/payment/status".into(),
        };
        assert_eq!(body(&o, PaymentMethod::Qris, None).unwrap()["qris"]["acquirer"], "gopay");
        assert!(body(&o, PaymentMethod::Va, None).is_err(), "a VA without its bank");
        let b = body(&o, PaymentMethod::Va, Some(VaBank::Mandiri)).unwrap();
        assert_eq!(
            (b["payment_type"].as_str(), b["echannel"]["bill_info2"].as_str()),
            (Some("echannel"), Some("Mingguan 5 GB untu"))
        );
        assert_eq!(body(&o, PaymentMethod::Va, Some(VaBank::Permata)).unwrap()["bank_transfer"]["bank"], "permata");
        let g = body(&o, PaymentMethod::Gopay, None).unwrap();
        assert_eq!(g["gopay"]["callback_url"], "https://portal/payment/status");
        assert_eq!(g["custom_expiry"]["expiry_duration"], 60);
        assert_eq!(g["transaction_details"]["gross_amount"], 15_000);
    }

    #[test]
    fn the_answer_names_what_the_buyer_needs() {
        let a: ChargeAnswer = serde_json::from_value(json!({
            "status_code": "201", "transaction_id": "t1", "payment_type": "bank_transfer",
            "va_numbers": [{ "bank": "bni", "va_number": "9881234567" }],
            "expiry_time": "2026-12-07 21:00:00"
        }))
        .unwrap();
        let c = read(a, Some(VaBank::Bni));
        assert_eq!(c.va_number.as_deref(), Some("9881234567"));
        assert_eq!(c.expires_at.map(|t| t.to_rfc3339()), Some("2026-12-07T14:00:00+00:00".into()));
        let a: ChargeAnswer = serde_json::from_value(json!({
            "status_code": "201", "payment_type": "gopay",
            "actions": [{ "name": "generate-qr-code", "url": "https://api/qr" }, { "name": "deeplink-redirect", "url": "gojek://x" }]
        }))
        .unwrap();
        let c = read(a, None);
        assert_eq!((c.qr_url.as_deref(), c.deeplink_url.as_deref()), (Some("https://api/qr"), Some("gojek://x")));
    }
}
