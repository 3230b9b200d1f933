//! The hotspot's host table, one MAC at a time.

use std::net::IpAddr;

use super::parse_rows;
use super::{HOST, Ops};
use crate::domain::MacAddress;
use crate::router::RouterError;
use crate::router::command::Command;
use crate::router::rows::{HOST_PROPLIST, HostRow, field};

impl Ops {
    pub async fn ip_for_mac(&self, mac: &MacAddress) -> Result<Option<IpAddr>, RouterError> {
        let rows = self
            .client
            .run(&Command::new(format!("{HOST}/print")).proplist(&["address"]).query_eq("mac-address", mac.canonical()))
            .await?;
        Ok(rows.iter().find_map(|r| field(r, "address").and_then(|a| a.parse().ok())))
    }

    /// The hotspot's host row for `mac`, if the router sees it now.
    pub async fn host_for_mac(&self, mac: &MacAddress) -> Result<Option<HostRow>, RouterError> {
        let rows = self
            .client
            .run(
                &Command::new(format!("{HOST}/print")).proplist(HOST_PROPLIST).query_eq("mac-address", mac.canonical()),
            )
            .await?;
        Ok(parse_rows(rows, HostRow::parse).into_iter().next())
    }
}
