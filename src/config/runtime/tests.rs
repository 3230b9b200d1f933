use super::*;

fn base() -> RuntimeSettings {
    RuntimeSettings {
        fup_threshold_bytes: 3 * GIB,
        quota_low_percents: vec![20, 5],
        device_limit: 3,
        device_stale_days: 30,
        registration_open: true,
        maintenance_mode: false,
        maintenance_message: String::new(),
        default_quota_bytes: 0,
        default_validity_days: 0,
        app_name: "Portal".into(),
        whatsapp_notifications: true,
        retention_login_history_days: 180,
        retention_message_log_days: 180,
        retention_sync_runs_days: 30,
        retention_audit_log_days: 730,
        admin_login_notifications: false,
        payment_provider_mode: crate::domain::ProviderMode::Snap,
        core_api_payment_methods: vec![crate::domain::PaymentMethod::Qris],
        core_api_va_banks: vec![crate::domain::VaBank::Bni],
        address_bloks: vec!["A".into()],
        address_kamars: vec!["1".into()],
        update_form_open: false,
        inactive_cleanup: false,
        inactive_deactivate_days: 45,
        inactive_delete_days: 90,
        komandan_max_quota_mb: 51_200,
        komandan_max_days: 30,
        komandan_allow_unlimited: true,
        komandan_max_unlimited_days: 30,
        komandan_cooldown_hours: 6,
        debt_limit_mb: 0,
        overdue_debt_block: true,
        debt_eom_block_hour: 23,
        ui: BTreeMap::new(),
    }
}

#[test]
fn keys_are_validated_like_the_startup_variables() {
    let cases: &[(&str, Value, Result<Value, &str>)] = &[
        ("device_limit", json!(5), Ok(json!(5))),
        ("INACTIVE_DEACTIVATE_DAYS", json!("30"), Ok(json!(30))),
        ("inactive_delete_days", json!(6), Err("7 to 3650")),
        ("PUBLIC_DB_UPDATE_FORM_ENABLED", json!("True"), Ok(json!(true))),
        ("device_limit", json!("7"), Ok(json!(7))),
        ("device_limit", json!(0), Err("1 to 100")),
        ("device_limit", json!(101), Err("1 to 100")),
        ("device_limit", json!(-1), Err("1 to 100")),
        ("device_limit", json!(2.5), Err("1 to 100")),
        ("device_stale_days", json!(3_651), Err("1 to 3650")),
        ("fup_threshold_bytes", json!(0), Ok(json!(0))),
        ("fup_threshold_bytes", json!(FUP_GIB_MAX * GIB + 1), Err("whole number")),
        ("maintenance_mode", json!("True"), Ok(json!(true))),
        ("MAINTENANCE_MODE_ACTIVE", json!("False"), Ok(json!(false))),
        ("maintenance_mode", json!("yes"), Err("true or false")),
        ("quota_low_percents", json!([5, 20, 20]), Ok(json!([20, 5]))),
        ("quota_low_percents", json!("10, 50"), Ok(json!([50, 10]))),
        ("quota_low_percents", json!([0]), Err("1 to 99")),
        ("quota_low_percents", json!([1, 2, 3, 4, 5, 6]), Err("at most 5")),
        ("app_name", json!(""), Err("1 to 100")),
        ("PAYMENT_PROVIDER_MODE", json!("core-api"), Ok(json!("core_api"))),
        ("payment_provider_mode", json!("paypal"), Err("one of snap, core_api")),
        ("CORE_API_ENABLED_PAYMENT_METHODS", json!("va,qris"), Ok(json!(["qris", "va"]))),
        ("CORE_API_ENABLED_PAYMENT_METHODS", json!(""), Err("one or more")),
        ("CORE_API_ENABLED_VA_BANKS", json!("bca,bank-x"), Err("one or more")),
        ("ENABLE_WHATSAPP_LOGIN_NOTIFICATION", json!("True"), Ok(json!(true))),
        ("address_bloks", json!("A, B,A ,Melati"), Ok(json!(["A", "B", "Melati"]))),
        ("address_kamars", json!([]), Err("1 to 200 names")),
        ("app_name", json!("  Wifi Desa  "), Ok(json!("Wifi Desa"))),
        ("maintenance_message", json!("a".repeat(501)), Err("0 to 500")),
        ("default_quota_bytes", json!(MAX_QUOTA_BYTES + 1), Err("whole number")),
        ("MIDTRANS_SERVER_KEY", json!("x"), Err("secrets")),
        ("nonsense", json!(1), Err("unknown")),
    ];
    for (key, v, want) in cases {
        let mut s = base();
        match (s.set(key, v), want) {
            (Ok((_, got)), Ok(w)) => assert_eq!(&got, w, "{key} {v}"),
            (Err(e), Err(w)) => assert!(e.reason.contains(w), "{key} {v}: {e}"),
            (got, want) => panic!("{key} {v}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn stored_rows_round_trip_and_public_hides_policy() {
    let mut s = base();
    let (k, v) = s.set("THEME", &json!("dark")).unwrap();
    let (k2, v2) = s.set("maintenance_mode", &json!(true)).unwrap();
    let mut t = base();
    t.apply_stored(&k, &v).unwrap();
    t.apply_stored(&k2, &v2).unwrap();
    assert_eq!(s, t);
    let p = t.public();
    assert_eq!(p["MAINTENANCE_MODE_ACTIVE"], json!("True"));
    assert_eq!(p["maintenance_mode"], json!(true));
    assert_eq!(p["THEME"], json!("dark"));
    assert!(p.get("fup_threshold_bytes").is_none());
    assert!(p.get("default_quota_bytes").is_none());
}
