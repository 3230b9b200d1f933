//! Migrations: the diesel schema matches the migrated database column for column, and every
//! migration's down.sql reverts cleanly.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel_migrations::MigrationHarness;

use crate::common::TestDb;

#[derive(QueryableByName, Debug)]
struct Col {
    #[diesel(sql_type = diesel::sql_types::Text)]
    table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    column_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    udt_name: String,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    nullable: bool,
}

fn database_columns(conn: &mut PgConnection) -> BTreeMap<String, Vec<(String, String, bool)>> {
    let cols: Vec<Col> = diesel::sql_query(
        "SELECT table_name::text, column_name::text, udt_name::text, (is_nullable = 'YES') AS nullable \
         FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
         ORDER BY table_name, ordinal_position",
    )
    .load(conn)
    .unwrap();
    let mut out: BTreeMap<String, Vec<(String, String, bool)>> = BTreeMap::new();
    for c in cols {
        out.entry(c.table_name).or_default().push((c.column_name, c.udt_name, c.nullable));
    }
    out
}

/// Reads src/db/schema.rs: `table! { name (pk) { col -> Type, … } }`.
fn diesel_columns() -> BTreeMap<String, Vec<(String, String, bool)>> {
    let text = [
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/schema.rs"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/schema/console.rs"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/src/db/schema/money.rs"),
    ]
    .iter()
    .map(|p| std::fs::read_to_string(p).unwrap())
    .collect::<Vec<_>>()
    .join("\n");
    let mut out: BTreeMap<String, Vec<(String, String, bool)>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if let Some(name) =
            line.strip_suffix('{').map(str::trim).filter(|l| l.contains('(') && !l.starts_with("diesel"))
        {
            current = Some(name.split_whitespace().next().unwrap().to_owned());
        } else if line == "}" {
            current = None;
        } else if let (Some(t), Some((col, ty))) = (&current, line.split_once("->")) {
            let ty = ty.trim().trim_end_matches(',');
            let (nullable, inner) = match ty.strip_prefix("Nullable<").and_then(|s| s.strip_suffix('>')) {
                Some(i) => (true, i),
                None => (false, ty),
            };
            let udt = match inner {
                "Uuid" => "uuid",
                "Text" => "text",
                "Bool" => "bool",
                "Timestamptz" => "timestamptz",
                "Int8" => "int8",
                "Int4" => "int4",
                "Jsonb" => "jsonb",
                "Bytea" => "bytea",
                "Date" => "date",
                "Array<Text>" => "_text",
                "Array<Int4>" => "_int4",
                other => panic!("map diesel type {other}"),
            };
            out.entry(t.clone()).or_default().push((col.trim().to_owned(), udt.to_owned(), nullable));
        }
    }
    out
}

#[test]
fn schema_matches_database() {
    let db = TestDb::create();
    let mut conn = db.conn();
    assert_eq!(database_columns(&mut conn), diesel_columns());
}

#[test]
fn every_migration_reverts_and_reapplies() {
    let db = TestDb::create();
    let mut conn = db.conn();
    let before = database_columns(&mut conn);
    conn.revert_all_migrations(hotspot::db::MIGRATIONS).expect("down migrations");
    assert!(database_columns(&mut conn).is_empty(), "down.sql left tables behind");
    let applied = hotspot::db::migrate(&mut conn).expect("up again");
    let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations folder")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().join("up.sql").exists()))
        .count();
    assert_eq!(applied, on_disk);
    assert_eq!(database_columns(&mut conn), before);
    // The sync's hot tables leave room for in-place updates.
    #[derive(diesel::QueryableByName)]
    struct Opts {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Array<diesel::sql_types::Text>>)]
        reloptions: Option<Vec<String>>,
    }
    for table in ["device_counters", "users", "usage_daily", "quota_ledger"] {
        let o: Opts = diesel::sql_query("SELECT reloptions FROM pg_class WHERE relname = $1")
            .bind::<diesel::sql_types::Text, _>(table)
            .get_result(&mut conn)
            .expect("reloptions");
        assert_eq!(o.reloptions, Some(vec!["fillfactor=50".to_owned()]), "{table}");
    }
}

#[test]
fn constraints_refuse_bad_rows() {
    let db = TestDb::create();
    let mut conn = db.conn();
    let bad = [
        "INSERT INTO users (id, phone_number, full_name) VALUES (gen_random_uuid(), '081234', 'x')",
        "INSERT INTO users (id, phone_number, full_name, role) VALUES (gen_random_uuid(), '+6281234567890', 'x', 'ADMIN')",
        "INSERT INTO users (id, phone_number, full_name, quota_used_bytes) VALUES (gen_random_uuid(), '+6281234567890', 'x', -1)",
        "INSERT INTO users (id, phone_number, full_name, is_blocked) VALUES (gen_random_uuid(), '+6281234567890', 'x', true)",
    ];
    for sql in bad {
        assert!(diesel::sql_query(sql).execute(&mut conn).is_err(), "accepted: {sql}");
    }
    diesel::sql_query(
        "INSERT INTO users (id, phone_number, full_name) VALUES (gen_random_uuid(), '+6281234567890', 'Budi')",
    )
    .execute(&mut conn)
    .unwrap();
    let dup = diesel::sql_query(
        "INSERT INTO users (id, phone_number, full_name) VALUES (gen_random_uuid(), '+6281234567890', 'Budi 2')",
    )
    .execute(&mut conn);
    assert!(dup.is_err());
    let bad_mac = diesel::sql_query(
        "INSERT INTO user_devices (user_id, mac_address) SELECT id, 'aa:bb:cc:dd:ee:ff' FROM users LIMIT 1",
    )
    .execute(&mut conn);
    assert!(bad_mac.is_err(), "lower-case MAC accepted");
    let dup_key = "INSERT INTO quota_ledger (user_id, delta_bytes, source, idempotency_key) SELECT id, 5, 'sync_usage', 'k1' FROM users LIMIT 1";
    diesel::sql_query(dup_key).execute(&mut conn).unwrap();
    assert!(diesel::sql_query(dup_key).execute(&mut conn).is_err(), "idempotency key reused");
}
