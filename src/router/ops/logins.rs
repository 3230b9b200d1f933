//! Hotspot users and their logins: our hotspot users (the phone's user, the one-time users of
//! the router-login binding) and the router's active list the witness watches.

use std::net::IpAddr;

use super::{ACTIVE, HOTSPOT_USER, Ops, Upsert, parse_rows};
use crate::domain::MacAddress;
use crate::router::command::Command;
use crate::router::error::RouterError;
use crate::router::rows::{HOTSPOT_USER_PROPLIST, HotspotUserRow, field};

/// A hotspot login the router shows: who, on which device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveLogin {
    pub id: String,
    pub mac: MacAddress,
    pub address: Option<IpAddr>,
}

impl Ops {
    /// Our hotspot user rows named `name` and the operator's (the caller tells them apart).
    pub async fn hotspot_users_named(&self, name: &str) -> Result<Vec<HotspotUserRow>, RouterError> {
        let rows = self
            .client
            .run(&Command::new(format!("{HOTSPOT_USER}/print")).proplist(HOTSPOT_USER_PROPLIST).query_eq("name", name))
            .await?;
        Ok(parse_rows(rows, HotspotUserRow::parse))
    }

    /// Creates or updates our hotspot user (name = the phone's local form).
    pub async fn upsert_hotspot_user(
        &self,
        name: &str,
        password: &str,
        profile: &str,
        label: &str,
    ) -> Result<Upsert, RouterError> {
        let comment = self.managed.comment(label);
        let users = self.hotspot_users_named(name).await?;
        if let Some(u) = users.first() {
            if !self.managed.owns(u.comment.as_deref()) {
                return Ok(Upsert::OperatorOwned);
            }
            self.client
                .run(
                    &Command::new(format!("{HOTSPOT_USER}/set"))
                        .attr(".id", u.id.as_str())
                        .attr("password", password)
                        .attr("profile", profile)
                        .attr("comment", comment.as_str())
                        .idempotent(true),
                )
                .await?;
            return Ok(Upsert::Updated { id: u.id.clone() });
        }
        let add = Command::new(format!("{HOTSPOT_USER}/add"))
            .attr("name", name)
            .attr("password", password)
            .attr("profile", profile)
            .attr("server", self.managed.server.as_str())
            .attr("comment", comment.as_str());
        match self.client.run(&add).await {
            Err(e) if e.is_duplicate() => {}
            other => {
                other?;
            }
        }
        Ok(Upsert::Created)
    }

    /// The router's active hotspot login of `user`, if any.
    pub async fn active_login(&self, user: &str) -> Result<Option<ActiveLogin>, RouterError> {
        let rows = self
            .client
            .run(
                &Command::new(format!("{ACTIVE}/print"))
                    .proplist(&[".id", "mac-address", "address"])
                    .query_eq("user", user),
            )
            .await?;
        Ok(rows.iter().find_map(|r| {
            Some(ActiveLogin {
                id: field(r, ".id")?.to_owned(),
                mac: MacAddress::parse(field(r, "mac-address")?).ok()?,
                address: field(r, "address").and_then(|a| a.parse().ok()),
            })
        }))
    }

    /// Ends an active hotspot login (its device is bypassed by its binding now).
    pub async fn end_active(&self, id: &str) -> Result<(), RouterError> {
        self.remove_by_id(ACTIVE, id).await
    }

    /// Removes our hotspot user `name` (never an operator's).
    pub async fn remove_hotspot_user(&self, name: &str) -> Result<bool, RouterError> {
        let mut removed = false;
        for u in self.hotspot_users_named(name).await?.into_iter().filter(|u| self.managed.owns(u.comment.as_deref())) {
            self.remove_by_id(HOTSPOT_USER, &u.id).await?;
            removed = true;
        }
        Ok(removed)
    }
}
