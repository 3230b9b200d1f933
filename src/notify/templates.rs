//! Message texts: Indonesian defaults, overridable from a JSON file of name → text.

use std::collections::HashMap;

const DEFAULTS: &[(&str, &str)] = &[
    (
        "otp",
        "Kode verifikasi hotspot Anda: {code}\n\nBerlaku {minutes} menit. Jangan berikan kode ini kepada siapa pun, termasuk petugas.",
    ),
    ("registered", "Halo {name}, pendaftaran hotspot Anda sudah kami terima dan sedang menunggu persetujuan admin."),
    ("approved", "Halo {name}, akun hotspot Anda sudah aktif. Silakan masuk dengan nomor WhatsApp ini."),
    ("rejected", "Halo {name}, pendaftaran hotspot Anda tidak dapat kami setujui. Alasan: {reason}"),
    (
        "bill",
        "Halo {name}, tagihan {reference}: paket {package}, {amount}. Bayar lewat {pay_with} sebelum {due}. Status dan QR: {link}",
    ),
    (
        "purchase_receipt",
        "Halo {name}, pembayaran {reference} sebesar {amount} sudah kami terima. Paket {package} ({quota}) aktif, berlaku sampai {expiry}. Terima kasih.",
    ),
    (
        "voucher_receipt",
        "Halo {name}, voucher Anda berhasil dipakai. Paket {package} ({quota}) aktif, berlaku sampai {expiry}.",
    ),
    (
        "gateway_down",
        "Peringatan hotspot: sesi WhatsApp gateway {provider} terputus sejak {since}. Kode masuk dan pesan tidak terkirim lewat gateway itu. Buka Admin > WhatsApp untuk memindai QR baru.",
    ),
    (
        "gateway_down.en",
        "Hotspot alert: the {provider} WhatsApp gateway's session dropped at {since}. Codes and messages do not go out through it. Open Admin > WhatsApp to scan a new QR.",
    ),
    (
        "admin_login",
        "Halo {name}, akun admin Anda baru saja masuk ke konsol hotspot ({time}). Jika itu bukan Anda, segera ganti kata sandi dan hubungi super admin.",
    ),
    (
        "password_reset",
        "Halo {name}, kata sandi konsol hotspot Anda direset oleh admin. Kata sandi baru: {password}\n\nMasuk lalu segera ganti kata sandi di halaman Akun. Jangan berikan kepada siapa pun.",
    ),
    ("broadcast", "{message}"),
    ("alert_registration", "Halo {name}, pendaftaran baru menunggu persetujuan: {subject} ({detail})."),
    ("alert_quota_request", "Halo {name}, permintaan kuota baru dari komandan {subject}: {detail}."),
    (
        "alert_router_down",
        "Halo {name}, peringatan hotspot: router {subject} tidak menjawab sejak {detail}. Pengguna baru tidak bisa masuk dan pemakaian kuota belum tercatat.",
    ),
    (
        "alert_debt_limit",
        "Halo {name}, akun {subject} diblokir: pemakaian di luar kuota ({detail}) melewati batas tunggakan.",
    ),
    ("alert_router_up", "Halo {name}, router {subject} menjawab lagi sejak {detail}."),
    ("request_approved", "Halo {name}, permintaan Anda disetujui: {detail}."),
    ("request_partial", "Halo {name}, permintaan Anda disetujui sebagian: {detail}. Catatan admin: {reason}"),
    ("request_rejected", "Halo {name}, permintaan Anda ditolak. Alasan: {reason}"),
    (
        "debt_lent",
        "Halo {name}, Anda menerima {detail} dengan bayar nanti sebesar {amount}, jatuh tempo {due}. Kuotanya sudah aktif; lunasi lewat menu Riwayat.",
    ),
    (
        "debt_settled",
        "Halo {name}, pelunasan tunggakan {reference} sebesar {amount} sudah kami terima ({detail}). Terima kasih.",
    ),
    (
        "debt_settled_unblock",
        "Halo {name}, pelunasan tunggakan {reference} sebesar {amount} sudah kami terima ({detail}). Akses internet Anda dibuka kembali.",
    ),
    ("document_link", "Halo {name}, {detail}: {link}\n\nTautan ini berlaku 24 jam."),
    (
        "debt_due",
        "Halo {name}, tunggakan {detail} sebesar {amount} jatuh tempo {due}. Lunasi lewat menu Riwayat agar akses tidak diblokir.",
    ),
    ("status_active", "Halo {name}, akses internet Anda aktif kembali. Sisa kuota: {remaining}."),
    (
        "status_fup",
        "Halo {name}, sisa kuota Anda tinggal {remaining}; kecepatan kini dibatasi (FUP) sampai Anda menambah kuota.",
    ),
    ("status_habis", "Halo {name}, kuota internet Anda habis. Beli paket atau tukarkan voucher untuk melanjutkan."),
    ("status_expired", "Halo {name}, masa aktif paket Anda sudah berakhir. Beli paket untuk melanjutkan."),
    ("status_blocked", "Halo {name}, akses internet Anda diblokir. Alasan: {reason}"),
    (
        "quota_low",
        "Halo {name}, sisa kuota Anda tinggal {percent}% ({remaining}). Tambah kuota agar internet tidak terputus.",
    ),
    ("expiry_soon", "Halo {name}, masa aktif paket Anda berakhir dalam {days} hari ({expiry})."),
    (
        "otp.en",
        "Your hotspot verification code: {code}\n\nValid for {minutes} minutes. Never share this code with anyone.",
    ),
    (
        "password_reset.en",
        "Hello {name}, an admin reset your hotspot console password. New password: {password}\n\nSign in and change it at once on the Account page. Never share it.",
    ),
    ("broadcast.en", "{message}"),
    ("alert_registration.en", "Hello {name}, a new registration is waiting for approval: {subject} ({detail})."),
    ("alert_quota_request.en", "Hello {name}, a new quota request from komandan {subject}: {detail}."),
    (
        "alert_router_down.en",
        "Hello {name}, hotspot alert: router {subject} has not answered since {detail}. New users cannot sign in and quota use is not recorded yet.",
    ),
    (
        "alert_debt_limit.en",
        "Hello {name}, account {subject} is blocked: its use beyond the quota ({detail}) passed the debt limit.",
    ),
    ("alert_router_up.en", "Hello {name}, router {subject} answers again since {detail}."),
    ("request_approved.en", "Hello {name}, your request was approved: {detail}."),
    ("request_partial.en", "Hello {name}, your request was approved in part: {detail}. The admin's note: {reason}"),
    ("request_rejected.en", "Hello {name}, your request was rejected. Reason: {reason}"),
    ("approved.en", "Hello {name}, your hotspot account is active. Sign in with this WhatsApp number."),
    ("rejected.en", "Hello {name}, we could not approve your hotspot registration. Reason: {reason}"),
    (
        "bill.en",
        "Hello {name}, bill {reference}: package {package}, {amount}. Pay by {pay_with} before {due}. Status and QR: {link}",
    ),
    (
        "purchase_receipt.en",
        "Hello {name}, we received your payment {reference} of {amount}. Package {package} ({quota}) is active until {expiry}. Thank you.",
    ),
    (
        "voucher_receipt.en",
        "Hello {name}, your voucher was redeemed. Package {package} ({quota}) is active until {expiry}.",
    ),
    (
        "debt_lent.en",
        "Hello {name}, you received {detail} to pay later: {amount}, due {due}. The quota is active; pay it from the History page.",
    ),
    ("debt_settled.en", "Hello {name}, we received your debt payment {reference} of {amount} ({detail}). Thank you."),
    (
        "debt_settled_unblock.en",
        "Hello {name}, we received your debt payment {reference} of {amount} ({detail}). Your internet access is open again.",
    ),
    ("document_link.en", "Hello {name}, {detail}: {link}\n\nThis link works for 24 hours."),
    (
        "debt_due.en",
        "Hello {name}, your debt for {detail} of {amount} is due {due}. Pay it from the History page so your access is not blocked.",
    ),
    ("status_active.en", "Hello {name}, your internet access is active again. Quota left: {remaining}."),
    ("status_fup.en", "Hello {name}, you have {remaining} left; your speed is limited (fair use) until you add quota."),
    ("status_habis.en", "Hello {name}, your internet quota is used up. Buy a package or redeem a voucher to continue."),
    ("status_expired.en", "Hello {name}, your package has expired. Buy a package to continue."),
    ("status_blocked.en", "Hello {name}, your internet access is blocked. Reason: {reason}"),
    ("quota_low.en", "Hello {name}, you have {percent}% of your quota left ({remaining}). Add quota to stay online."),
    ("expiry_soon.en", "Hello {name}, your package expires in {days} days ({expiry})."),
];

