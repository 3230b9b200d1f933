//! Executes one API command against the router state and returns its reply sentences.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::query::{QueryWord, matches};
use super::state::{
    self, ACTIVE, ADDRESS_LIST, HOST, HOST_PROPS, HostView, IP_BINDING, MenuSpec, RouterState, format_id, parse_id,
};
use crate::domain::MacAddress;

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

fn trap(message: impl Into<String>) -> Vec<Reply> {
    vec![Reply::Trap { category: None, message: message.into() }, Reply::Done(None)]
}

fn trap_cat(category: u8, message: impl Into<String>) -> Vec<Reply> {
    vec![Reply::Trap { category: Some(category), message: message.into() }, Reply::Done(None)]
}

fn no_such_item() -> Vec<Reply> {
    trap("no such item")
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

struct PrintArgs {
    proplist: Option<Vec<String>>,
    count_only: bool,
}

fn print_args(cmd: &Cmd) -> Result<PrintArgs, Vec<Reply>> {
    let mut args = PrintArgs { proplist: None, count_only: false };
    for (k, v) in &cmd.attrs {
        match k.as_str() {
            ".proplist" => args.proplist = Some(v.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()),
            "count-only" => args.count_only = true,
            "detail" | "without-paging" | "terse" | "brief" | "stats" => {}
            other => return Err(trap(format!("unknown parameter {other}"))),
        }
    }
    Ok(args)
}

fn finish_print(rows: Vec<Reply>, count: usize, args: &PrintArgs, opts: &Options) -> Vec<Reply> {
    if args.count_only {
        return vec![Reply::Done(Some(count.to_string()))];
    }
    let mut out = rows;
    if out.is_empty() && opts.empty_replies {
        out.push(Reply::Empty);
    }
    out.push(Reply::Done(None));
    out
}

/// Picks the printed properties: the proplist (those present) or everything.
fn project<'a>(
    get: &dyn Fn(&str) -> Option<std::borrow::Cow<'a, str>>,
    all: &[String],
    proplist: &Option<Vec<String>>,
) -> Vec<(String, String)> {
    match proplist {
        Some(props) => props.iter().filter_map(|p| get(p).map(|v| (p.clone(), v.into_owned()))).collect(),
        None => all.iter().filter_map(|p| get(p).map(|v| (p.clone(), v.into_owned()))).collect(),
    }
}

fn derived(spec: &MenuSpec, attrs: &BTreeMap<String, String>, key: &str) -> Option<String> {
    match (spec.path, key) {
        (IP_BINDING, "bypassed") => Some((attrs.get("type").map(String::as_str) == Some("bypassed")).to_string()),
        (IP_BINDING, "blocked") => Some((attrs.get("type").map(String::as_str) == Some("blocked")).to_string()),
        _ => None,
    }
}

/// A query that is a plain AND of conditions (no `?#` stack operations): its first `?k=v` must
/// hold, so an index on `k` narrows the candidates without changing the answer.
fn indexed_candidates(table: &state::Table, queries: &[QueryWord]) -> Option<Vec<u32>> {
    if queries.iter().any(|q| matches!(q, QueryWord::Ops(_))) {
        return None;
    }
    queries.iter().find_map(|q| match q {
        QueryWord::Eq(k, v) => table.lookup(k, &super::query::normalize(v)),
        _ => None,
    })
}

