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
    for h in hosts {
        let Some(dev) = device_by_mac.get(&h.mac) else {
            out.unknown_hosts += 1;
            continue;
        };
        if let Some(ip) = h.address {
            host_ip.insert(h.mac, ip);
        }
        let bytes = h.total_bytes();
        let stored = baselines.get(&h.mac);
        let observation = observe(stored, &h.id, bytes, h.uptime_secs);
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
        let baseline = Baseline { host_id: h.id.clone(), bytes, uptime_secs: h.uptime_secs };
        if stored != Some(&baseline) {
            out.baselines.push(NewBaseline { mac: h.mac, user_id: dev.user_id, baseline, stored: stored.is_some() });
        }
        let ip = h.address.and_then(|a| ClientIp::new(a).ok());
        if dev.seen_due(ip, now) {
            out.seen.push(DeviceSeen { device_id: dev.id, user_id: dev.user_id, ip });
        }
    }
    host_ip
}
