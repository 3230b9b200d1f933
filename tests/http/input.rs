//! The JSON-or-form extractor with the client-hint aliases, and the envelope for body errors,
//! through the real middleware over a real socket.

use std::net::TcpListener;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use hotspot::domain::text::flexible_bool;
use hotspot::domain::{ClientIp, MacAddress, Msisdn};
use hotspot::http::context::request_context;
use hotspot::http::error::ApiError;
use hotspot::http::input::{BodyLimit, Input};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Probe {
    phone_number: Msisdn,
    client_ip: Option<ClientIp>,
    client_mac: Option<MacAddress>,
    #[serde(default, deserialize_with = "flexible_bool")]
    confirm_device_takeover: bool,
}

async fn echo(input: Input<Probe>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(json!({
        "phone": input.phone_number.as_e164(),
        "ip": input.client_ip.map(|i| i.as_text()),
        "mac": input.client_mac.map(|m| m.canonical()),
        "takeover": input.confirm_device_takeover,
    })))
}

struct Probed {
    base: String,
    client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

fn start() -> Probed {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = HttpServer::new(|| {
        App::new().wrap(from_fn(request_context)).app_data(BodyLimit(1024)).route("/probe", web::post().to(echo))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    Probed { base, client: reqwest::Client::new(), handle }
}

async fn post(p: &Probed, query: &str, content_type: Option<&str>, body: &str) -> (u16, Value) {
    let mut req = p.client.post(format!("{}/probe{query}", p.base)).body(body.to_owned());
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

const JSON: Option<&str> = Some("application/json");
const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_and_form_bodies_with_every_alias() {
    let p = start();
    let cases: &[(&str, Option<&str>, &str)] = &[
        (
            "",
            JSON,
            r#"{"phone_number":"081234567890","client_ip":"10.5.50.10","client_mac":"aa:bb:cc:dd:ee:f0","confirm_device_takeover":true}"#,
        ),
        (
            "",
            JSON,
            r#"{"phone_number":"+6281234567890","clientIp":"10.5.50.10","clientMac":"AA-BB-CC-DD-EE-F0","confirm_device_takeover":"true"}"#,
        ),
        (
            "",
            FORM,
            "phone_number=6281234567890&ip=10.5.50.10&mac=aa%3Abb%3Acc%3Add%3Aee%3Af0&confirm_device_takeover=true",
        ),
        (
            "",
            FORM,
            "phone_number=81234567890&client-ip=10.5.50.10&mac-address=aa-bb-cc-dd-ee-f0&confirm_device_takeover=1",
        ),
        (
            "?client-mac=aa:bb:cc:dd:ee:f0&clientIp=10.5.50.10",
            FORM,
            "phone_number=006281234567890&confirm_device_takeover=yes",
        ),
        ("", None, "phone_number=081234567890&client_ip=10.5.50.10&client_mac=AABBCCDDEEF0&confirm_device_takeover=on"),
    ];
    for (query, ct, body) in cases {
        let (status, v) = post(&p, query, *ct, body).await;
        assert_eq!(status, 200, "{body}: {v}");
        assert_eq!(v["phone"], "+6281234567890", "{body}");
        assert_eq!(v["ip"], "10.5.50.10", "{body}");
        assert_eq!(v["mac"], "AA:BB:CC:DD:EE:F0", "{body}");
        assert_eq!(v["takeover"], true, "{body}");
    }
    // Body beats query; empty form fields mean "absent".
    let (status, v) =
        post(&p, "?client_ip=10.9.9.9", FORM, "phone_number=081234567890&client_ip=10.5.50.10&client_mac=").await;
    assert_eq!(status, 200);
    assert_eq!(v["ip"], "10.5.50.10");
    assert_eq!(v["mac"], Value::Null);
    assert_eq!(v["takeover"], false);
    p.handle.stop(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_get_the_envelope() {
    let p = start();
    let big = format!(r#"{{"phone_number":"081234567890","pad":"{}"}}"#, "x".repeat(2048));
    // (content type, body, status, code, field named in details)
    type Case<'a> = (Option<&'a str>, &'a str, u16, &'a str, Option<&'a str>);
    let cases: &[Case] = &[
        (JSON, r#"{"phone_number":"#, 400, "MALFORMED_BODY", None),
        (JSON, r#"["081234567890"]"#, 400, "MALFORMED_BODY", None),
        (JSON, &big, 413, "PAYLOAD_TOO_LARGE", None),
        (Some("text/xml"), "<x/>", 415, "UNSUPPORTED_MEDIA_TYPE", None),
        (JSON, r#"{}"#, 422, "VALIDATION_ERROR", Some("phone_number")),
        (JSON, r#"{"phone_number":"12"}"#, 422, "VALIDATION_ERROR", Some("phone_number")),
        (JSON, r#"{"phone_number":"081234567890","client_mac":"zz"}"#, 422, "VALIDATION_ERROR", Some("client_mac")),
        (FORM, "phone_number=081234567890&ip=999.1.1.1", 422, "VALIDATION_ERROR", Some("client_ip")),
        (
            FORM,
            "phone_number=081234567890&confirm_device_takeover=maybe",
            422,
            "VALIDATION_ERROR",
            Some("confirm_device_takeover"),
        ),
    ];
    for (ct, body, want_status, want_code, want_field) in cases {
        let (status, v) = post(&p, "", *ct, body).await;
        assert_eq!(status, *want_status, "{body:.60}: {v}");
        assert_eq!(v["code"], *want_code, "{body:.60}");
        assert_eq!(v["success"], false);
        assert_eq!(v["status_code"], *want_status);
        assert!(v["request_id"].is_string());
        if let Some(f) = want_field {
            assert_eq!(v["details"]["field"], *f, "{body:.60}: {v}");
        }
    }
    p.handle.stop(false).await;
}

/// An empty required field is reported as empty, not as missing (forms send every input, so an
/// empty one is what a user left blank); an empty client hint still means "not given".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_field_is_reported_as_empty() {
    let p = start();
    for (ct, body) in
        [(JSON, r#"{"phone_number":""}"#), (FORM, "phone_number=&client_ip="), (JSON, r#"{"phone_number":"  "}"#)]
    {
        let (status, v) = post(&p, "", ct, body).await;
        assert_eq!(status, 422, "{body}: {v}");
        assert_eq!(v["details"]["field"], "phone_number", "{body}");
        let reason = v["details"]["reason"].as_str().unwrap_or_default();
        assert!(reason.contains("empty") && !reason.contains("missing"), "{body}: {reason}");
    }
    let (status, v) = post(&p, "", JSON, r#"{}"#).await;
    assert_eq!(status, 422);
    assert!(v["details"]["reason"].as_str().unwrap_or_default().contains("missing"), "{v}");
    p.handle.stop(false).await;
}