fn print_generic(state: &RouterState, spec: &MenuSpec, cmd: &Cmd, opts: &Options) -> Vec<Reply> {
    let args = match print_args(cmd) {
        Ok(a) => a,
        Err(t) => return t,
    };
    let Some(table) = state.table(spec.path) else { return trap("no such item") };
    let candidates: Box<dyn Iterator<Item = &state::Row>> = match indexed_candidates(table, &cmd.queries) {
        Some(ids) => Box::new(ids.into_iter().filter_map(|id| table.get(id))),
        None => Box::new(table.rows()),
    };
    let mut out = Vec::new();
    let mut count = 0;
    for row in candidates {
        let get = |k: &str| -> Option<std::borrow::Cow<'_, str>> {
            if k == ".id" {
                return Some(format_id(row.id).into());
            }
            match row.attrs.get(k) {
                Some(v) => Some(v.as_str().into()),
                None => derived(spec, &row.attrs, k).map(Into::into),
            }
        };
        if !matches(&cmd.queries, get) {
            continue;
        }
        count += 1;
        if args.count_only {
            continue;
        }
        let mut all: Vec<String> = vec![".id".into()];
        all.extend(row.attrs.keys().cloned());
        for extra in ["bypassed", "blocked"] {
            if derived(spec, &row.attrs, extra).is_some() {
                all.push(extra.into());
            }
        }
        out.push(Reply::Re(project(&get, &all, &args.proplist)));
    }
    finish_print(out, count, &args, opts)
}

/// Host rows a plain-AND query can be narrowed to by address or MAC.
fn host_candidates(state: &RouterState, queries: &[QueryWord]) -> Option<Vec<usize>> {
    if queries.iter().any(|q| matches!(q, QueryWord::Ops(_))) {
        return None;
    }
    queries.iter().find_map(|q| match q {
        QueryWord::Eq(k, v) if k == "address" => {
            Some(v.parse().ok().and_then(|ip| state.host_index_by_ip(&ip)).into_iter().collect())
        }
        QueryWord::Eq(k, v) if k == "mac-address" => {
            Some(MacAddress::parse(v).ok().and_then(|m| state.host_index_by_mac(&m)).into_iter().collect())
        }
        _ => None,
    })
}

