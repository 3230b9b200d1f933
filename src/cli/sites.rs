//! `hotspot router add|list|set|test|disable|enable`: the sites from the server's command line,
//! with a super admin's rights (audited as `cli`). A password is read from standard input,
//! never from a flag (flags show in the process list and the shell's history).

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};

use crate::admin::Actor;
use crate::admin::sites::SiteAdminError;
use crate::app::App;
use crate::config::Settings;
use crate::domain::housekeeping::Housekeeping;
use crate::sites::Site;
use crate::sites::patch::{Refusal, SiteInput};

#[derive(Debug, Subcommand)]
pub enum RouterCommand {
    /// Add a site: a router with its address, credentials and networks.
    Add(SiteArgs),
    /// List the sites and what was last seen of each router.
    List,
    /// Change a site (only the options given).
    Set {
        /// The site's id or name.
        site: String,
        #[command(flatten)]
        args: SiteArgs,
    },
    /// Connect to a site's router and report its identity, version and hotspot servers.
    Test { site: String },
    /// Stop syncing and signing in at a site.
    Disable { site: String },
    /// Start again.
    Enable { site: String },
    /// Put a site in RADIUS mode (or back): its mode, the address its RADIUS packets come
    /// from, the port its router takes Disconnect/CoA on; the shared secret from standard input.
    Radius {
        site: String,
        /// api, radius or both.
        #[arg(long)]
        mode: String,
        /// The router's address as FreeRADIUS sees its packets (and where Disconnects go).
        #[arg(long)]
        address: Option<String>,
        #[arg(long, default_value_t = 3799)]
        coa_port: u16,
        /// Read the shared secret from the first line of standard input (kept otherwise).
        #[arg(long)]
        secret_stdin: bool,
    },
    /// Print FreeRADIUS's clients.conf for the sites in RADIUS mode (secrets included: write it
    /// where only FreeRADIUS reads it).
    RadiusClients,
}

#[derive(Debug, Args)]
pub struct SiteArgs {
    #[arg(long)]
    pub name: Option<String>,
    /// The router API's host or host:port.
    #[arg(long)]
    pub address: Option<String>,
    #[arg(long)]
    pub tls: Option<bool>,
    /// The router certificate's SHA-256 (64 hex digits); `none` clears it.
    #[arg(long)]
    pub tls_fingerprint: Option<String>,
    #[arg(long)]
    pub api_user: Option<String>,
    /// Read the router password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
    #[arg(long)]
    pub hotspot_server: Option<String>,
    /// Comma-separated CIDRs the router hands to phones.
    #[arg(long, value_delimiter = ',')]
    pub client_ranges: Option<Vec<String>>,
    /// Comma-separated CIDRs this site's traffic reaches the backend from.
    #[arg(long, value_delimiter = ',')]
    pub egress: Option<Vec<String>>,
    /// The word the router's login page passes; `none` clears it.
    #[arg(long)]
    pub token: Option<String>,
    #[arg(long)]
    pub comment_prefix: Option<String>,
    /// Router commands in flight at once.
    #[arg(long)]
    pub max_in_flight: Option<i32>,
    /// Housekeeping: the DHCP server whose static leases pin signed-in devices' addresses;
    /// `none` turns it off.
    #[arg(long)]
    pub dhcp_lease_server: Option<String>,
    /// Housekeeping: the address list of hosts that have not signed in; `none` turns it off.
    #[arg(long)]
    pub unauthorized_list: Option<String>,
    /// Housekeeping: minutes on the hotspot before a host goes on that list.
    #[arg(long)]
    pub unauthorized_after: Option<u32>,
    /// Housekeeping: remove hotspot hosts idle this many minutes with an address outside the
    /// client ranges; `none` turns it off.
    #[arg(long)]
    pub stale_host_idle: Option<String>,
}

/// The site's housekeeping with the flags given over `base`; `None` when no flag is given.
fn housekeeping(a: &SiteArgs, base: Housekeeping) -> anyhow::Result<Option<Housekeeping>> {
    if a.dhcp_lease_server.is_none()
        && a.unauthorized_list.is_none()
        && a.unauthorized_after.is_none()
        && a.stale_host_idle.is_none()
    {
        return Ok(None);
    }
    let mut h = base;
    if let Some(v) = clearable(a.dhcp_lease_server.clone()) {
        h.dhcp_lease_server = v;
    }
    if let Some(v) = clearable(a.unauthorized_list.clone()) {
        h.unauthorized_list = v;
    }
    if let Some(m) = a.unauthorized_after {
        h.unauthorized_after_mins = m;
    }
    if let Some(v) = clearable(a.stale_host_idle.clone()) {
        h.stale_host_idle_mins =
            v.map(|m| m.parse::<u32>().context("--stale-host-idle: minutes, or none")).transpose()?;
    }
    Ok(Some(h))
}

/// A refused field as the flag that set it.
fn flag(r: Refusal) -> anyhow::Error {
    let name = match r.field {
        "egress_addresses" => "egress",
        "site_token" => "token",
        "use_tls" => "tls",
        f => f,
    };
    anyhow::anyhow!("--{}: {}", name.replace('_', "-"), r.why)
}

fn clearable(v: Option<String>) -> Option<Option<String>> {
    v.map(|s| if s.eq_ignore_ascii_case("none") { None } else { Some(s) })
}

