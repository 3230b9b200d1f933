//! The layout keeps: imports point down the floors only, flow rooms never import each other, no
//! two modules of a room import each other in a circle, every table is written by its owner
//! (the fused statement named in docs/architecture.md aside), no module grows past ~400
//! lines before its tests and no function past 80. Read from the source text, as the route
//! table is checked against the OpenAPI document.

mod check;

use std::path::Path;

use check::{Floor, Layout, Source, Violation};

/// Every top-level module of `src/` and its floor.
const FLOORS: &[(&str, Floor)] = &[
    ("domain", Floor::Domain),
    ("db", Floor::Infra),
    ("kv", Floor::Infra),
    ("config", Floor::Infra),
    ("metrics", Floor::Infra),
    ("crypto", Floor::Infra),
    ("telemetry", Floor::Infra),
    ("shutdown", Floor::Infra),
    ("router", Floor::Infra),
    ("whatsapp", Floor::Infra),
    ("midtrans", Floor::Infra),
    ("telegram", Floor::Infra),
    ("pdf", Floor::Infra),
    ("sim", Floor::Infra),
    ("accounts", Floor::Core),
    ("devices", Floor::Core),
    ("auth", Floor::Core),
    ("audit", Floor::Core),
    ("settings", Floor::Core),
    ("notify", Floor::Core),
    ("sites", Floor::Core),
    ("captive", Floor::Flow),
    ("admin", Floor::Flow),
    ("billing", Floor::Flow),
    ("sync", Floor::Flow),
    ("radius", Floor::Flow),
    ("http", Floor::Door),
    ("worker", Floor::Door),
    ("app", Floor::Assembler),
    ("bench", Floor::Command),
    ("cli", Floor::Command),
    ("lib", Floor::Command),
    ("main", Floor::Command),
];

/// Each table and the room that writes it.
const OWNERS: &[(&str, &str)] = &[
    ("users", "accounts"),
    ("update_submissions", "accounts"),
    ("quota_ledger", "accounts"),
    ("login_history", "accounts"),
    ("usage_daily", "accounts"),
    ("usage_day_totals", "accounts"),
    ("user_devices", "devices"),
    ("refresh_tokens", "auth"),
    ("audit_log", "audit"),
    ("runtime_settings", "settings"),
    ("promos", "settings"),
    ("quota_requests", "accounts"),
    ("quota_debts", "accounts"),
    ("debt_settlements", "accounts"),
    ("notification_recipients", "notify"),
    ("telegram_links", "notify"),
    ("message_log", "notify"),
    ("routers", "sites"),
    ("sync_runs", "sites"),
    ("device_counters", "sync"),
    ("radius_sessions", "radius"),
    ("packages", "billing"),
    ("transactions", "billing"),
    ("transaction_events", "billing"),
    ("transaction_charges", "billing"),
    ("voucher_batches", "billing"),
    ("vouchers", "billing"),
];

/// The fused one-statement write (docs/architecture.md): a device sign-in's record.
const FUSED: &[(&str, &[&str])] =
    &[("captive/record.rs", &["user_devices", "login_history", "refresh_tokens", "users"])];

/// Programs that own no table and are no room: benchmarks seed their scratch databases, the
/// simulators keep their own state.
const NOT_ROOMS: &[&str] = &["bench", "sim"];

