use chrono::{Duration, Utc};

use super::*;
use crate::domain::policy::PerStatus;

fn attrs(json: &str) -> RestAttrs {
    serde_json::from_str(json).unwrap()
}

fn policy() -> RouterPolicy {
    RouterPolicy { fup_threshold: 1_000, lists: PerStatus::standard_lists(), profiles: PerStatus::standard_profiles() }
}

fn facts(purchased: i64, used: i64) -> UserFacts {
    UserFacts {
        approved: true,
        is_active: true,
        is_blocked: false,
        is_unlimited: false,
        purchased_bytes: purchased,
        used_bytes: used,
        expires_at: Some(Utc::now() + Duration::hours(2)),
    }
}

#[test]
fn a_report_adds_both_directions_with_their_gigawords() {
    let a = attrs(
        r#"{"Acct-Status-Type":{"type":"integer","value":["Interim-Update"]},
            "Acct-Session-Id":{"type":"string","value":["80f00003"]},
            "User-Name":{"type":"string","value":["AA:BB:CC:DD:EE:01"]},
            "Framed-IP-Address":{"type":"ipaddr","value":["10.5.50.253"]},
            "Acct-Input-Octets":{"type":"integer","value":[223456]},
            "Acct-Input-Gigawords":{"type":"integer","value":[1]},
            "Acct-Output-Octets":{"type":"integer","value":[754321]}}"#,
    );
    let r = a.report().unwrap();
    assert_eq!(r.kind, AcctKind::Interim);
    assert_eq!(r.total, (1u64 << 32) + 223_456 + 754_321);
    assert_eq!(r.session.unwrap().as_str(), "80f00003");
    assert!(r.ip.is_some());
}

#[test]
fn raw_numbers_and_names_both_parse_and_junk_is_refused() {
    let a = attrs(r#"{"Acct-Status-Type":{"type":"integer","value":[7]}}"#);
    assert_eq!(a.report().unwrap().kind, AcctKind::On);
    let a = attrs(r#"{"Acct-Status-Type":{"type":"integer","value":["Bogus"]}}"#);
    assert_eq!(a.report(), Err(RadiusError::Malformed("Acct-Status-Type")));
    let a = attrs(
        r#"{"Acct-Status-Type":{"type":"integer","value":["Start"]},"User-Name":{"type":"string","value":["x"]},
            "Acct-Session-Id":{"type":"string","value":["1"]}}"#,
    );
    assert_eq!(a.report(), Err(RadiusError::Malformed("Calling-Station-Id")));
    let a = attrs(
        r#"{"Acct-Status-Type":{"type":"integer","value":["Stop"]},"User-Name":{"type":"string","value":["AA:BB:CC:DD:EE:01"]},
            "Acct-Session-Id":{"type":"string","value":["1"]},"Acct-Input-Octets":{"type":"integer","value":[-5]}}"#,
    );
    assert_eq!(a.report(), Err(RadiusError::Malformed("Acct-Input-Octets")));
    assert_eq!(attrs("{}").report(), Err(RadiusError::Missing("Acct-Status-Type")));
}

#[test]
fn session_ids_are_printable_and_short() {
    assert!(SessionId::parse("80f00003").is_some());
    assert!(SessionId::parse("").is_none());
    assert!(SessionId::parse("a b").is_none());
    assert!(SessionId::parse(&"x".repeat(65)).is_none());
}

#[test]
fn the_policy_decides_accept_and_reject() {
    let now = Utc::now();
    assert_eq!(decide(None, &policy(), now, 60), Decision::Reject(RejectReason::Unknown));
    assert_eq!(decide(Some(&facts(500, 500)), &policy(), now, 60), Decision::Reject(RejectReason::Habis));
    let mut blocked = facts(5_000, 0);
    blocked.is_blocked = true;
    assert_eq!(decide(Some(&blocked), &policy(), now, 60), Decision::Reject(RejectReason::Blocked));
    let mut expired = facts(5_000, 0);
    expired.expires_at = Some(now - Duration::seconds(1));
    assert_eq!(decide(Some(&expired), &policy(), now, 60), Decision::Reject(RejectReason::Expired));
    let Decision::Accept(g) = decide(Some(&facts(5_000, 1_000)), &policy(), now, 60) else { panic!() };
    // Active: the session ends where fair use starts.
    assert_eq!((g.status, g.bytes_left, g.interim_secs), (AccessStatus::Active, Some(3_001), 60));
    assert!(g.session_timeout.is_some_and(|t| (7_000..=7_200).contains(&t)));
    let Decision::Accept(g) = decide(Some(&facts(5_000, 4_500)), &policy(), now, 60) else { panic!() };
    assert_eq!((g.status, g.bytes_left), (AccessStatus::Fup, Some(500)));
}

#[test]
fn a_login_is_the_phones_own_mac_and_no_typed_password() {
    let login = |user: &str, seen: &str, chap: bool| {
        let mut j = format!(
            r#"{{"User-Name":{{"type":"string","value":["{user}"]}},"Calling-Station-Id":{{"type":"string","value":["{seen}"]}}"#
        );
        if chap {
            j.push_str(r#","CHAP-Password":{"type":"octets","value":["0x01"]}"#);
        }
        j.push('}');
        attrs(&j)
    };
    assert!(login("AA:BB:CC:DD:EE:01", "aa-bb-cc-dd-ee-01", false).login_mac().is_ok());
    assert_eq!(login("AA:BB:CC:DD:EE:02", "AA:BB:CC:DD:EE:01", false).login_mac(), Err(RadiusError::NotMacLogin));
    assert_eq!(login("AA:BB:CC:DD:EE:01", "AA:BB:CC:DD:EE:01", true).login_mac(), Err(RadiusError::NotMacLogin));
}

#[test]
fn totals_past_a_pib_are_refused() {
    let a = attrs(
        r#"{"Acct-Status-Type":{"type":"integer","value":["Interim-Update"]},"Acct-Session-Id":{"type":"string","value":["1"]},
            "Calling-Station-Id":{"type":"string","value":["AA:BB:CC:DD:EE:01"]},
            "Acct-Input-Gigawords":{"type":"integer","value":[4294967295]},"Acct-Output-Gigawords":{"type":"integer","value":[4294967295]}}"#,
    );
    assert_eq!(a.report(), Err(RadiusError::Malformed("Acct-Input-Gigawords")));
}
