//! A change to a site as an operator asks for it (parsed at the edge), applied over its current
//! settings — or over the defaults for a new one — and checked whole.

use crate::domain::Cidr;
use crate::domain::housekeeping::Housekeeping;
use crate::domain::policy::PerStatus;
use crate::domain::site::{ApiAddress, SiteName, SiteToken};

use super::store::{SiteRow, SiteSpec};
use crate::router::tls::Fingerprint;

/// Each field: `None` keeps it. Nullable fields take `Some(None)` to clear.
#[derive(Debug, Clone, Default)]
pub struct SitePatch {
    pub name: Option<SiteName>,
    /// Kept as typed until the TLS choice is known (the default port follows it).
    pub address: Option<String>,
    pub tls: Option<bool>,
    pub fingerprint: Option<Option<String>>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub hotspot_server: Option<String>,
    pub client_ranges: Option<Vec<Cidr>>,
    pub egress: Option<Vec<Cidr>>,
    pub token: Option<Option<SiteToken>>,
    pub lists: Option<Option<PerStatus>>,
    pub profiles: Option<Option<PerStatus>>,
    pub comment_prefix: Option<String>,
    pub max_in_flight: Option<i32>,
    pub enabled: Option<bool>,
    pub housekeeping: Option<Housekeeping>,
}

/// A change as typed (the API's body, the command line's flags), before it is parsed.
#[derive(Debug, Clone, Default)]
pub struct SiteInput {
    pub name: Option<String>,
    pub address: Option<String>,
    pub use_tls: Option<bool>,
    pub tls_fingerprint: Option<Option<String>>,
    pub api_user: Option<String>,
    pub password: Option<String>,
    pub hotspot_server: Option<String>,
    pub client_ranges: Option<Vec<String>>,
    pub egress_addresses: Option<Vec<String>>,
    pub site_token: Option<Option<String>>,
    pub status_lists: Option<Option<PerStatus>>,
    pub status_profiles: Option<Option<PerStatus>>,
    pub comment_prefix: Option<String>,
    pub max_in_flight: Option<i32>,
    pub is_enabled: Option<bool>,
    pub housekeeping: Option<Housekeeping>,
}

fn ranges(field: &'static str, v: Option<Vec<String>>) -> Result<Option<Vec<Cidr>>, Refusal> {
    v.map(|list| list.iter().map(|c| Cidr::parse(c).map_err(|e| refuse(field, format!("{c:?}: {e}")))).collect())
        .transpose()
}

impl SiteInput {
    /// Parsed into the site's types; the first field that does not parse is named.
    pub fn parse(self) -> Result<SitePatch, Refusal> {
        let fingerprint = match self.tls_fingerprint {
            Some(Some(f)) => Some(Some(
                Fingerprint::parse(&f)
                    .map(|p| hex::encode(p.0))
                    .ok_or_else(|| refuse("tls_fingerprint", "the certificate's SHA-256: 64 hex digits"))?,
            )),
            Some(None) => Some(None),
            None => None,
        };
        let token = match self.site_token {
            Some(Some(t)) => Some(Some(SiteToken::parse(&t).map_err(|e| refuse("site_token", e.to_string()))?)),
            Some(None) => Some(None),
            None => None,
        };
        Ok(SitePatch {
            name: self.name.as_deref().map(SiteName::parse).transpose().map_err(|e| refuse("name", e.to_string()))?,
            address: self.address,
            tls: self.use_tls,
            fingerprint,
            username: self.api_user,
            password: self.password,
            hotspot_server: self.hotspot_server,
            client_ranges: ranges("client_ranges", self.client_ranges)?,
            egress: ranges("egress_addresses", self.egress_addresses)?,
            token,
            lists: self.status_lists,
            profiles: self.status_profiles,
            comment_prefix: self.comment_prefix,
            max_in_flight: self.max_in_flight,
            enabled: self.is_enabled,
            housekeeping: self.housekeeping,
        })
    }
}

/// A field the patch cannot take, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub field: &'static str,
    pub why: String,
}

fn refuse(field: &'static str, why: impl Into<String>) -> Refusal {
    Refusal { field, why: why.into() }
}

