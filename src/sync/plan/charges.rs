//! What each host of the snapshot charges: the delta against its baseline, the new baseline,
//! and whether its device's row records it as seen.

use std::net::IpAddr;

use chrono::{DateTime, Utc};

use super::{Baseline, DeviceCharge, DeviceInput, DeviceSeen, Map, NewBaseline, Plan, observe};
use crate::domain::{ClientIp, MacAddress};
use crate::router::rows::HostRow;

/// Charges every host whose MAC is one of our devices into `out`; returns where each of them
/// is now (the status lists follow the router's view of the address).
pub(super) fn charge_hosts(
    hosts: &[HostRow],
    baselines: &Map<MacAddress, Baseline>,
    devices: &[DeviceInput],
    now: DateTime<Utc>,
    out: &mut Plan,
) -> Map<MacAddress, IpAddr> {
    let mut device_by_mac: Map<MacAddress, &DeviceInput> =
        Map::with_capacity_and_hasher(devices.len(), Default::default());
    device_by_mac.extend(devices.iter().map(|d| (d.mac, d)));
    let mut host_ip: Map<MacAddress, IpAddr> = Map::with_capacity_and_hasher(hosts.len(), Default::default());
    let counted = counted_rows(hosts, baselines);
    for h in hosts {
        let Some(dev) = device_by_mac.get(&h.mac) else {
            out.unknown_hosts += 1;
            continue;
        };
        if let Some(ip) = h.address {
            host_ip.insert(h.mac, ip);
        }
        let ip = h.address.and_then(|a| ClientIp::new(a).ok());
        if dev.seen_due(ip, now) {
            out.seen.push(DeviceSeen { device_id: dev.id, user_id: dev.user_id, ip });
        }
        // One row per MAC is counted; a row without a readable uptime charges nothing.
        let Some(uptime_secs) = h.uptime_secs.filter(|_| counted.get(&h.mac).is_some_and(|c| std::ptr::eq(*c, h)))
        else {
            continue;
        };
        let bytes = h.total_bytes();
        let stored = baselines.get(&h.mac);
        let observation = observe(stored, &h.id, bytes, uptime_secs);
        let charge = observation.charge();
        if charge > 0 {
            *out.per_user.entry(dev.user_id).or_insert(0) += charge;
        }
        out.charges.push(DeviceCharge {
            device_id: dev.id,
            user_id: dev.user_id,
            mac: h.mac,
            bytes: charge,
            observation,
        });
        let baseline = Baseline { host_id: h.id.clone(), bytes, uptime_secs };
        if stored != Some(&baseline) {
            out.baselines.push(NewBaseline { mac: h.mac, user_id: dev.user_id, baseline, stored: stored.is_some() });
        }
    }
    host_ip
}

/// The one row per MAC whose counter is charged, when the router lists a MAC more than once
/// (a device moving between hotspot servers while its old row waits out its keepalive): the
/// row the baseline was taken from while it is still there, else the youngest. Measuring two
/// rows against one baseline would charge the younger one's whole counter every cycle.
fn counted_rows<'a>(hosts: &'a [HostRow], baselines: &Map<MacAddress, Baseline>) -> Map<MacAddress, &'a HostRow> {
    let mut chosen: Map<MacAddress, &HostRow> = Map::with_capacity_and_hasher(hosts.len(), Default::default());
    for h in hosts.iter().filter(|h| h.uptime_secs.is_some()) {
        match chosen.entry(h.mac) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(h);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let known = baselines.get(&h.mac).map(|b| b.host_id.as_str());
                let better = if known == Some(o.get().id.as_str()) {
                    false
                } else {
                    known == Some(h.id.as_str()) || h.uptime_secs < o.get().uptime_secs
                };
                if better {
                    o.insert(h);
                }
            }
        }
    }
    chosen
}
