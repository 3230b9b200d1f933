//! The menus the simulator serves: their paths, key attributes, defaults and whether rows may
//! be added.

/// Static description of a generic menu.
pub struct MenuSpec {
    pub path: &'static str,
    /// Attributes with a hash index (lookups by them are not scans).
    pub indexed: &'static [&'static str],
    pub settable: &'static [&'static str],
    pub required: &'static [&'static str],
    pub defaults: &'static [(&'static str, &'static str)],
    /// Attributes whose combination must be unique, and the trap message when it is not.
    pub unique: Option<(&'static [&'static str], &'static str)>,
    /// Commands besides print/add/set/remove/enable/disable/comment.
    pub extra: &'static [&'static str],
    pub can_add: bool,
}

pub const IP_BINDING: &str = "/ip/hotspot/ip-binding";
pub const ADDRESS_LIST: &str = "/ip/firewall/address-list";
pub const HOTSPOT_USER: &str = "/ip/hotspot/user";
pub const USER_PROFILE: &str = "/ip/hotspot/user/profile";
pub const ACTIVE: &str = "/ip/hotspot/active";
pub const ARP: &str = "/ip/arp";
pub const DHCP_LEASE: &str = "/ip/dhcp-server/lease";
pub const DHCP_SERVER: &str = "/ip/dhcp-server";
pub const WALLED_GARDEN_IP: &str = "/ip/hotspot/walled-garden/ip";
pub const HOST: &str = "/ip/hotspot/host";
pub const HOTSPOT_SERVER: &str = "/ip/hotspot";
pub const WALLED_GARDEN: &str = "/ip/hotspot/walled-garden";
pub const FILTER: &str = "/ip/firewall/filter";
pub const NAT: &str = "/ip/firewall/nat";
pub const MANGLE: &str = "/ip/firewall/mangle";
pub const RAW: &str = "/ip/firewall/raw";

/// What a firewall rule menu takes (filter, nat, mangle, raw share the matchers).
const RULE_ATTRS: &[&str] = &[
    "chain",
    "action",
    "src-address",
    "dst-address",
    "src-address-list",
    "dst-address-list",
    "protocol",
    "dst-port",
    "in-interface",
    "out-interface",
    "jump-target",
    "new-packet-mark",
    "new-connection-mark",
    "packet-mark",
    "passthrough",
    "to-addresses",
    "to-ports",
    "hotspot",
    "comment",
    "disabled",
];

const fn rules(path: &'static str) -> MenuSpec {
    MenuSpec {
        path,
        indexed: &[],
        settable: RULE_ATTRS,
        required: &["chain"],
        defaults: &[("action", "accept"), ("disabled", "false"), ("dynamic", "false"), ("invalid", "false")],
        unique: None,
        extra: &[],
        can_add: true,
    }
}