impl SitePatch {
    /// The fields `HOTSPOT_ROUTER_*` describes for the environment's site, that this patch sets.
    pub fn env_fields(&self) -> Vec<&'static str> {
        let set = [
            ("name", self.name.is_some()),
            ("address", self.address.is_some()),
            ("use_tls", self.tls.is_some()),
            ("tls_fingerprint", self.fingerprint.is_some()),
            ("api_user", self.username.is_some()),
            ("password", self.password.is_some()),
            ("hotspot_server", self.hotspot_server.is_some()),
            ("client_ranges", self.client_ranges.is_some()),
            ("egress_addresses", self.egress.is_some()),
            ("status_lists", self.lists.is_some()),
            ("status_profiles", self.profiles.is_some()),
            ("comment_prefix", self.comment_prefix.is_some()),
            ("max_in_flight", self.max_in_flight.is_some()),
        ];
        set.into_iter().filter(|(_, s)| *s).map(|(f, _)| f).collect()
    }

    /// The settings after the patch: over `base` (a site's now), or over the defaults for a new
    /// site, which must then name itself and its address.
    pub fn apply(self, base: Option<SiteSpec>, defaults: &SiteDefaults) -> Result<SiteSpec, Refusal> {
        let base = match base {
            Some(b) => b,
            None => SiteSpec {
                name: self.name.clone().ok_or_else(|| refuse("name", "a new site needs a name"))?,
                address: ApiAddress { host: String::new(), port: 0 },
                tls: false,
                fingerprint: None,
                username: "admin".into(),
                hotspot_server: "all".into(),
                client_ranges: defaults.client_ranges.clone(),
                egress: Vec::new(),
                token: None,
                lists: None,
                profiles: None,
                comment_prefix: "hotspot:".into(),
                max_in_flight: 64,
                enabled: true,
                housekeeping: Housekeeping::default(),
            },
        };
        let tls = self.tls.unwrap_or(base.tls);
        let address = match &self.address {
            Some(a) => ApiAddress::parse(a, tls).map_err(|e| refuse("address", e.to_string()))?,
            None if base.address.host.is_empty() => {
                return Err(refuse("address", "a new site needs its router's API address"));
            }
            None => base.address.clone(),
        };
        let spec = SiteSpec {
            name: self.name.unwrap_or(base.name),
            address,
            tls,
            fingerprint: self.fingerprint.unwrap_or(base.fingerprint),
            username: self.username.unwrap_or(base.username),
            hotspot_server: self.hotspot_server.unwrap_or(base.hotspot_server),
            client_ranges: self.client_ranges.unwrap_or(base.client_ranges),
            egress: self.egress.unwrap_or(base.egress),
            token: self.token.unwrap_or(base.token),
            lists: self.lists.unwrap_or(base.lists),
            profiles: self.profiles.unwrap_or(base.profiles),
            comment_prefix: self.comment_prefix.unwrap_or(base.comment_prefix),
            max_in_flight: self.max_in_flight.unwrap_or(base.max_in_flight),
            enabled: self.enabled.unwrap_or(base.enabled),
            housekeeping: self.housekeeping.unwrap_or(base.housekeeping),
        };
        check(&spec, defaults)?;
        Ok(spec)
    }
}

/// What a new site starts from.
#[derive(Debug, Clone, Default)]
pub struct SiteDefaults {
    pub client_ranges: Vec<Cidr>,
    /// The backend's status lists, a site's when it names none of its own.
    pub status_lists: Option<PerStatus>,
}

fn one_word(field: &'static str, v: &str, max: usize) -> Result<(), Refusal> {
    let ok = !v.is_empty() && v.len() <= max && !v.contains(char::is_whitespace) && !v.contains(',');
    if ok { Ok(()) } else { Err(refuse(field, format!("1 to {max} characters, no spaces or commas"))) }
}

fn check(s: &SiteSpec, defaults: &SiteDefaults) -> Result<(), Refusal> {
    let lists = s.lists.as_ref().or(defaults.status_lists.as_ref());
    if let (Some(l), Some(name)) = (lists, &s.housekeeping.unauthorized_list) {
        let status = [&l.active, &l.fup, &l.habis, &l.expired, &l.blocked, &l.inactive, &l.unlimited];
        if status.contains(&name) {
            return Err(refuse("housekeeping", "unauthorized_list: a status list's name; choose another"));
        }
    }
    one_word("api_user", &s.username, 64)?;
    one_word("hotspot_server", &s.hotspot_server, 64)?;
    if !(3..=32).contains(&s.comment_prefix.len()) {
        return Err(refuse("comment_prefix", "3 to 32 characters (it marks the entries the backend owns)"));
    }
    if !(1..=1024).contains(&s.max_in_flight) {
        return Err(refuse("max_in_flight", "from 1 to 1024"));
    }
    s.housekeeping.check().map_err(|why| refuse("housekeeping", why))?;
    if s.client_ranges.is_empty() {
        return Err(refuse("client_ranges", "at least one range the router hands to phones"));
    }
    if let Some(lists) = &s.lists {
        let mut names: Vec<&String> =
            vec![&lists.active, &lists.fup, &lists.habis, &lists.expired, &lists.blocked, &lists.inactive];
        for n in &names {
            one_word("status_lists", n, 64)?;
        }
        one_word("status_lists", &lists.unlimited, 64)?;
        names.sort();
        names.dedup();
        if names.len() != 6 {
            return Err(refuse("status_lists", "the six status lists need six different names"));
        }
    }
    if let Some(p) = &s.profiles {
        for n in [&p.active, &p.fup, &p.habis, &p.expired, &p.blocked, &p.inactive, &p.unlimited] {
            if n.len() > 64 || n.contains(',') {
                return Err(refuse("status_profiles", "names of at most 64 characters, no commas"));
            }
        }
    }
    Ok(())
}