fn layout() -> Layout {
    Layout { floors: FLOORS, owners: OWNERS, fused: FUSED, not_rooms: NOT_ROOMS, max_lines: 400, max_fn_lines: 80 }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn report(what: &str, v: &[Violation]) -> String {
    let lines: Vec<String> = v.iter().map(|v| format!("  {v}")).collect();
    format!("{what}: {} violation(s)\n{}", v.len(), lines.join("\n"))
}

#[test]
fn the_floors_point_down_and_each_table_has_one_writer() {
    let sources = Source::load(&root().join("src"));
    assert!(sources.len() > 100, "read the crate's sources ({} files)", sources.len());
    let v = layout().check(&sources);
    assert!(v.is_empty(), "{}", report("src/", &v));
}

#[test]
fn the_jobs_crate_has_no_circle_and_no_long_module() {
    let sources = Source::load(&root().join("jobs/src"));
    let jobs = Layout { floors: &[], owners: &[], fused: &[], not_rooms: &[], max_lines: 400, max_fn_lines: 80 };
    let v = jobs.check(&sources);
    assert!(v.is_empty(), "{}", report("jobs/src/", &v));
}

/// The checker itself: each kind of violation in a small made-up crate is found, and a crate
/// that keeps the rules has none.
#[test]
fn the_checker_finds_up_imports_sibling_imports_circles_and_foreign_writes() {
    let floors: &[(&str, Floor)] = &[
        ("domain", Floor::Domain),
        ("db", Floor::Infra),
        ("accounts", Floor::Core),
        ("audit", Floor::Core),
        ("admin", Floor::Flow),
        ("billing", Floor::Flow),
        ("http", Floor::Door),
    ];
    let owners: &[(&str, &str)] = &[("users", "accounts"), ("packages", "billing")];
    let layout = Layout { floors, owners, fused: &[], not_rooms: &[], max_lines: 20, max_fn_lines: 5 };
    let src = |path: &str, text: &str| Source { path: path.to_owned(), text: text.to_owned() };
    let good = vec![
        src("domain/mod.rs", "pub struct Phone;\n"),
        src("db/mod.rs", "use crate::domain::Phone;\n"),
        src(
            "accounts/mod.rs",
            "use crate::db;\nuse crate::audit::Actor;\nfn w() { diesel::update(users::table.find(1)); }\n",
        ),
        src("audit/mod.rs", "pub struct Actor;\n"),
        src("admin/mod.rs", "mod a;\nmod b;\nuse crate::accounts;\n"),
        src("admin/a.rs", "use super::b::Thing;\n"),
        src("admin/b.rs", "use super::Admin;\npub struct Thing;\n"),
        src(
            "billing/mod.rs",
            "const Q: &str = \"INSERT INTO packages (name) VALUES ($1) ON CONFLICT DO UPDATE SET name = 1\";\n",
        ),
        src("http/mod.rs", "use crate::{admin, billing};\n"),
    ];
    assert_eq!(layout.check(&good), vec![], "a crate that keeps the rules");

    let with = |extra: Vec<Source>| {
        let mut s: Vec<Source> = good.iter().filter(|g| !extra.iter().any(|e| e.path == g.path)).cloned().collect();
        s.extend(extra);
        layout.check(&s).into_iter().map(|v| v.kind).collect::<Vec<_>>()
    };
    use check::Kind;
    // An import up a floor: a core room reaching a flow room, the domain reaching a flow room
    // inline. (Reaching a room that imports it back is a circle besides.)
    assert_eq!(with(vec![src("audit/mod.rs", "use crate::billing::Sale;\n")]), vec![Kind::UpImport]);
    assert_eq!(with(vec![src("domain/mod.rs", "fn f() { crate::billing::sell(); }\n")]), vec![Kind::UpImport]);
    assert_eq!(
        with(vec![src("db/mod.rs", "use crate::{domain::Phone, admin};\n")]),
        vec![Kind::UpImport, Kind::Circle]
    );
    // A flow room reaching its sibling, in a group import too.
    assert_eq!(with(vec![src("admin/b.rs", "use crate::{billing::Sale, db};\n")]), vec![Kind::SiblingImport]);
    // Two core rooms importing each other.
    let circle = with(vec![src("audit/mod.rs", "use crate::accounts::User;\n")]);
    assert_eq!(circle, vec![Kind::Circle]);
    // Two modules of one room importing each other.
    assert_eq!(with(vec![src("admin/b.rs", "use super::a::Other;\n")]), vec![Kind::Circle]);
    // A table written outside its owner, by the DSL or by SQL.
    assert_eq!(
        with(vec![src("admin/a.rs", "fn f() { diesel::insert_into(\n  schema::users::table) }\n")]),
        vec![Kind::ForeignWrite]
    );
    assert_eq!(
        with(vec![src("accounts/mod.rs", "const S: &str = \"DELETE FROM packages WHERE 1\";\n")]),
        vec![Kind::ForeignWrite]
    );
    // A module too long, a function too long (tests below `#[cfg(test)]` do not count).
    let long = "fn a() {}\n".repeat(21);
    assert_eq!(with(vec![src("db/mod.rs", &long)]), vec![Kind::LongModule]);
    let tested = format!("fn a() {{}}\n#[cfg(test)]\nmod tests {{\n{long}}}\n");
    assert_eq!(with(vec![src("db/mod.rs", &tested)]), vec![]);
    // Code after the tests still counts.
    let after = "#[cfg(test)]\nmod tests {\n    fn t() {}\n}\nfn w() { diesel::update(users::table) }\n";
    assert_eq!(with(vec![src("billing/mod.rs", after)]), vec![Kind::ForeignWrite]);
    let one_line = "#[cfg(test)]\nuse std::fmt;\nuse crate::billing::Sale;\n";
    assert_eq!(with(vec![src("audit/mod.rs", one_line)]), vec![Kind::UpImport]);
    let long_fn = format!("fn a() {{\n{}}}\n", "    x();\n".repeat(6));
    assert_eq!(with(vec![src("db/mod.rs", &long_fn)]), vec![Kind::LongFunction]);
}
