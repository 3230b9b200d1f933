//! `hotspot user approve|reject|block|unblock|grant|expiry|role|show`: the admin room's
//! functions from the command line, audited with the actor `cli`, printing what changed.

use std::io::BufRead;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use uuid::Uuid;

use crate::admin::lifecycle::{Changed, Expiry};
use crate::admin::{Actor, Admin};
use crate::app::App;
use crate::config::Settings;
use crate::db::models::User;
use crate::domain::{GIB, Msisdn, Role};

#[derive(Debug, Subcommand)]
pub enum Lifecycle {
    /// Approve a waiting registration (the user is told over WhatsApp).
    Approve { user: String },
    /// Reject a waiting registration.
    Reject {
        user: String,
        #[arg(long)]
        reason: String,
    },
    /// Block a user: sessions end, the router follows.
    Block {
        user: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift a block.
    Unblock { user: String },
    /// Add (or, negative, take back) quota.
    Grant {
        user: String,
        #[arg(long, allow_negative_numbers = true)]
        gib: f64,
        #[arg(long)]
        reason: String,
        /// Makes a repeated command grant once.
        #[arg(long)]
        key: Option<String>,
    },
    /// Extend the expiry by days, or set it to the end of a local date.
    Expiry {
        user: String,
        #[arg(long, conflicts_with = "until")]
        extend_days: Option<u32>,
        /// YYYY-MM-DD: the quota works through that day.
        #[arg(long)]
        until: Option<String>,
    },
    /// Change a role (admin roles read a password from standard input when they have none).
    Role {
        user: String,
        /// user, komandan, admin or super_admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Show a user.
    Show { user: String },
}

impl Lifecycle {
    fn name(&self) -> &'static str {
        match self {
            Lifecycle::Approve { .. } => "approve",
            Lifecycle::Reject { .. } => "reject",
            Lifecycle::Block { .. } => "block",
            Lifecycle::Unblock { .. } => "unblock",
            Lifecycle::Grant { .. } => "grant",
            Lifecycle::Expiry { .. } => "expiry",
            Lifecycle::Role { .. } => "role",
            Lifecycle::Show { .. } => "show",
        }
    }

    /// The user named: a phone number in any usual form, or a user id.
    fn user(&self) -> &str {
        match self {
            Lifecycle::Approve { user }
            | Lifecycle::Reject { user, .. }
            | Lifecycle::Block { user, .. }
            | Lifecycle::Unblock { user }
            | Lifecycle::Grant { user, .. }
            | Lifecycle::Expiry { user, .. }
            | Lifecycle::Role { user, .. }
            | Lifecycle::Show { user } => user,
        }
    }
}

async fn find(admin: &Admin, who: &str) -> anyhow::Result<User> {
    if let Ok(id) = Uuid::parse_str(who) {
        return admin.user(id).await.map_err(|e| anyhow::anyhow!("{e}"));
    }
    let phone = Msisdn::parse(who).map_err(|e| anyhow::anyhow!("{who:?} is neither a user id nor a phone: {e}"))?;
    match admin.accounts.find_by_phone(&phone).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(anyhow::anyhow!("{}: no user with this phone number", phone.as_e164())),
        Err(e) => Err(anyhow::anyhow!("{}: {e}", phone.as_e164())),
    }
}

fn show(admin: &Admin, u: &User) {
    let status = admin.status_of(u);
    println!("id:         {}", u.id);
    println!("phone:      {}", u.phone_number.as_e164());
    println!("name:       {}", u.full_name);
    println!("role:       {}", u.role);
    println!("approval:   {}", u.approval_status);
    println!("status:     {status}");
    println!(
        "quota:      {:.2} GiB purchased, {:.2} GiB used",
        u.quota_purchased_bytes as f64 / GIB as f64,
        u.quota_used_bytes as f64 / GIB as f64
    );
    println!("expires:    {}", u.quota_expiry_date.map(|d| d.to_rfc3339()).unwrap_or_else(|| "never".into()));
    if u.is_blocked {
        println!("blocked:    {}", u.blocked_reason.as_deref().unwrap_or(""));
    }
}

fn report(admin: &Admin, what: &str, before: &User, c: &Changed) {
    if c.replayed {
        println!("{what}: already done with this key; nothing changed");
    } else if !c.changed {
        println!("{what}: nothing to change");
    } else {
        let (a, b) = (admin.status_of(before), admin.status_of(&c.user));
        println!("{what}: done");
        if a != b {
            println!("status:     {a} -> {b}");
        }
    }
    show(admin, &c.user);
}

pub async fn run(cmd: Lifecycle, settings: Settings) -> anyhow::Result<()> {
    let tz = settings.timezone;
    let app = App::connect(settings)?;
    app.runtime.reload().await.context("database unavailable")?;
    let admin: Admin = app.admin();
    let actor = Actor::cli();
    let err = |e: crate::admin::AdminError| anyhow::anyhow!("{e}");
    let what = cmd.name();
    let before = find(&admin, cmd.user()).await?;
    let id = before.id;
    let changed = match cmd {
        Lifecycle::Show { .. } => {
            show(&admin, &before);
            return Ok(());
        }
        Lifecycle::Approve { .. } => admin.approve(&actor, id).await.map_err(err)?,
        Lifecycle::Reject { reason, .. } => admin.reject(&actor, id, &reason).await.map_err(err)?,
        Lifecycle::Block { reason, .. } => admin.block(&actor, id, &reason).await.map_err(err)?,
        Lifecycle::Unblock { .. } => admin.unblock(&actor, id).await.map_err(err)?,
        Lifecycle::Grant { gib, reason, key, .. } => {
            if !gib.is_finite() || gib.abs() > 1_048_576.0 {
                bail!("--gib must be a number of GiB up to 1048576");
            }
            let bytes = (gib * GIB as f64).round() as i64;
            admin.adjust_quota(&actor, id, bytes, &reason, key.as_deref()).await.map_err(err)?
        }
        Lifecycle::Expiry { extend_days, until, .. } => {
            let e = match (extend_days, until) {
                (Some(d), None) => Expiry::Extend(d),
                (None, Some(s)) => {
                    let date = NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                        .map_err(|_| anyhow::anyhow!("--until must be YYYY-MM-DD"))?;
                    Expiry::Set(
                        crate::accounts::create::expiry_from_date(date, tz)
                            .context("--until is not a valid local date")?,
                    )
                }
                _ => bail!("give --extend-days N or --until YYYY-MM-DD"),
            };
            admin.set_expiry(&actor, id, e, None).await.map_err(err)?
        }
        Lifecycle::Role { role, password_stdin, .. } => {
            let role: Role = role
                .parse()
                .map_err(|_| anyhow::anyhow!("--role must be one of user, komandan, admin, super_admin"))?;
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).context("cannot read the password")?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned()).filter(|p| !p.is_empty())
            } else {
                None
            };
            admin.set_role(&actor, id, role, password).await.map_err(err)?
        }
    };
    report(&admin, what, &before, &changed);
    Ok(())
}
