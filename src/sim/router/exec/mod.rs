//! Executes one API command against the router state and returns its reply sentences.

mod print;
mod write;

use print::{host_command, print_generic};
use write::{active_login, add, remove, set, set_or_clear, update_each};

use super::query::QueryWord;
use super::state::{self, ACTIVE, HOST, RouterState, parse_id};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Re(Vec<(String, String)>),
    Done(Option<String>),
    Empty,
    Trap { category: Option<u8>, message: String },
}

/// A parsed command sentence.
#[derive(Debug, Clone, Default)]
pub struct Cmd {
    pub word: String,
    pub attrs: Vec<(String, String)>,
    pub queries: Vec<QueryWord>,
}

impl Cmd {
    pub fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

pub struct Options {
    /// RouterOS 7.18+ answers an empty print with `!empty` before `!done`.
    pub empty_replies: bool,
}

pub(super) fn trap(message: impl Into<String>) -> Vec<Reply> {
    vec![Reply::Trap { category: None, message: message.into() }, Reply::Done(None)]
}

pub(super) fn trap_cat(category: u8, message: impl Into<String>) -> Vec<Reply> {
    vec![Reply::Trap { category: Some(category), message: message.into() }, Reply::Done(None)]
}

pub(super) fn no_such_item() -> Vec<Reply> {
    trap("no such item")
}

fn ids_of(cmd: &Cmd) -> Option<Vec<u32>> {
    let raw = cmd.attr(".id").or_else(|| cmd.attr("numbers"))?;
    raw.split(',').map(|s| parse_id(s.trim())).collect()
}

pub fn execute(state: &mut RouterState, cmd: &Cmd, opts: &Options) -> Vec<Reply> {
    let Some((menu_path, verb)) = cmd.word.rsplit_once('/') else {
        return trap_cat(0, "no such command");
    };
    match (menu_path, verb) {
        ("/system/resource", "print" | "getall") => return system_resource(state),
        ("/system/identity", "print" | "getall") => {
            return vec![Reply::Re(vec![("name".into(), state.identity.clone())]), Reply::Done(None)];
        }
        ("/system/identity", "set") => {
            return match cmd.attr("name") {
                Some(n) if !n.is_empty() => {
                    state.identity = n.to_owned();
                    vec![Reply::Done(None)]
                }
                _ => trap_cat(1, "value of name must not be empty"),
            };
        }
        (HOST, v) => return host_command(state, v, cmd, opts),
        _ => {}
    }
    let Some(spec) = state::menu(menu_path) else {
        // RouterOS answers a mistyped path with two traps.
        return vec![
            Reply::Trap { category: Some(0), message: format!("no such command or directory ({})", verb) },
            Reply::Trap { category: None, message: "no such command prefix".into() },
            Reply::Done(None),
        ];
    };
    match verb {
        "print" | "getall" => print_generic(state, spec, cmd, opts),
        "add" if spec.can_add => add(state, spec, cmd),
        "set" if spec.can_add => set(state, spec, cmd),
        "remove" => remove(state, spec, cmd),
        "enable" | "disable" if spec.can_add => {
            let value = if verb == "disable" { "true" } else { "false" };
            update_each(state, spec, cmd, |row| {
                row.insert("disabled".into(), value.into());
            })
        }
        "comment" if spec.can_add => {
            let comment = cmd.attr("comment").unwrap_or("").to_owned();
            update_each(state, spec, cmd, move |row| set_or_clear(row, "comment", &comment))
        }
        "make-static" if spec.extra.contains(&"make-static") => update_each(state, spec, cmd, |row| {
            row.insert("dynamic".into(), "false".into());
        }),
        "check-status" if spec.extra.contains(&"check-status") => vec![Reply::Done(None)],
        "login" if spec.path == ACTIVE => active_login(state, cmd),
        _ => trap_cat(0, "no such command"),
    }
}

fn system_resource(state: &RouterState) -> Vec<Reply> {
    let r = [
        ("uptime", crate::router::values::format_duration(state.uptime)),
        ("version", "7.16.2 (stable)".to_owned()),
        ("build-time", "2024-11-26 12:00:00".to_owned()),
        ("factory-software", "7.1".to_owned()),
        ("free-memory", "812343296".to_owned()),
        ("total-memory", "1073741824".to_owned()),
        ("cpu", "ARM64".to_owned()),
        ("cpu-count", "4".to_owned()),
        ("cpu-frequency", "1400".to_owned()),
        ("cpu-load", "3".to_owned()),
        ("free-hdd-space", "96829440".to_owned()),
        ("total-hdd-space", "134217728".to_owned()),
        ("architecture-name", "arm64".to_owned()),
        ("board-name", "hotspot-sim".to_owned()),
        ("platform", "MikroTik".to_owned()),
    ];
    vec![Reply::Re(r.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()), Reply::Done(None)]
}

/// `=.id=*1,*2` or `=numbers=*1`.
#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(word: &str, attrs: &[(&str, &str)], queries: &[&str]) -> Cmd {
        Cmd {
            word: word.into(),
            attrs: attrs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect(),
            queries: queries.iter().map(|q| QueryWord::parse(q).unwrap()).collect(),
        }
    }

    const OPTS: Options = Options { empty_replies: false };

    #[test]
    fn add_print_set_remove() {
        let mut s = RouterState::new(1);
        let r = execute(
            &mut s,
            &cmd(
                "/ip/hotspot/ip-binding/add",
                &[("mac-address", "aa:bb:cc:dd:ee:f0"), ("type", "bypassed"), ("comment", "hotspot:u1")],
                &[],
            ),
            &OPTS,
        );
        assert_eq!(r, vec![Reply::Done(Some("*1".into()))]);
        let p = execute(
            &mut s,
            &cmd(
                "/ip/hotspot/ip-binding/print",
                &[(".proplist", ".id,mac-address,type,bypassed")],
                &["?mac-address=AA:BB:CC:DD:EE:F0"],
            ),
            &OPTS,
        );
        assert_eq!(
            p[0],
            Reply::Re(vec![
                (".id".into(), "*1".into()),
                ("mac-address".into(), "AA:BB:CC:DD:EE:F0".into()),
                ("type".into(), "bypassed".into()),
                ("bypassed".into(), "true".into())
            ])
        );
        assert_eq!(
            execute(&mut s, &cmd("/ip/hotspot/ip-binding/set", &[(".id", "*1"), ("type", "regular")], &[]), &OPTS),
            vec![Reply::Done(None)]
        );
        assert_eq!(
            execute(&mut s, &cmd("/ip/hotspot/ip-binding/set", &[(".id", "*9"), ("type", "regular")], &[]), &OPTS)[0],
            Reply::Trap { category: None, message: "no such item".into() }
        );
        assert_eq!(
            execute(&mut s, &cmd("/ip/hotspot/ip-binding/print", &[("count-only", "")], &[]), &OPTS),
            vec![Reply::Done(Some("1".into()))]
        );
        assert_eq!(
            execute(&mut s, &cmd("/ip/hotspot/ip-binding/remove", &[(".id", "*1")], &[]), &OPTS),
            vec![Reply::Done(None)]
        );
        assert_eq!(execute(&mut s, &cmd("/ip/hotspot/ip-binding/print", &[], &[]), &OPTS), vec![Reply::Done(None)]);
        assert_eq!(
            execute(&mut s, &cmd("/ip/hotspot/ip-binding/print", &[], &[]), &Options { empty_replies: true }),
            vec![Reply::Empty, Reply::Done(None)]
        );
    }

    #[test]
    fn errors_use_routeros_messages() {
        let mut s = RouterState::new(1);
        let add = cmd("/ip/firewall/address-list/add", &[("list", "hs-active"), ("address", "10.5.50.10")], &[]);
        assert!(matches!(execute(&mut s, &add, &OPTS)[0], Reply::Done(Some(_))));
        assert_eq!(
            execute(&mut s, &add, &OPTS)[0],
            Reply::Trap { category: None, message: "failure: already have such entry".into() }
        );
        let typo = execute(&mut s, &cmd("/ip/adress/print", &[], &[]), &OPTS);
        assert_eq!(typo.len(), 3);
        assert_eq!(typo[0], Reply::Trap { category: Some(0), message: "no such command or directory (print)".into() });
        let unknown = execute(&mut s, &cmd("/ip/hotspot/ip-binding/add", &[("colour", "red")], &[]), &OPTS);
        assert_eq!(unknown[0], Reply::Trap { category: None, message: "unknown parameter colour".into() });
        let bad_type = execute(&mut s, &cmd("/ip/hotspot/ip-binding/add", &[("type", "vip")], &[]), &OPTS);
        assert!(matches!(&bad_type[0], Reply::Trap { category: Some(1), .. }));
        let missing = execute(&mut s, &cmd("/ip/firewall/address-list/add", &[("list", "x")], &[]), &OPTS);
        assert!(matches!(&missing[0], Reply::Trap { message, .. } if message.contains("address")));
        let dup_user = cmd("/ip/hotspot/user/add", &[("name", "081234567890"), ("password", "p")], &[]);
        execute(&mut s, &dup_user, &OPTS);
        assert_eq!(
            execute(&mut s, &dup_user, &OPTS)[0],
            Reply::Trap { category: None, message: "failure: already have user with this name".into() }
        );
    }

    #[test]
    fn indexes_follow_sets_and_removes() {
        let mut s = RouterState::new(1);
        let add = |s: &mut RouterState, mac: &str| {
            execute(s, &cmd("/ip/hotspot/ip-binding/add", &[("mac-address", mac)], &[]), &OPTS)
        };
        add(&mut s, "02:00:00:00:00:01");
        add(&mut s, "02:00:00:00:00:02");
        let count = |s: &mut RouterState, q: &[&str]| {
            execute(s, &cmd("/ip/hotspot/ip-binding/print", &[("count-only", "")], q), &OPTS)
        };
        assert_eq!(count(&mut s, &["?mac-address=02:00:00:00:00:01"]), vec![Reply::Done(Some("1".into()))]);
        // Lower-case query values find upper-case stored MACs through the index too.
        assert_eq!(count(&mut s, &["?mac-address=02:00:00:00:00:0a"]), vec![Reply::Done(Some("0".into()))]);
        execute(
            &mut s,
            &cmd("/ip/hotspot/ip-binding/set", &[(".id", "*1"), ("mac-address", "02:00:00:00:00:0a")], &[]),
            &OPTS,
        );
        assert_eq!(count(&mut s, &["?mac-address=02:00:00:00:00:01"]), vec![Reply::Done(Some("0".into()))]);
        assert_eq!(count(&mut s, &["?mac-address=02:00:00:00:00:0a"]), vec![Reply::Done(Some("1".into()))]);
        // An OR query bypasses the index and still sees both.
        let or = ["?mac-address=02:00:00:00:00:0A", "?mac-address=02:00:00:00:00:02", "?#|"];
        assert_eq!(count(&mut s, &or), vec![Reply::Done(Some("2".into()))]);
        execute(&mut s, &cmd("/ip/hotspot/ip-binding/remove", &[(".id", "*1")], &[]), &OPTS);
        assert_eq!(count(&mut s, &["?mac-address=02:00:00:00:00:0A"]), vec![Reply::Done(Some("0".into()))]);
    }

    #[test]
    fn hosts_print_with_proplist_and_query() {
        let mut s = RouterState::new(3);
        s.seed_hosts(0, 5);
        s.advance(60);
        let ip = s.hosts[2].address.to_string();
        let r = execute(
            &mut s,
            &cmd(
                "/ip/hotspot/host/print",
                &[(".proplist", "mac-address,bytes-in,nonexistent")],
                &[&format!("?address={ip}")],
            ),
            &OPTS,
        );
        assert_eq!(r.len(), 2);
        let Reply::Re(props) = &r[0] else { panic!() };
        assert_eq!(props.len(), 2);
        assert_eq!(props[1].1, (s.hosts[2].rate_in * 60).to_string());
        let count = execute(&mut s, &cmd("/ip/hotspot/host/print", &[("count-only", "")], &[]), &OPTS);
        assert_eq!(count, vec![Reply::Done(Some("5".into()))]);
    }
}
