//! The contract: every route the server answers is in the OpenAPI document (and nothing else is),
//! the document's patterns are the ones the server applies, and schemathesis (from PyPI, installed
//! by scripts/test.sh) finds no 5xx and no response that does not conform to the document.

use std::collections::BTreeSet;
use std::time::Duration;

use hotspot::http::openapi::ApiDoc;
use hotspot::http::routes::{self, patterns};
use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::common::TestApp;

fn document() -> Value {
    serde_json::to_value(ApiDoc::openapi()).expect("document")
}

#[test]
fn every_route_is_in_the_document_and_nothing_else() {
    let served: BTreeSet<(String, String)> =
        routes::table().iter().map(|r| (r.method.as_str().to_ascii_lowercase(), r.path.to_owned())).collect();
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.insert((method.to_owned(), path.clone()));
            }
        }
    }
    assert_eq!(served, documented, "routes and document differ");
    // Every path parameter is declared.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let names: Vec<&str> = path.split('{').skip(1).filter_map(|s| s.split('}').next()).collect();
        for (method, op) in item.as_object().expect("item") {
            for name in &names {
                let declared = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["in"] == "path" && p["name"] == *name));
                assert!(declared, "{method} {path}: path parameter {name} not declared");
            }
        }
    }
}

#[test]
fn every_error_response_carries_the_envelope() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            for must in ["500", "503"] {
                assert!(responses.contains_key(must), "{method} {path} lacks {must}");
            }
            if op.get("requestBody").is_some() {
                for must in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(must), "{method} {path} lacks {must}");
                }
            }
            for (status, r) in responses {
                if status.as_str() >= "400" {
                    let schema = &r["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorEnvelope", "{method} {path} {status}");
                }
            }
        }
    }
}

/// Each property with a known meaning carries the pattern the server's parser agrees with.
#[test]
fn the_documents_patterns_are_the_servers() {
    let doc = document();
    let want = [
        ("phone_number", patterns::PHONE_PATTERN),
        ("username", patterns::PHONE_PATTERN),
        ("client_mac", patterns::MAC_PATTERN),
        ("client_ip", patterns::IP_PATTERN),
    ];
    let mut seen = 0;
    for (name, body) in doc["components"]["schemas"].as_object().expect("schemas") {
        let Some(props) = body["properties"].as_object() else { continue };
        for (field, pattern) in want {
            // The answer's own phone, the number check that reports any text's validity, and a
            // Telegram @name.
            if name == "MeAnswer" || name == "PhoneBody" || name == "TelegramStatus" {
                continue;
            }
            if let Some(p) = props.get(field) {
                assert_eq!(p["pattern"], pattern, "{name}.{field}");
                seen += 1;
            }
        }
    }
    assert!(seen >= 8, "only {seen} constrained properties found");
}

/// An admin's token for the run, and a second user's for logout (which revokes it).
async fn bearer(app: &TestApp, phone: &str) -> String {
    let (status, v) = app
        .post(&app.client, "/api/auth/admin/login", json!({ "username": phone, "password": "a-long-admin-password" }))
        .await;
    assert_eq!(status, 200, "{v}");
    v["access_token"].as_str().expect("token").to_owned()
}

/// The checks (all of them, in the config rather than on the command line, where they would
/// override the per-operation settings), less:
/// - negative_data_rejection: the server is lenient where the frontend needs it (forms, aliases);
/// - use_after_free: DELETE /api/admin/users/{id} deactivates; the account stays readable (its
///   audit trail and ledger name it), so a 200 after it is the contract;
/// - for the expiry only, positive_data_acceptance: its body holds rules a JSON Schema cannot
///   state (exactly one of `expires_at` and `extend_days`, a date within a year back and ten
///   years ahead); schema-valid bodies outside them are refused by design;
/// - likewise for package writes: a package gives quota or is unlimited (a rule across
///   fields), and its name is unique among live packages.
const CONFIG: &str = r#"
[checks]
negative_data_rejection.enabled = false
use_after_free.enabled = false

[[operations]]
include-path = "/api/admin/users/{id}/expiry"
include-method = "POST"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-path-regex = "^/api/admin/packages"
include-method-regex = "^(POST|PATCH|PUT)$"
checks.positive_data_acceptance.enabled = false
"#;

fn config_file() -> String {
    let path = std::env::temp_dir().join(format!("hotspot-schemathesis-{}.toml", std::process::id()));
    std::fs::write(&path, CONFIG).expect("write the schemathesis config");
    path.to_string_lossy().into_owned()
}

