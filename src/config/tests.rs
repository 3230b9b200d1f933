//! Settings: defaults, refusals naming the variable, production rules.

use std::collections::HashMap;

use super::*;

fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let vars: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Settings::from_source(&Source::new(&vars))
}

#[test]
fn defaults_load() {
    let s = load(&[]).unwrap();
    assert_eq!(s.env, Environment::Development);
    assert_eq!(s.listen.port(), 8080);
    assert_eq!(s.timezone, chrono_tz::Asia::Makassar);
    assert_eq!(s.trusted_origins, vec!["http://localhost:3000".to_string()]);
    assert_eq!(s.log_format, LogFormat::Text);
}

#[test]
fn bad_values_name_the_variable() {
    let cases: &[(&str, &str)] = &[
        ("HOTSPOT_ENV", "staging"),
        ("HOTSPOT_LISTEN", "8080"),
        ("HOTSPOT_HTTP_WORKERS", "0"),
        ("HOTSPOT_DB_POOL_SIZE", "many"),
        ("HOTSPOT_TIMEZONE", "Mars/Olympus"),
        ("HOTSPOT_TRUSTED_PROXIES", "10.0.0.0/40"),
        ("HOTSPOT_TRUSTED_ORIGINS", "wifi.example.id"),
        ("HOTSPOT_PUBLIC_BASE_URL", "wifi.example.id"),
        ("DATABASE_URL", "mysql://x"),
        ("REDIS_URL", "localhost:6379"),
        ("HOTSPOT_REDIS_TIMEOUT_MS", "1"),
        ("HOTSPOT_LOG_FORMAT", "xml"),
        ("HOTSPOT_SYNC_WRITERS", "0"),
    ];
    let router_cases: &[(&str, &str)] = &[
        ("HOTSPOT_ROUTER_TLS", "maybe"),
        ("HOTSPOT_ROUTER_COMMAND_TIMEOUT_MS", "5"),
        ("HOTSPOT_ROUTER_LIST_FUP", "hs fup"),
        ("HOTSPOT_ROUTER_LIST_ACTIVE", "hs_fup"),
        ("HOTSPOT_ROUTER_COMMENT_PREFIX", "h"),
        ("HOTSPOT_ROUTER_MAX_IN_FLIGHT", "0"),
    ];
    for (var, value) in router_cases {
        let e = load(&[("HOTSPOT_ROUTER_ADDR", "10.0.0.1"), (var, value)])
            .err()
            .unwrap_or_else(|| panic!("{var}={value} accepted"));
        assert_eq!(e.var, *var, "{var}={value}: {e}");
    }
    for (var, value) in cases {
        let e = load(&[(var, value)]).err().unwrap_or_else(|| panic!("{var}={value} accepted"));
        assert_eq!(e.var, *var, "{var}={value}: {e}");
        assert!(e.to_string().contains(var));
    }
}