/// A kept row as the settings a patch applies over.
pub fn spec_of(r: &SiteRow) -> Result<SiteSpec, Refusal> {
    let stored = |field| move |_| refuse(field, "the stored value does not parse");
    let per_status =
        |v: &Option<serde_json::Value>| v.clone().and_then(|v| serde_json::from_value::<PerStatus>(v).ok());
    Ok(SiteSpec {
        name: SiteName::parse(&r.name).map_err(stored("name"))?,
        address: ApiAddress { host: r.host.clone(), port: u16::try_from(r.port).unwrap_or(8728) },
        tls: r.use_tls,
        fingerprint: r.tls_fingerprint.clone(),
        username: r.username.clone(),
        hotspot_server: r.hotspot_server.clone(),
        client_ranges: super::cidrs(&r.client_ranges),
        egress: super::cidrs(&r.egress_addresses),
        token: r.site_token.as_deref().map(SiteToken::parse).transpose().map_err(stored("site_token"))?,
        lists: per_status(&r.status_lists),
        profiles: per_status(&r.status_profiles),
        comment_prefix: r.comment_prefix.clone(),
        max_in_flight: r.max_in_flight,
        enabled: r.is_enabled,
        housekeeping: Housekeeping::from_stored(&r.housekeeping),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> SiteDefaults {
        SiteDefaults { client_ranges: vec![Cidr::parse("10.5.50.0/24").unwrap()], status_lists: None }
    }

    #[test]
    fn a_new_site_needs_a_name_and_an_address_and_is_checked_whole() {
        let none = SitePatch::default();
        assert_eq!(none.apply(None, &defaults()).unwrap_err().field, "name");
        let named = SitePatch { name: Some(SiteName::parse("gedung-b").unwrap()), ..Default::default() };
        assert_eq!(named.clone().apply(None, &defaults()).unwrap_err().field, "address");
        let tls = SitePatch { address: Some("10.9.0.2".into()), tls: Some(true), ..named.clone() };
        let s = tls.apply(None, &defaults()).unwrap();
        assert_eq!((s.address.port, s.client_ranges.len(), s.max_in_flight), (8729, 1, 64));
        let same_lists = SitePatch {
            address: Some("10.9.0.2".into()),
            lists: Some(Some(PerStatus { fup: "hs_active".into(), ..PerStatus::standard_lists() })),
            ..named.clone()
        };
        assert_eq!(same_lists.apply(None, &defaults()).unwrap_err().field, "status_lists");
        let budget = SitePatch { address: Some("r".into()), max_in_flight: Some(0), ..named };
        assert_eq!(budget.apply(None, &defaults()).unwrap_err().field, "max_in_flight");
    }

    #[test]
    fn a_patch_keeps_what_it_does_not_name_and_says_what_the_environment_owns() {
        let base = SitePatch {
            name: Some(SiteName::parse("a").unwrap()),
            address: Some("10.0.0.1:18728".into()),
            ..Default::default()
        }
        .apply(None, &defaults())
        .unwrap();
        let p = SitePatch { token: Some(Some(SiteToken::parse("Gedung-A").unwrap())), ..Default::default() };
        assert!(p.env_fields().is_empty());
        let s = p.apply(Some(base.clone()), &defaults()).unwrap();
        assert_eq!((s.address.port, s.token.unwrap().as_str()), (18728, "gedung-a"));
        let p = SitePatch { password: Some("x".into()), comment_prefix: Some("hs:".into()), ..Default::default() };
        assert_eq!(p.env_fields(), vec!["password", "comment_prefix"]);
    }
}