fn schemathesis(base: &str, token: &str, include_logout: bool) -> std::process::Output {
    let mut cmd = std::process::Command::new("schemathesis");
    cmd.args(["--config-file", &config_file()])
        .args(["run", &format!("{base}/api/openapi.json"), "--header", &format!("Authorization: Bearer {token}")])
        .args(["--max-examples", "40", "--workers", "2", "--seed", "20261203", "--request-timeout", "10"])
        .args(["--no-color", "--warnings", "off"])
        .env("SCHEMATHESIS_HOOKS", "")
        .env("NO_COLOR", "1");
    if include_logout {
        cmd.args(["--include-path", "/api/auth/logout"]);
    } else {
        // Clearing the gateway's session logs the WhatsApp device out by design: every code sent
        // after it is a documented 503, which the run would count against the other operations.
        cmd.args(["--exclude-path", "/api/auth/logout", "--exclude-path", "/api/admin/whatsapp/clear-session"]);
    }
    cmd.output().unwrap_or_else(|e| panic!("cannot run schemathesis ({e}); scripts/test.sh installs it from PyPI"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_and_no_nonconforming_response() {
    // Every peer simulated, Telegram's bot included, so a 5xx is the server's own fault.
    let tg = hotspot::sim::telegram::TelegramSim::start(
        "127.0.0.1:0".parse().unwrap(),
        "7000000001:contract-bot",
        "contract_bot",
    )
    .await
    .unwrap();
    let tg_base = tg.base_url();
    let app = TestApp::spawn_billing(&[
        ("HOTSPOT_WA_WEBHOOK_SECRET", "hook-secret"),
        ("HOTSPOT_TELEGRAM_BOT_TOKEN", "7000000001:contract-bot"),
        ("HOTSPOT_TELEGRAM_BOT_USERNAME", "contract_bot"),
        ("HOTSPOT_TELEGRAM_WEBHOOK_SECRET", "contract-webhook-secret-0123456789abcdef"),
        ("HOTSPOT_RADIUS_API_TOKEN", "contract-radius-token-0123456789"),
        ("HOTSPOT_TELEGRAM_API_BASE", &tg_base),
    ])
    .await;
    // The run's admin is a super admin, so the super admin's operations (settings, the
    // gateway's QR) are checked too; the second signs in to be logged out.
    use hotspot::domain::Role;
    for (phone, name, role) in
        [("081200000001", "Admin Satu", Role::SuperAdmin), ("081200000002", "Admin Dua", Role::Admin)]
    {
        app.user_with(phone, name, 0, move |u| {
            u.role = role;
            u.password = Some("a-long-admin-password".into());
        })
        .await;
    }
    app.user("081234567001", "Budi Aktif", 10).await;
    app.device("02:DE:00:00:00:01", "10.5.50.11");
    let admin = bearer(&app, "081200000001").await;
    let other = bearer(&app, "081200000002").await;
    let base = app.base.clone();
    // Schemathesis itself sometimes crashes inside CPython under its worker threads ("🚫 Runtime
    // Error", e.g. an AST recursion-depth SystemError) without a single failed check: that run
    // says nothing about us and is run again once. A failed check ("❌") is never retried.
    let run = |base: &str, token: &str, logout: bool| {
        let out = schemathesis(base, token, logout);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if !out.status.success() && text.contains("Runtime Error") && !text.contains('❌') {
            return schemathesis(base, token, logout);
        }
        out
    };
    let runs = tokio::task::spawn_blocking(move || [run(&base, &admin, false), run(&base, &other, true)]);
    let runs = tokio::time::timeout(Duration::from_secs(600), runs).await.expect("schemathesis in time").expect("join");
    for out in runs {
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "schemathesis found problems:\n{text}");
        assert!(text.contains("passed"), "{text}");
    }
    app.stop().await;
}

/// The document names schemas by type name and the last one wins: two answer types of one name
/// made a reset-login's answer be checked against the editor's. Every schema type's name is one.
#[test]
fn schema_type_names_are_unique() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut seen: std::collections::HashMap<String, std::path::PathBuf> = std::collections::HashMap::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !(l.contains("derive(") && l.contains("ToSchema")) {
                continue;
            }
            let Some(decl) = lines[i + 1..].iter().find(|n| n.contains("pub struct ") || n.contains("pub enum "))
            else {
                continue;
            };
            let name = decl.split_whitespace().skip_while(|w| *w != "struct" && *w != "enum").nth(1).unwrap_or("");
            let name = name.trim_end_matches(['{', '(', ';']).split('<').next().unwrap_or("").to_owned();
            if let Some(other) = seen.insert(name.clone(), f.clone()) {
                panic!("schema type {name} is declared in {} and {}", other.display(), f.display());
            }
        }
    }
}
