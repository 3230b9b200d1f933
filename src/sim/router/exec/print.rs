//! `print` and `getall`: generic menus and the host table, with queries and `.proplist`.

use std::collections::BTreeMap;

use super::{Cmd, Options, Reply, ids_of, no_such_item, trap, trap_cat};
use crate::domain::MacAddress;
use crate::sim::router::query::{QueryWord, matches};
use crate::sim::router::state::{self, HOST_PROPS, HostView, IP_BINDING, MenuSpec, RouterState, format_id};

pub(super) struct PrintArgs {
    proplist: Option<Vec<String>>,
    count_only: bool,
}

pub(super) fn print_args(cmd: &Cmd) -> Result<PrintArgs, Vec<Reply>> {
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

pub(super) fn finish_print(rows: Vec<Reply>, count: usize, args: &PrintArgs, opts: &Options) -> Vec<Reply> {
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
pub(super) fn project<'a>(
    get: &dyn Fn(&str) -> Option<std::borrow::Cow<'a, str>>,
    all: &[String],
    proplist: &Option<Vec<String>>,
) -> Vec<(String, String)> {
    match proplist {
        Some(props) => props.iter().filter_map(|p| get(p).map(|v| (p.clone(), v.into_owned()))).collect(),
        None => all.iter().filter_map(|p| get(p).map(|v| (p.clone(), v.into_owned()))).collect(),
    }
}

pub(super) fn derived(spec: &MenuSpec, attrs: &BTreeMap<String, String>, key: &str) -> Option<String> {
    match (spec.path, key) {
        (IP_BINDING, "bypassed") => Some((attrs.get("type").map(String::as_str) == Some("bypassed")).to_string()),
        (IP_BINDING, "blocked") => Some((attrs.get("type").map(String::as_str) == Some("blocked")).to_string()),
        _ => None,
    }
}

/// A query that is a plain AND of conditions (no `?#` stack operations): its first `?k=v` must
/// hold, so an index on `k` narrows the candidates without changing the answer.
pub(super) fn indexed_candidates(table: &state::Table, queries: &[QueryWord]) -> Option<Vec<u32>> {
    if queries.iter().any(|q| matches!(q, QueryWord::Ops(_))) {
        return None;
    }
    queries.iter().find_map(|q| match q {
        QueryWord::Eq(k, v) => table.lookup(k, &crate::sim::router::query::normalize(v)),
        _ => None,
    })
}

pub(super) fn print_generic(state: &RouterState, spec: &MenuSpec, cmd: &Cmd, opts: &Options) -> Vec<Reply> {
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
pub(super) fn host_candidates(state: &RouterState, queries: &[QueryWord]) -> Option<Vec<usize>> {
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

pub(super) fn host_command(state: &mut RouterState, verb: &str, cmd: &Cmd, opts: &Options) -> Vec<Reply> {
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
