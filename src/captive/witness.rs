//! The router's witness (router-login mode). Behind the NAT a hint can name another phone, so a
//! device is bound only when the router shows that the device itself logged in to the hotspot
//! with one-time credentials handed to this session: a hotspot user per sign-in, short-lived,
//! with a random password that is never stored here. The backend learns of the login by watching
//! the router's active list for a while, and on the session's next call (`/me`, the hotspot
//! status), which also hands the device its proof cookie.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::router::RouterOutcome;
use super::{Captive, CaptiveError, ClientInfo};
use crate::auth::tokens::{self, Claims};
use crate::crypto::{random_token, sha256};
use crate::db::models::User;
use crate::domain::network::witness_username;
use crate::domain::{AccessStatus, ClientIp};
use crate::kv::KvError;

/// How often the watcher asks the router.
const WATCH_EVERY: Duration = Duration::from_secs(2);

/// One-time hotspot credentials.
#[derive(Debug, Clone)]
pub struct Witness {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    user: Uuid,
    family: Uuid,
}

/// What a session's next call receives once the router witnessed its device.
#[derive(Debug, Clone)]
pub struct Handover {
    /// The device's proof cookie.
    pub device_proof: String,
    /// A new access token naming the device (logout deauthorizes it).
    pub access: String,
}

impl RouterOutcome {
    /// Not bound yet: the page posts the one-time credentials to the router's login form.
    pub fn witness(status: AccessStatus, w: &Witness) -> Self {
        RouterOutcome {
            status,
            binding_active: false,
            login_required: true,
            hotspot_username: Some(w.username.clone()),
            hotspot_password: Some(w.password.clone()),
        }
    }

    /// Signed in without a device. From the captive page (a hotspot login context) the device
    /// still has to pass the hotspot's login; from the portal (`/login`) there is nothing to pass:
    /// the existing frontend would otherwise send the browser to a router it may not be near.
    pub fn no_device(status: AccessStatus, hotspot_login_context: bool) -> Self {
        RouterOutcome {
            status,
            binding_active: false,
            login_required: hotspot_login_context,
            hotspot_username: None,
            hotspot_password: None,
        }
    }
}

impl Captive {
    fn key(&self, what: &str, id: &str) -> String {
        self.kv.key(&format!("witness:{what}:{id}"))
    }

    /// Creates the one-time hotspot user on the router.
    pub(super) async fn create_witness(&self, user: &User, status: AccessStatus) -> Result<Witness, CaptiveError> {
        let ops = self.ops()?;
        let ttl = self.settings.hotspot.witness_ttl;
        let expires = chrono::Utc::now().timestamp() + ttl.as_secs() as i64;
        let suffix: String = random_token(8).chars().filter(char::is_ascii_alphanumeric).take(6).collect();
        let w = Witness { username: witness_username(expires, &suffix), password: random_token(9) };
        ops.upsert_hotspot_user(
            &w.username,
            &w.password,
            self.policy().profile(status),
            &format!("w:{}", user.id.simple()),
        )
        .await?;
        Ok(w)
    }