fn input(a: SiteArgs, base: Housekeeping) -> anyhow::Result<SiteInput> {
    let housekeeping = housekeeping(&a, base)?;
    let password = if a.password_stdin { Some(first_stdin_line()?) } else { None };
    Ok(SiteInput {
        name: a.name,
        address: a.address,
        use_tls: a.tls,
        tls_fingerprint: clearable(a.tls_fingerprint),
        api_user: a.api_user,
        password,
        hotspot_server: a.hotspot_server,
        client_ranges: a.client_ranges,
        egress_addresses: a.egress,
        site_token: clearable(a.token),
        comment_prefix: a.comment_prefix,
        max_in_flight: a.max_in_flight,
        housekeeping,
        ..Default::default()
    })
}

fn line(s: &Site) -> String {
    let state = match (s.is_enabled, s.online) {
        (false, _) => "disabled",
        (true, Some(true)) => "online",
        (true, Some(false)) => "offline",
        (true, None) => "never contacted",
    };
    format!(
        "{:>3}  {:<16} {}:{}{}  {}  ranges {}  egress {}  {}{}",
        s.id,
        s.name,
        s.host,
        s.port,
        if s.use_tls { " (tls)" } else { "" },
        state,
        s.client_ranges.join(","),
        if s.egress_addresses.is_empty() { "-".into() } else { s.egress_addresses.join(",") },
        s.ros_version.as_deref().map(|v| format!("RouterOS {v}")).unwrap_or_default(),
        if s.from_env { "  [HOTSPOT_ROUTER_*]" } else { "" },
    )
}

async fn find(app: &App, site: &str) -> anyhow::Result<Site> {
    let sites = app.admin().sites().await?;
    let id = site.parse::<i32>().ok();
    sites
        .into_iter()
        .find(|s| Some(s.id) == id || s.name == site)
        .with_context(|| format!("no site {site:?} (hotspot router list)"))
}

pub async fn run(cmd: RouterCommand, settings: Settings) -> anyhow::Result<()> {
    let app = App::connect(settings)?;
    let (admin, actor) = (app.admin(), Actor::cli());
    let fail = |e: SiteAdminError| match e {
        SiteAdminError::Invalid(r) => flag(r),
        other => anyhow::anyhow!("{other}"),
    };
    match cmd {
        RouterCommand::Add(a) => {
            let patch = input(a, Housekeeping::default())?.parse().map_err(flag)?;
            println!("{}", line(&admin.add_site(&actor, patch).await.map_err(fail)?));
        }
        RouterCommand::List => {
            for s in admin.sites().await.map_err(fail)? {
                println!("{}", line(&s));
            }
        }
        RouterCommand::Set { site, args } => {
            let found = find(&app, &site).await?;
            let (id, base) = (found.id, found.housekeeping);
            let patch = input(args, base)?.parse().map_err(flag)?;
            println!("{}", line(&admin.update_site(&actor, id, patch).await.map_err(fail)?));
        }
        RouterCommand::Test { site } => {
            let s = find(&app, &site).await?;
            let t = admin.test_site(&actor, s.id).await.map_err(fail)?;
            if !t.ok {
                bail!("{}: {} ({} ms)", s.name, t.error.unwrap_or_default(), t.elapsed_ms);
            }
            println!(
                "{}: identity {}, RouterOS {}, board {}, hotspot servers [{}] ({} ms)",
                s.name,
                t.identity.unwrap_or_default(),
                t.ros_version.unwrap_or_default(),
                t.board.unwrap_or_default(),
                t.hotspot_servers.join(", "),
                t.elapsed_ms
            );
        }
        RouterCommand::Radius { site, mode, address, coa_port, secret_stdin } => {
            let id = find(&app, &site).await?.id;
            let mode = mode.parse().map_err(|_| anyhow::anyhow!("--mode: api, radius or both"))?;
            let address = address
                .map(|a| crate::domain::ClientIp::parse(&a))
                .transpose()
                .map_err(|e| anyhow::anyhow!("--address: {e}"))?;
            let secret = if secret_stdin { Some(first_stdin_line()?) } else { None };
            let spec = crate::sites::radius::RadiusSpec { mode, address, coa_port };
            println!("{}", line(&admin.set_site_radius(&actor, id, spec, secret).await.map_err(fail)?));
        }
        RouterCommand::RadiusClients => {
            let (conf, skipped) = app.sites().radius_clients().await?;
            for name in skipped {
                eprintln!("{name}: its RADIUS secret does not open with HOTSPOT_SITE_KEY; left out");
            }
            print!("{conf}");
        }
        RouterCommand::Disable { site } => set_enabled(&app, &actor, &site, false).await?,
        RouterCommand::Enable { site } => set_enabled(&app, &actor, &site, true).await?,
    }
    Ok(())
}

async fn set_enabled(app: &App, actor: &Actor, site: &str, enabled: bool) -> anyhow::Result<()> {
    let id = find(app, site).await?.id;
    let patch = crate::sites::patch::SitePatch { enabled: Some(enabled), ..Default::default() };
    let s = app.admin().update_site(actor, id, patch).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", line(&s));
    Ok(())
}

fn first_stdin_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("cannot read a line from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