fn host_command(state: &mut RouterState, verb: &str, cmd: &Cmd, opts: &Options) -> Vec<Reply> {
    match verb {
        "print" | "getall" => {
            let args = match print_args(cmd) {
                Ok(a) => a,
                Err(t) => return t,
            };
            let all: Vec<String> = HOST_PROPS.iter().map(|s| (*s).to_owned()).collect();
            let indexes: Vec<usize> =
                host_candidates(state, &cmd.queries).unwrap_or_else(|| (0..state.hosts.len()).collect());
            let mut out = Vec::with_capacity(if args.count_only { 0 } else { indexes.len() });
            let mut count = 0;
            for i in indexes {
                let h = &state.hosts[i];
                let mac = h.mac.canonical();
                let binding = state.binding_type_of(&mac);
                let view = HostView { host: h, binding: binding.as_deref(), active: state.is_active(&mac) };
                let get = |k: &str| view.get(k);
                if !matches(&cmd.queries, get) {
                    continue;
                }
                count += 1;
                if !args.count_only {
                    out.push(Reply::Re(project(&|k| view.get(k), &all, &args.proplist)));
                }
            }
            finish_print(out, count, &args, opts)
        }
        "remove" => {
            let Some(ids) = ids_of(cmd) else {
                return no_such_item();
            };
            if ids.iter().any(|id| !state.hosts.iter().any(|h| h.id == *id)) {
                return no_such_item();
            }
            for id in ids {
                state.remove_host_by_id(id);
            }
            vec![Reply::Done(None)]
        }
        "make-binding" => {
            let Some(id) = ids_of(cmd).and_then(|v| v.first().copied()) else {
                return no_such_item();
            };
            let Some(host) = state.hosts.iter().find(|h| h.id == id) else {
                return no_such_item();
            };
            let kind = cmd.attr("type").unwrap_or("regular");
            if !["regular", "bypassed", "blocked"].contains(&kind) {
                return trap_cat(1, format!("invalid value for argument type: {kind}"));
            }
            let mut attrs = BTreeMap::new();
            attrs.insert("mac-address".to_owned(), host.mac.canonical());
            attrs.insert("address".to_owned(), host.address.to_string());
            attrs.insert("server".to_owned(), host.server.clone());
            attrs.insert("type".to_owned(), kind.to_owned());
            attrs.insert("disabled".to_owned(), "false".to_owned());
            if let Some(t) = state.table_mut(IP_BINDING) {
                t.insert(attrs);
            }
            vec![Reply::Done(None)]
        }
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
fn ids_of(cmd: &Cmd) -> Option<Vec<u32>> {
    let raw = cmd.attr(".id").or_else(|| cmd.attr("numbers"))?;
    raw.split(',').map(|s| parse_id(s.trim())).collect()
}

fn set_or_clear(row: &mut BTreeMap<String, String>, key: &str, value: &str) {
    if value.is_empty() {
        row.remove(key);
    } else {
        row.insert(key.to_owned(), value.to_owned());
    }
}

/// Canonicalizes a value the way RouterOS stores it, or says why it is refused.
fn normalize_value(key: &str, value: &str) -> Result<String, String> {
    match key {
        "mac-address" if !value.is_empty() => MacAddress::parse(value)
            .map(|m| m.canonical())
            .or_else(|_| {
                // RouterOS stores multicast/zero MACs too; only the shape matters here.
                let hex: String = value.chars().filter(|c| c.is_ascii_hexdigit()).collect();
                if hex.len() == 12 && value.len() == 17 { Ok(value.to_ascii_uppercase()) } else { Err(()) }
            })
            .map_err(|_| format!("invalid value for argument mac-address: {value}")),
        "disabled" | "published" | "dynamic" | "block-access" | "transparent-proxy" | "add-mac-cookie" => match value {
            "true" | "yes" => Ok("true".into()),
            "false" | "no" => Ok("false".into()),
            _ => Err(format!("invalid value for argument {key}: {value}")),
        },
        "type" => match value {
            "regular" | "bypassed" | "blocked" => Ok(value.into()),
            _ => Err(format!("invalid value for argument type: {value}")),
        },
        "action" => match value {
            "accept" | "drop" | "reject" => Ok(value.into()),
            _ => Err(format!("invalid value for argument action: {value}")),
        },
        "to-address" if !value.is_empty() => value
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .map_err(|_| format!("invalid value for argument {key}: {value}")),
        "timeout" if !value.is_empty() => crate::router::values::parse_duration_secs(value)
            .map(crate::router::values::format_duration)
            .ok_or_else(|| format!("invalid value for argument timeout: {value}")),
        _ => Ok(value.to_owned()),
    }
}

fn apply_attrs(
    spec: &MenuSpec,
    row: &mut BTreeMap<String, String>,
    cmd: &Cmd,
    skip: &[&str],
) -> Result<(), Vec<Reply>> {
    for (k, v) in &cmd.attrs {
        if skip.contains(&k.as_str()) {
            continue;
        }
        if !spec.settable.contains(&k.as_str()) {
            return Err(trap(format!("unknown parameter {k}")));
        }
        let value = normalize_value(k, v).map_err(|m| trap_cat(1, m))?;
        if value.is_empty() && spec.required.contains(&k.as_str()) {
            return Err(trap_cat(1, format!("value of {k} must not be empty")));
        }
        set_or_clear(row, k, &value);
        if k == "timeout" && spec.path == ADDRESS_LIST {
            row.insert("dynamic".into(), (!value.is_empty()).to_string());
        }
    }
    Ok(())
}

fn unique_conflict(
    state: &RouterState,
    spec: &MenuSpec,
    row: &BTreeMap<String, String>,
    except: Option<u32>,
) -> Option<Vec<Reply>> {
    let (keys, message) = spec.unique?;
    let table = state.table(spec.path)?;
    let same = |r: &state::Row| Some(r.id) != except && keys.iter().all(|k| r.attrs.get(*k) == row.get(*k));
    // Narrow by an indexed key when there is one.
    let indexed = keys.iter().find_map(|k| row.get(*k).and_then(|v| table.lookup(k, v)));
    let clash = match indexed {
        Some(ids) => ids.into_iter().filter_map(|id| table.get(id)).any(same),
        None => table.rows().any(same),
    };
    clash.then(|| trap(message))
}

fn add(state: &mut RouterState, spec: &MenuSpec, cmd: &Cmd) -> Vec<Reply> {
    let mut row: BTreeMap<String, String> =
        spec.defaults.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    if let Err(t) = apply_attrs(spec, &mut row, cmd, &[]) {
        return t;
    }
    let missing: Vec<&str> = spec.required.iter().copied().filter(|k| !row.contains_key(*k)).collect();
    if !missing.is_empty() {
        return trap(format!("missing value(s) of argument(s) {}", missing.join(", ")));
    }
    if let Some(t) = unique_conflict(state, spec, &row, None) {
        return t;
    }
    if spec.path == ADDRESS_LIST {
        row.insert("creation-time".into(), "2026-11-22 08:00:00".into());
    }
    let Some(table) = state.table_mut(spec.path) else {
        return trap("no such item");
    };
    let id = table.insert(row);
    vec![Reply::Done(Some(format_id(id)))]
}

fn set(state: &mut RouterState, spec: &MenuSpec, cmd: &Cmd) -> Vec<Reply> {
    let Some(ids) = ids_of(cmd) else {
        return no_such_item();
    };
    let Some(table) = state.table(spec.path) else {
        return no_such_item();
    };
    let mut updated = Vec::new();
    for id in &ids {
        let Some(existing) = table.get(*id) else {
            return no_such_item();
        };
        let mut row = existing.attrs.clone();
        if let Err(t) = apply_attrs(spec, &mut row, cmd, &[".id", "numbers"]) {
            return t;
        }
        if let Some(t) = unique_conflict(state, spec, &row, Some(*id)) {
            return t;
        }
        updated.push((*id, row));
    }
    if let Some(table) = state.table_mut(spec.path) {
        for (id, row) in updated {
            table.replace(id, row);
        }
    }
    vec![Reply::Done(None)]
}

/// The table and the ids a command names, all of which must exist (else RouterOS's `no such item`).
fn named_rows<'a>(state: &'a mut RouterState, spec: &MenuSpec, cmd: &Cmd) -> Option<(&'a mut state::Table, Vec<u32>)> {
    let ids = ids_of(cmd)?;
    let table = state.table_mut(spec.path)?;
    ids.iter().all(|id| table.get(*id).is_some()).then_some((table, ids))
}

fn remove(state: &mut RouterState, spec: &MenuSpec, cmd: &Cmd) -> Vec<Reply> {
    let Some((table, ids)) = named_rows(state, spec, cmd) else {
        return no_such_item();
    };
    for id in ids {
        table.remove(id);
    }
    vec![Reply::Done(None)]
}

fn update_each(
    state: &mut RouterState,
    spec: &MenuSpec,
    cmd: &Cmd,
    f: impl Fn(&mut BTreeMap<String, String>),
) -> Vec<Reply> {
    let Some((table, ids)) = named_rows(state, spec, cmd) else {
        return no_such_item();
    };
    for id in ids {
        if let Some(mut attrs) = table.get(id).map(|r| r.attrs.clone()) {
            f(&mut attrs);
            table.replace(id, attrs);
        }
    }
    vec![Reply::Done(None)]
}

fn active_login(state: &mut RouterState, cmd: &Cmd) -> Vec<Reply> {
    let (Some(user), Some(password)) = (cmd.attr("user"), cmd.attr("password")) else {
        return trap("missing value(s) of argument(s) user, password");
    };
    let mac = cmd.attr("mac-address").and_then(|m| MacAddress::parse(m).ok());
    match state.hotspot_login(user, password, cmd.attr("ip"), mac, "api") {
        Ok(()) => vec![Reply::Done(None)],
        Err(e) => trap(&e),
    }
}

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
        s.seed_hosts(5);
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