    /// Remembers the witness for the session `family` and watches the router for it.
    pub(super) async fn watch_witness(&self, w: &mut Witness, user: Uuid, family: Uuid) -> Result<(), CaptiveError> {
        let ttl = self.settings.hotspot.witness_ttl;
        let pending =
            serde_json::to_string(&Pending { user, family }).map_err(|e| CaptiveError::Internal(e.to_string()))?;
        let (k_pending, k_of) = (self.key("pending", &w.username), self.key("of", &family.simple().to_string()));
        self.kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let _: () = redis::pipe()
                    .atomic()
                    .set_ex(&k_pending, &pending, ttl.as_secs())
                    .ignore()
                    .set_ex(&k_of, &w.username, ttl.as_secs())
                    .ignore()
                    .query_async(&mut c)
                    .await?;
                Ok(())
            })
            .await?;
        tokens::set_attention(&self.kv, family, true, ttl).await?;
        let (me, name) = (self.clone(), w.username.clone());
        tokio::spawn(async move { me.watch(name, ttl).await });
        Ok(())
    }

    /// Asks the router about the witness until it is seen or expires; then the one-time user goes.
    async fn watch(&self, name: String, ttl: Duration) {
        let until = tokio::time::Instant::now() + ttl;
        while tokio::time::Instant::now() < until {
            tokio::time::sleep(WATCH_EVERY).await;
            match self.complete_witness(&name).await {
                Ok(Some(_)) => return,
                Ok(None) => {}
                Err(CaptiveError::WitnessGone) => return,
                Err(e) => tracing::warn!(error = %e, "witness check failed; trying again"),
            }
        }
        if let Ok(ops) = self.ops()
            && let Err(e) = ops.remove_hotspot_user(&name).await
        {
            tracing::warn!(error = %e, "could not remove an expired one-time hotspot user; the sync removes it");
        }
    }

    /// Binds the device the router shows logged in as the one-time user `name`. Exactly once:
    /// the pending record is taken out of Redis before anything is bound. `Ok(None)`: not yet.
    pub async fn complete_witness(&self, name: &str) -> Result<Option<i64>, CaptiveError> {
        let ops = self.ops()?;
        let Some(active) = ops.active_login(name).await? else { return Ok(None) };
        let k_pending = self.key("pending", name);
        let raw: Option<String> = self
            .kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                Ok(redis::cmd("GETDEL").arg(&k_pending).query_async(&mut c).await?)
            })
            .await?;
        let pending: Pending = raw.and_then(|r| serde_json::from_str(&r).ok()).ok_or(CaptiveError::WitnessGone)?;
        let user = self.user_by_id(pending.user).await?.ok_or(CaptiveError::WitnessGone)?;
        let ip = match active.address.and_then(|a| ClientIp::new(a).ok()) {
            Some(ip) => ip,
            None => ops
                .ip_for_mac(&active.mac)
                .await?
                .and_then(|a| ClientIp::new(a).ok())
                .ok_or(CaptiveError::DeviceNotFound)?,
        };
        let rows = self.devices.device_rows(user.id, active.mac).await?;
        // The router saw this device log in with this session's credentials: it may move from
        // another account, and stale devices make room as usual.
        let plan = super::plan::plan_devices(user.id, &active.mac, &rows, self.device_rules(&user), true)?;
        self.apply_router(&user, &active.mac, &ip).await?;
        let record = super::record::SignInRecord {
            user: user.id,
            mac: active.mac,
            ip,
            evict: plan.evict.iter().map(|(id, _)| *id).collect(),
            proof_hash: None,
            session: None,
            site: self.site_id(),
        };
        let device = super::record::record(&self.db, record).await?;
        super::record::witnessed(&self.db, user.id, device, pending.family).await?;
        self.devices.forget_later(plan.evict.iter().map(|(_, m)| *m).collect(), vec![]);
        let (k_of, k_done) = (
            self.key("of", &pending.family.simple().to_string()),
            self.key("done", &pending.family.simple().to_string()),
        );
        let ttl = self.settings.hotspot.witness_ttl.as_secs();
        self.kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                let _: () = redis::pipe()
                    .atomic()
                    .del(&k_of)
                    .ignore()
                    .set_ex(&k_done, device, ttl)
                    .ignore()
                    .query_async(&mut c)
                    .await?;
                Ok(())
            })
            .await?;
        // The one-time user's work is done; the binding carries the device from here.
        if let Err(e) = ops.end_active(&active.id).await {
            tracing::warn!(error = %e, "could not end the one-time hotspot login");
        }
        if let Err(e) = ops.remove_hotspot_user(name).await {
            tracing::warn!(error = %e, "could not remove a one-time hotspot user; the sync removes it");
        }
        tracing::info!(user = %user.id, device, "device bound on the router's witness");
        Ok(Some(device))
    }

    /// A session's pending work, on its next call: a witnessed login not noticed yet, and the
    /// proof cookie of a device bound by a witness.
    /// Asked at the site the caller is at (the one-time user waits on that site's router).
    pub async fn finish_pending(&self, claims: &Claims, client: &ClientInfo) -> Result<Option<Handover>, CaptiveError> {
        let Some(family) = claims.fam else { return Ok(None) };
        let here = self.here(client).await;
        let fam = family.simple().to_string();
        let (k_of, k_done) = (self.key("of", &fam), self.key("done", &fam));
        let waiting: Option<String> = self.get(&k_of).await?;
        if let Some(name) = &waiting {
            match here.complete_witness(name).await {
                Ok(_) | Err(CaptiveError::WitnessGone) => {}
                Err(e) => return Err(e),
            }
        }
        let done: Option<i64> = self
            .kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                Ok(redis::cmd("GETDEL").arg(&k_done).query_async(&mut c).await?)
            })
            .await?;
        let still_waiting = self.get::<String>(&k_of).await?.is_some();
        if !still_waiting {
            tokens::set_attention(&self.kv, family, false, Duration::ZERO).await?;
        }
        let Some(device) = done else { return Ok(None) };
        let proof = random_token(32);
        if !self.devices.set_proof(claims.sub, device, sha256(proof.as_bytes()).to_vec()).await? {
            return Ok(None);
        }
        let access = self
            .tokens
            .issue(claims.sub, claims.role, Some(family), Some(device), claims.adm)
            .map(|(t, _)| t)
            .map_err(|e| CaptiveError::Internal(e.to_string()))?;
        Ok(Some(Handover { device_proof: proof, access }))
    }

    async fn get<T: redis::FromRedisValue>(&self, key: &str) -> Result<Option<T>, KvError> {
        self.kv
            .with_timeout(async {
                let mut c = self.kv.conn();
                Ok(redis::cmd("GET").arg(key).query_async(&mut c).await?)
            })
            .await
    }
}
