//! `hotspot user add|list`.

use std::io::BufRead;

use anyhow::{Context, bail};
use chrono::NaiveDate;

use super::UserAdd;
use crate::accounts::{self, CreateUser};
use crate::app::App;
use crate::config::Settings;
use crate::domain::{ApprovalStatus, GIB, Msisdn, Role};

pub(super) async fn user_add(args: UserAdd, settings: Settings) -> anyhow::Result<()> {
    let phone = Msisdn::parse(&args.phone).map_err(|e| anyhow::anyhow!("--phone: {e}"))?;
    let role: Role =
        args.role.parse().map_err(|_| anyhow::anyhow!("--role must be one of user, komandan, admin, super_admin"))?;
    let expires_at = match &args.expires {
        None => None,
        Some(s) => {
            let date = NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| anyhow::anyhow!("--expires must be YYYY-MM-DD"))?;
            Some(
                accounts::create::expiry_from_date(date, settings.timezone)
                    .context("--expires is not a valid local date")?,
            )
        }
    };
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("cannot read the password from standard input")?;
        let p = line.trim_end_matches(['\r', '\n']).to_owned();
        if p.is_empty() {
            bail!("--password-stdin: standard input held no password");
        }
        Some(p)
    } else {
        None
    };
    if role.is_admin() && password.is_none() {
        bail!("--role {role} needs --password-stdin");
    }
    let app = App::connect(settings)?;
    let input = CreateUser {
        phone,
        full_name: args.name,
        role,
        approval: ApprovalStatus::Approved,
        password,
        quota_bytes: i64::from(args.quota_gib) * GIB,
        expires_at,
        unlimited: args.unlimited,
        created_by: None,
        origin: "cli",
        profile: Default::default(),
    };
    // Argon2 hashing and the insert both block: run them on the blocking pool.
    let user = app
        .db
        .run(move |conn| Ok(accounts::create::create_user(conn, input)))
        .await
        .context("database unavailable")?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created user {} ({}, {})", user.id, user.phone_number.as_e164(), user.role);
    Ok(())
}

pub(super) async fn user_list(limit: i64, settings: Settings) -> anyhow::Result<()> {
    let app = App::connect(settings)?;
    let rows = app.db.run(move |conn| accounts::list(conn, limit)).await.context("cannot list users")?;
    println!(
        "{:<36}  {:<16}  {:<24}  {:<11}  {:<8}  {:>10}  {:>10}",
        "id", "phone", "name", "role", "approval", "quota_gib", "used_gib"
    );
    for u in rows {
        println!(
            "{:<36}  {:<16}  {:<24}  {:<11}  {:<8}  {:>10.2}  {:>10.2}",
            u.id,
            u.phone_number.as_e164(),
            truncate(&u.full_name, 24),
            u.role,
            u.approval_status,
            u.quota_purchased_bytes as f64 / GIB as f64,
            u.quota_used_bytes as f64 / GIB as f64
        );
    }
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(std::iter::once('…')).collect() }
}
