//! The device policy (pure): what registering a device means for the user's other devices and
//! for another account that holds it.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::CaptiveError;
use crate::db::models::DeviceRow;
use crate::domain::MacAddress;

/// What registering this device means for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePlan {
    /// Stale devices to drop to make room: (id, MAC).
    pub evict: Vec<(i64, MacAddress)>,
    /// The account the device is taken from.
    pub takeover_from: Option<Uuid>,
}

/// The limits the plan applies.
#[derive(Debug, Clone, Copy)]
pub struct DeviceRules {
    pub limit: usize,
    /// Devices last seen before this instant may be dropped to make room.
    pub stale_before: DateTime<Utc>,
}

/// The limit counts the user's other devices; the least recently seen stale ones make room; a
/// device of another account moves only when the user confirms. `rows`: the user's devices and
/// the row holding `mac`, whoever owns it.
pub fn plan_devices(
    user: Uuid,
    mac: &MacAddress,
    rows: &[DeviceRow],
    rules: DeviceRules,
    confirm_takeover: bool,
) -> Result<DevicePlan, CaptiveError> {
    let owner = rows.iter().find(|r| r.mac_address == *mac).map(|r| r.user_id);
    let takeover_from = owner.filter(|o| *o != user);
    if takeover_from.is_some() && !confirm_takeover {
        return Err(CaptiveError::TakeoverRequired);
    }
    let mut others: Vec<&DeviceRow> = rows.iter().filter(|r| r.user_id == user && r.mac_address != *mac).collect();
    if others.len() < rules.limit {
        return Ok(DevicePlan { evict: vec![], takeover_from });
    }
    let needed = others.len() + 1 - rules.limit;
    others.sort_by_key(|r| r.last_seen_at);
    let stale: Vec<(i64, MacAddress)> = others
        .iter()
        .filter(|r| r.last_seen_at < rules.stale_before)
        .take(needed)
        .map(|r| (r.id, r.mac_address))
        .collect();
    if stale.len() < needed {
        return Err(CaptiveError::DeviceLimit { limit: rules.limit });
    }
    Ok(DevicePlan { evict: stale, takeover_from })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(s: &str) -> MacAddress {
        MacAddress::parse(s).unwrap()
    }

    fn row(id: i64, user: Uuid, m: &str, days_ago: i64) -> DeviceRow {
        DeviceRow {
            id,
            user_id: user,
            mac_address: mac(m),
            ip_address: None,
            is_authorized: true,
            last_seen_at: Utc::now() - chrono::Duration::days(days_ago),
        }
    }

    #[test]
    fn device_policy_table() {
        let me = Uuid::new_v4();
        let other = Uuid::new_v4();
        let new_mac = mac("02:00:00:00:00:99");
        let rules = DeviceRules { limit: 3, stale_before: Utc::now() - chrono::Duration::days(30) };
        let a = "02:00:00:00:00:01";
        let b = "02:00:00:00:00:02";
        let c = "02:00:00:00:00:03";
        type Case = (&'static str, Vec<DeviceRow>, bool, Result<DevicePlan, &'static str>);
        let cases: Vec<Case> = vec![
            ("first device", vec![], false, Ok(DevicePlan { evict: vec![], takeover_from: None })),
            (
                "under the limit",
                vec![row(1, me, a, 1), row(2, me, b, 1)],
                false,
                Ok(DevicePlan { evict: vec![], takeover_from: None }),
            ),
            (
                "same device again at the limit",
                vec![row(1, me, a, 1), row(2, me, b, 1), row(3, me, "02:00:00:00:00:99", 1)],
                false,
                Ok(DevicePlan { evict: vec![], takeover_from: None }),
            ),
            ("full, all fresh", vec![row(1, me, a, 1), row(2, me, b, 2), row(3, me, c, 3)], false, Err("limit")),
            (
                "full, the stalest goes",
                vec![row(1, me, a, 1), row(2, me, b, 90), row(3, me, c, 40)],
                false,
                Ok(DevicePlan { evict: vec![(2, mac(b))], takeover_from: None }),
            ),
            ("owned by another account", vec![row(9, other, "02:00:00:00:00:99", 1)], false, Err("takeover")),
            (
                "takeover confirmed",
                vec![row(9, other, "02:00:00:00:00:99", 1)],
                true,
                Ok(DevicePlan { evict: vec![], takeover_from: Some(other) }),
            ),
        ];
        for (name, rows, confirm, want) in cases {
            let got = plan_devices(me, &new_mac, &rows, rules, confirm).map_err(|e| match e {
                CaptiveError::DeviceLimit { .. } => "limit",
                CaptiveError::TakeoverRequired => "takeover",
                _ => "other",
            });
            assert_eq!(got, want, "{name}");
        }
    }
}
