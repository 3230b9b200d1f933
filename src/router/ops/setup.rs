//! The router's setup the policy relies on: reading a configuration menu (firewall rules, the
//! hotspot servers and profiles), adding a row to one, and the walled garden we keep (the
//! portal's and the payment provider's hosts, so a phone that may not browse still reaches them).

use super::Ops;
use crate::router::RouterError;
use crate::router::command::Command;
use crate::router::rows::{Row, field};

pub const WALLED_GARDEN: &str = "/ip/hotspot/walled-garden";

/// What ensuring the walled garden did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GardenReport {
    pub added: usize,
    pub removed: usize,
}

/// What a router says it is.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct About {
    pub identity: Option<String>,
    pub version: Option<String>,
    pub board: Option<String>,
}

impl Ops {
    /// The router's identity, RouterOS version and board (two small prints).
    pub async fn about(&self) -> Result<About, RouterError> {
        let identity = self.client.run(&Command::new("/system/identity/print")).await?;
        let resource = self.client.run(&Command::new("/system/resource/print")).await?;
        let first = |rows: &[Row], k: &str| rows.first().and_then(|r| field(r, k)).map(str::to_owned);
        Ok(About {
            identity: first(&identity, "name"),
            version: first(&resource, "version"),
            board: first(&resource, "board-name"),
        })
    }

    /// Every row of a configuration menu (small menus only: rules, servers, profiles).
    pub async fn rows_of(&self, menu: &str) -> Result<Vec<Row>, RouterError> {
        self.client.run(&Command::new(format!("{menu}/print"))).await
    }

    /// Adds one row (the operator's setup, made by the demo and tests from the router check).
    pub async fn add_row(&self, menu: &str, attrs: &[(String, String)]) -> Result<(), RouterError> {
        let mut c = Command::new(format!("{menu}/add"));
        for (k, v) in attrs {
            c = c.attr(k, v.as_str());
        }
        match self.client.run(&c).await {
            Err(e) if e.is_duplicate() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Our walled-garden entries are exactly `hosts`: missing ones added, ours for other hosts
    /// removed; the operator's own entries are never touched.
    pub async fn ensure_walled_garden(&self, hosts: &[String]) -> Result<GardenReport, RouterError> {
        let comment = self.managed.comment("walled-garden");
        let rows = self
            .client
            .run(&Command::new(format!("{WALLED_GARDEN}/print")).proplist(&[".id", "dst-host", "comment"]))
            .await?;
        let ours: Vec<&Row> = rows.iter().filter(|r| self.managed.owns(field(r, "comment"))).collect();
        let mut report = GardenReport::default();
        for host in hosts {
            if !ours.iter().any(|r| field(r, "dst-host") == Some(host.as_str())) {
                let add = Command::new(format!("{WALLED_GARDEN}/add"))
                    .attr("dst-host", host.as_str())
                    .attr("action", "allow")
                    .attr("comment", comment.as_str());
                self.client.run(&add).await?;
                report.added += 1;
            }
        }
        for r in ours {
            let stale = field(r, "dst-host").is_none_or(|h| !hosts.iter().any(|x| x == h));
            if let (true, Some(id)) = (stale, field(r, ".id")) {
                let rm = Command::new(format!("{WALLED_GARDEN}/remove")).attr(".id", id);
                match self.client.run(&rm).await {
                    Err(e) if e.is_no_such_item() => {}
                    other => {
                        other?;
                    }
                }
                report.removed += 1;
            }
        }
        Ok(report)
    }
}