#[test]
fn production_refuses_default_and_short_secrets() {
    let long = "x".repeat(40);
    let other = "y".repeat(40);
    type Case<'a> = (&'a [(&'a str, &'a str)], Option<&'a str>);
    let cases: &[Case] = &[
        (&[("HOTSPOT_ENV", "production")], Some("HOTSPOT_JWT_SECRET")),
        (&[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", &long)], Some("HOTSPOT_OTP_SECRET")),
        (
            &[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", "short"), ("HOTSPOT_OTP_SECRET", &other)],
            Some("HOTSPOT_JWT_SECRET"),
        ),
        (
            &[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", &long), ("HOTSPOT_OTP_SECRET", &long)],
            Some("HOTSPOT_OTP_SECRET"),
        ),
        (&[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", &long), ("HOTSPOT_OTP_SECRET", &other)], None),
        (&[("HOTSPOT_ENV", "development")], None),
    ];
    for (pairs, want) in cases {
        let got = load(pairs).err().map(|e| e.var);
        assert_eq!(got, *want, "{pairs:?}");
    }
    let prod =
        load(&[("HOTSPOT_ENV", "production"), ("HOTSPOT_JWT_SECRET", &long), ("HOTSPOT_OTP_SECRET", &other)]).unwrap();
    assert_eq!(prod.log_format, LogFormat::Json);
}

#[test]
fn router_is_optional_and_gets_a_default_port() {
    assert!(load(&[]).unwrap().router.is_none());
    let r = load(&[("HOTSPOT_ROUTER_ADDR", "10.0.0.1")]).unwrap().router.unwrap();
    assert_eq!(r.client.addr, "10.0.0.1:8728");
    assert_eq!(r.lists.active, "hs_active");
    let tls = load(&[("HOTSPOT_ROUTER_ADDR", "router.lan"), ("HOTSPOT_ROUTER_TLS", "true")]).unwrap().router.unwrap();
    assert_eq!(tls.client.addr, "router.lan:8729");
    // Issue 30, item 16: a port that is no port is refused, naming the variable.
    for bad in ["10.0.0.1:99999", "router.lan:0", "router.lan:api"] {
        let e = load(&[("HOTSPOT_ROUTER_ADDR", bad)]).unwrap_err().to_string();
        assert!(e.contains("HOTSPOT_ROUTER_ADDR"), "{bad}: {e}");
    }
    assert_eq!(
        load(&[("HOTSPOT_ROUTER_ADDR", "[fe80::1]:8728")]).unwrap().router.unwrap().client.addr,
        "[fe80::1]:8728"
    );
    let long = "x".repeat(40);
    let other = "y".repeat(40);
    let prod = |extra: &[(&'static str, &'static str)]| {
        let mut vars = vec![
            ("HOTSPOT_ENV", "production"),
            ("HOTSPOT_JWT_SECRET", long.as_str()),
            ("HOTSPOT_OTP_SECRET", other.as_str()),
            ("HOTSPOT_ROUTER_ADDR", "10.0.0.1"),
        ];
        vars.extend_from_slice(extra);
        load(&vars)
    };
    let pin = "ab".repeat(32);
    let pin: &'static str = Box::leak(pin.into_boxed_str());
    // Production: API-SSL by default, only to a pinned certificate, and not the default password.
    assert_eq!(prod(&[]).err().map(|e| e.var), Some("HOTSPOT_ROUTER_TLS_FINGERPRINT"));
    assert_eq!(
        prod(&[("HOTSPOT_ROUTER_TLS_FINGERPRINT", "nope")]).err().map(|e| e.var),
        Some("HOTSPOT_ROUTER_TLS_FINGERPRINT")
    );
    assert_eq!(prod(&[("HOTSPOT_ROUTER_TLS_FINGERPRINT", pin)]).err().map(|e| e.var), Some("HOTSPOT_ROUTER_PASSWORD"));
    let ok = prod(&[("HOTSPOT_ROUTER_TLS_FINGERPRINT", pin), ("HOTSPOT_ROUTER_PASSWORD", "a-real-router-password")])
        .unwrap();
    let r = ok.router.unwrap();
    assert!(r.client.tls && r.client.tls_fingerprint.is_some());
    assert_eq!(r.client.addr, "10.0.0.1:8729");
    let plain =
        prod(&[("HOTSPOT_ROUTER_TLS", "false"), ("HOTSPOT_ROUTER_PASSWORD", "a-real-router-password")]).unwrap();
    assert!(!plain.router.unwrap().client.tls, "plaintext only when asked for");
}

#[test]
fn lists_and_origins() {
    let s = load(&[
        ("HOTSPOT_TRUSTED_ORIGINS", "https://wifi.example.id, https://admin.example.id"),
        ("HOTSPOT_PUBLIC_BASE_URL", "https://wifi.example.id/"),
        ("HOTSPOT_TRUSTED_PROXIES", "172.31.250.5, 172.31.250.10/32"),
    ])
    .unwrap();
    assert_eq!(s.public_base_url, "https://wifi.example.id");
    assert_eq!(s.trusted_origins.len(), 2);
    assert_eq!(s.trusted_proxies.len(), 2);
    assert!(format!("{s:?}").find("jwt").is_none());
}

#[test]
fn the_site_key_is_32_bytes_or_derived_from_the_jwt_secret() {
    let derived = load(&[]).unwrap().site_key;
    assert!(derived.derived);
    let hex = "ab".repeat(32);
    let set = load(&[("HOTSPOT_SITE_KEY", hex.as_str())]).unwrap().site_key;
    assert!(!set.derived);
    let sealed = set.key.seal(b"c", b"p");
    assert_eq!(crate::crypto::SealKey::new([0xab; 32]).open(b"c", &sealed).unwrap(), b"p");
    assert!(derived.key.open(b"c", &sealed).is_err());
    let b64 = crate::crypto::b64url(&[7u8; 32]);
    assert!(!load(&[("HOTSPOT_SITE_KEY", b64.as_str())]).unwrap().site_key.derived);
    for bad in ["abc", "ab".repeat(31).as_str(), "zz".repeat(32).as_str()] {
        let e = load(&[("HOTSPOT_SITE_KEY", bad)]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("HOTSPOT_SITE_KEY"), "{bad}: {e}");
    }
}