#[derive(Debug, Clone)]
pub struct Templates {
    texts: HashMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("cannot read the templates file: {0}")]
    Io(String),
    #[error("templates file must be a JSON object of name to text: {0}")]
    Format(String),
    #[error("template {name:?} has the unknown placeholder {{{placeholder}}}")]
    UnknownPlaceholder { name: String, placeholder: String },
    #[error("no template named {0:?}")]
    Missing(String),
}

impl Default for Templates {
    fn default() -> Self {
        Self { texts: DEFAULTS.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect() }
    }
}

impl Templates {
    /// Defaults overlaid with the file's texts. A placeholder a default does not know is refused
    /// at start-up rather than sent as literal braces.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, TemplateError> {
        let mut t = Self::default();
        let Some(path) = path else { return Ok(t) };
        let text = std::fs::read_to_string(path).map_err(|e| TemplateError::Io(e.to_string()))?;
        let overrides: HashMap<String, String> =
            serde_json::from_str(&text).map_err(|e| TemplateError::Format(e.to_string()))?;
        for (name, body) in overrides {
            if let Some(default) = t.texts.get(&name) {
                for p in placeholders(&body) {
                    if !placeholders(default).contains(&p) {
                        return Err(TemplateError::UnknownPlaceholder { name, placeholder: p });
                    }
                }
            }
            t.texts.insert(name, body);
        }
        Ok(t)
    }

    /// The text in `lang` (`name.en` for English) when there is one, else the default.
    pub fn render_in(
        &self,
        name: &str,
        lang: crate::domain::Language,
        vars: &[(&str, &str)],
    ) -> Result<String, TemplateError> {
        if lang == crate::domain::Language::En {
            let en = format!("{name}.en");
            if self.texts.contains_key(&en) {
                return self.render(&en, vars);
            }
        }
        self.render(name, vars)
    }

    pub fn render(&self, name: &str, vars: &[(&str, &str)]) -> Result<String, TemplateError> {
        let mut out = self.texts.get(name).ok_or_else(|| TemplateError::Missing(name.to_owned()))?.clone();
        for (k, v) in vars {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        Ok(out)
    }
}

fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(after[..end].to_owned());
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_defaults_and_overrides() {
        let t = Templates::default();
        let s = t.render("otp", &[("code", "123456"), ("minutes", "5")]).unwrap();
        assert!(s.contains("123456") && s.contains("5 menit"));
        assert!(matches!(t.render("nope", &[]), Err(TemplateError::Missing(_))));

        let dir = std::env::temp_dir().join(format!("tpl-{}", uuid::Uuid::new_v4()));
        std::fs::write(&dir, r#"{"otp":"Your code {code}"}"#).unwrap();
        let t = Templates::load(Some(&dir)).unwrap();
        assert_eq!(t.render("otp", &[("code", "1")]).unwrap(), "Your code 1");
        std::fs::write(&dir, r#"{"otp":"Your code {kode}"}"#).unwrap();
        assert!(matches!(Templates::load(Some(&dir)), Err(TemplateError::UnknownPlaceholder { .. })));
        std::fs::write(&dir, r#"["otp"]"#).unwrap();
        assert!(matches!(Templates::load(Some(&dir)), Err(TemplateError::Format(_))));
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn every_message_the_system_sends_has_both_languages() {
        let t = Templates::default();
        let sent = [
            "otp",
            "approved",
            "rejected",
            "purchase_receipt",
            "bill",
            "voucher_receipt",
            "status_active",
            "status_fup",
            "status_habis",
            "status_expired",
            "status_blocked",
            "quota_low",
            "expiry_soon",
            "gateway_down",
            "password_reset",
            "alert_registration",
            "alert_quota_request",
            "alert_router_down",
            "alert_router_up",
            "broadcast",
            "request_approved",
            "request_partial",
            "request_rejected",
            "debt_lent",
            "debt_settled",
            "debt_settled_unblock",
            "debt_due",
            "alert_debt_limit",
            "document_link",
        ];
        for name in sent {
            assert!(t.render(name, &[]).is_ok(), "{name}");
            assert!(t.render(&format!("{name}.en"), &[]).is_ok(), "{name}.en");
            let (id, en) = (t.render(name, &[]).unwrap(), t.render(&format!("{name}.en"), &[]).unwrap());
            assert_eq!(placeholders(&id), placeholders(&en), "{name}: the same placeholders in both");
        }
        let en = t.render_in("approved", crate::domain::Language::En, &[("name", "Budi")]).unwrap();
        assert!(en.starts_with("Hello Budi"), "{en}");
        let id = t.render_in("registered", crate::domain::Language::En, &[("name", "Budi")]).unwrap();
        assert!(id.starts_with("Halo Budi"), "no English text: the default");
    }
}
