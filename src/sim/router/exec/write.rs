//! `add`, `set`, `remove`, `enable`/`disable`, `comment` and the active login: the writes.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use super::{Cmd, Reply, ids_of, no_such_item, trap, trap_cat};
use crate::domain::MacAddress;
use crate::sim::router::state::{self, ADDRESS_LIST, MenuSpec, RouterState, format_id};

pub(super) fn set_or_clear(row: &mut BTreeMap<String, String>, key: &str, value: &str) {
    if value.is_empty() {
        row.remove(key);
    } else {
        row.insert(key.to_owned(), value.to_owned());
    }
}

/// Canonicalizes a value the way RouterOS stores it, or says why it is refused.
pub(super) fn normalize_value(key: &str, value: &str) -> Result<String, String> {
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
        // The union of the firewall's, NAT's, mangle's and the walled garden's actions.
        "action" => match value {
            "accept"
            | "drop"
            | "reject"
            | "allow"
            | "deny"
            | "masquerade"
            | "src-nat"
            | "dst-nat"
            | "redirect"
            | "mark-packet"
            | "mark-connection"
            | "mark-routing"
            | "return"
            | "jump"
            | "passthrough"
            | "log"
            | "fasttrack-connection"
            | "tarpit"
            | "notrack"
            | "add-src-to-address-list"
            | "add-dst-to-address-list" => Ok(value.into()),
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

pub(super) fn apply_attrs(
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

pub(super) fn unique_conflict(
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

pub(super) fn add(state: &mut RouterState, spec: &MenuSpec, cmd: &Cmd) -> Vec<Reply> {
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

pub(super) fn set(state: &mut RouterState, spec: &MenuSpec, cmd: &Cmd) -> Vec<Reply> {
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
pub(super) fn named_rows<'a>(
    state: &'a mut RouterState,
    spec: &MenuSpec,
    cmd: &Cmd,
) -> Option<(&'a mut state::Table, Vec<u32>)> {
    let ids = ids_of(cmd)?;
    let table = state.table_mut(spec.path)?;
    ids.iter().all(|id| table.get(*id).is_some()).then_some((table, ids))
}

pub(super) fn remove(state: &mut RouterState, spec: &MenuSpec, cmd: &Cmd) -> Vec<Reply> {
    let Some((table, ids)) = named_rows(state, spec, cmd) else {
        return no_such_item();
    };
    for id in ids {
        table.remove(id);
    }
    vec![Reply::Done(None)]
}

pub(super) fn update_each(
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

pub(super) fn active_login(state: &mut RouterState, cmd: &Cmd) -> Vec<Reply> {
    let (Some(user), Some(password)) = (cmd.attr("user"), cmd.attr("password")) else {
        return trap("missing value(s) of argument(s) user, password");
    };
    let mac = cmd.attr("mac-address").and_then(|m| MacAddress::parse(m).ok());
    match state.hotspot_login(user, password, cmd.attr("ip"), mac, "api") {
        Ok(()) => vec![Reply::Done(None)],
        Err(e) => trap(&e),
    }
}