pub const MENUS: &[MenuSpec] = &[
    MenuSpec {
        path: IP_BINDING,
        indexed: &["mac-address"],
        settable: &["mac-address", "address", "to-address", "server", "type", "comment", "disabled"],
        required: &[],
        defaults: &[("server", "all"), ("type", "regular"), ("disabled", "false")],
        unique: None,
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: ADDRESS_LIST,
        indexed: &["address"],
        settable: &["list", "address", "timeout", "comment", "disabled", "dynamic"],
        required: &["list", "address"],
        defaults: &[("disabled", "false"), ("dynamic", "false")],
        unique: Some((&["list", "address"], "failure: already have such entry")),
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: HOTSPOT_USER,
        indexed: &["name"],
        settable: &[
            "server",
            "name",
            "password",
            "otp-secret",
            "address",
            "mac-address",
            "profile",
            "routes",
            "email",
            "limit-uptime",
            "limit-bytes-in",
            "limit-bytes-out",
            "limit-bytes-total",
            "comment",
            "disabled",
        ],
        required: &["name"],
        defaults: &[
            ("server", "all"),
            ("profile", "default"),
            ("disabled", "false"),
            ("uptime", "0s"),
            ("bytes-in", "0"),
            ("bytes-out", "0"),
            ("packets-in", "0"),
            ("packets-out", "0"),
            ("dynamic", "false"),
            ("default", "false"),
        ],
        unique: Some((&["name"], "failure: already have user with this name")),
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: USER_PROFILE,
        indexed: &["name"],
        settable: &[
            "name",
            "rate-limit",
            "shared-users",
            "address-list",
            "address-pool",
            "session-timeout",
            "idle-timeout",
            "keepalive-timeout",
            "status-autorefresh",
            "add-mac-cookie",
            "mac-cookie-timeout",
            "parent-queue",
            "queue-type",
            "incoming-filter",
            "outgoing-filter",
            "on-login",
            "on-logout",
            "transparent-proxy",
            "open-status-page",
        ],
        required: &["name"],
        defaults: &[
            ("shared-users", "1"),
            ("idle-timeout", "none"),
            ("keepalive-timeout", "2m"),
            ("status-autorefresh", "1m"),
            ("add-mac-cookie", "true"),
            ("mac-cookie-timeout", "3d"),
            ("transparent-proxy", "false"),
            ("open-status-page", "always"),
            ("default", "false"),
        ],
        unique: Some((&["name"], "failure: already have profile with this name")),
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: ACTIVE,
        indexed: &["mac-address", "address"],
        settable: &[],
        required: &[],
        defaults: &[],
        unique: None,
        extra: &["login"],
        can_add: false,
    },
    MenuSpec {
        path: ARP,
        indexed: &["address"],
        settable: &["address", "mac-address", "interface", "published", "comment", "disabled"],
        required: &["address", "interface"],
        defaults: &[
            ("published", "false"),
            ("disabled", "false"),
            ("dynamic", "false"),
            ("dhcp", "false"),
            ("invalid", "false"),
            ("complete", "true"),
            ("status", "permanent"),
        ],
        unique: None,
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: DHCP_LEASE,
        indexed: &["address"],
        settable: &[
            "address",
            "mac-address",
            "client-id",
            "server",
            "lease-time",
            "block-access",
            "rate-limit",
            "address-lists",
            "comment",
            "disabled",
        ],
        required: &["address"],
        defaults: &[
            ("disabled", "false"),
            ("dynamic", "false"),
            ("blocked", "false"),
            ("radius", "false"),
            ("status", "waiting"),
            ("last-seen", "never"),
        ],
        unique: None,
        extra: &["make-static", "check-status"],
        can_add: true,
    },
    MenuSpec {
        path: WALLED_GARDEN_IP,
        indexed: &[],
        settable: &[
            "server",
            "src-address",
            "dst-address",
            "dst-host",
            "protocol",
            "dst-port",
            "src-address-list",
            "dst-address-list",
            "action",
            "comment",
            "disabled",
        ],
        required: &[],
        defaults: &[("action", "accept"), ("disabled", "false"), ("invalid", "false")],
        unique: None,
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: DHCP_SERVER,
        indexed: &["name"],
        settable: &["name", "interface", "address-pool", "lease-time", "disabled"],
        required: &["name", "interface"],
        defaults: &[
            ("lease-time", "30m"),
            ("address-pool", "static-only"),
            ("disabled", "false"),
            ("invalid", "false"),
        ],
        unique: Some((&["name"], "failure: server with such name already exists")),
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: HOTSPOT_SERVER,
        indexed: &["name"],
        settable: &["name", "interface", "address-pool", "profile", "addresses-per-mac", "idle-timeout", "disabled"],
        required: &["name", "interface"],
        defaults: &[("profile", "default"), ("address-pool", "none"), ("disabled", "false"), ("invalid", "false")],
        unique: Some((&["name"], "failure: server with such name already exists")),
        extra: &[],
        can_add: true,
    },
    MenuSpec {
        path: WALLED_GARDEN,
        indexed: &["dst-host"],
        settable: &["server", "src-address", "dst-host", "dst-port", "path", "method", "action", "comment", "disabled"],
        required: &[],
        defaults: &[("action", "allow"), ("disabled", "false"), ("dynamic", "false")],
        unique: None,
        extra: &[],
        can_add: true,
    },
    rules(FILTER),
    rules(NAT),
    rules(MANGLE),
    rules(RAW),
];

pub fn menu(path: &str) -> Option<&'static MenuSpec> {
    MENUS.iter().find(|m| m.path == path)
}
