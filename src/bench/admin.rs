//! `hotspot bench admin`: the admin pages' reads at scale — user search (names, numbers in
//! local forms, digits anywhere, a status filter) and the dashboard's stats — against a server on
//! loopback over a database of `--users` users with a day of usage each. Prints throughput and
//! p50/p99 latency per query kind.

use std::time::Duration;

use anyhow::Context;
use diesel::prelude::*;

use super::auth::drive;
use super::machine::{self, CpuTicks};
use crate::accounts::create::{self as users, CreateUser};
use crate::db;
use crate::domain::{ApprovalStatus, Msisdn, Role};
use crate::shutdown::Shutdown;

pub struct Options {
    pub users: usize,
    pub requests: usize,
    pub concurrency: usize,
    pub database_url: String,
    pub redis_url: String,
}

const PASSWORD: &str = "bench-admin-password";

/// The request path of the i-th request of a kind.
type PathFor = Box<dyn Fn(usize) -> String>;

pub async fn run(opts: Options) -> anyhow::Result<()> {
    let database_url = opts.database_url.clone();
    super::with_scratch_database(&database_url, |url| async move { bench(&opts, &url).await }).await
}

/// `n` users in one statement: names from a small vocabulary, numbers 0814 + 8 digits, a mix of
/// quotas, expiries, blocks and waiting registrations; today's usage for each; a device for
/// every other one.
fn seed(conn: &mut PgConnection, n: usize) -> Result<(), db::DbError> {
    conn.transaction(|conn| seed_rows(conn, n))?;
    // As autovacuum leaves a table that has been up a while.
    diesel::sql_query("VACUUM ANALYZE").execute(conn)?;
    Ok(())
}

fn seed_rows(conn: &mut PgConnection, n: usize) -> Result<(), db::DbError> {
    // Seeding is not measured; the server's own statement timeout holds for what is.
    diesel::sql_query("SET LOCAL statement_timeout = 0").execute(conn)?;
    diesel::sql_query(
        "INSERT INTO users (id, phone_number, full_name, role, approval_status, is_blocked, blocked_reason, \
                            quota_purchased_bytes, quota_used_bytes, quota_expiry_date, approved_at, phone_verified_at)
         SELECT gen_random_uuid(), '+62814' || lpad(i::text, 8, '0'),
                (ARRAY['Budi','Siti','Agus','Dewi','Rina','Joko','Wati','Andi','Eko','Sri','Yanti','Hendra',
                       'Putri','Rudi','Lina','Bayu','Indah','Fajar','Nur','Dian','Rizki','Ayu','Wahyu',
                       'Tono','Sari','Adi','Mega','Irfan','Fitri','Gilang','Ratna','Yusuf','Maya','Doni',
                       'Lestari','Hadi','Novi','Arif','Tari','Bima','Citra','Dedi','Evi','Fikri','Gita',
                       'Hana','Imam','Jihan','Kurnia','Lukman'])[1 + i % 50] || ' ' ||
                (ARRAY['Santoso','Wijaya','Saputra','Hidayat','Kusuma','Pratama','Nugroho','Setiawan',
                       'Siregar','Nasution','Lubis','Harahap','Simanjuntak','Gunawan','Halim','Purnomo',
                       'Susanto','Wibowo','Rahman','Syahputra','Sitompul','Tanjung','Hutapea','Sinaga',
                       'Manurung','Ginting','Tarigan','Sembiring','Putra','Utami','Permata','Anggraini',
                       'Maharani','Ramadhan','Firmansyah','Kurniawan','Hakim','Iskandar','Yulianto',
                       'Suryadi','Handoko','Budiman','Effendi','Lim','Tan','Wong','Sutanto','Hartono',
                       'Salim','Basri'])[1 + (i / 50) % 50],
                CASE WHEN i % 50 = 0 THEN 'KOMANDAN' ELSE 'USER' END,
                CASE WHEN i % 20 = 0 THEN 'PENDING_APPROVAL' ELSE 'APPROVED' END,
                i % 97 = 0, CASE WHEN i % 97 = 0 THEN 'bench' END,
                (i % 10) * 1073741824::bigint, (i % 7) * 536870912::bigint,
                now() + ((i % 60) - 10) * interval '1 day', now(), now()
         FROM generate_series(1, $1) AS i",
    )
    .bind::<diesel::sql_types::Integer, _>(n as i32)
    .execute(conn)?;
    // The status each would have been given (the default policy, as the migration backfills).
    diesel::sql_query(
        "UPDATE users SET access_status = CASE
            WHEN is_blocked THEN 'blocked'
            WHEN NOT is_active OR approval_status <> 'APPROVED' THEN 'inactive'
            WHEN quota_expiry_date IS NOT NULL AND quota_expiry_date <= now() THEN 'expired'
            WHEN is_unlimited_user THEN 'unlimited'
            WHEN quota_purchased_bytes - quota_used_bytes <= 0 THEN 'habis'
            WHEN quota_purchased_bytes > 3221225472 AND quota_purchased_bytes - quota_used_bytes < 3221225472 THEN 'fup'
            ELSE 'active' END",
    )
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO usage_daily (user_id, day, bytes)
         SELECT id, current_date, (abs(hashtext(id::text)) % 1000000000)::bigint FROM users",
    )
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO usage_day_totals (day, shard, bytes) SELECT day, 0, sum(bytes) FROM usage_daily GROUP BY day",
    )
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO user_devices (user_id, mac_address, ip_address, is_authorized, authorized_at, last_seen_at)
         SELECT id, '02:BA:' || upper(substr(md5(id::text), 1, 2)) || ':' || upper(substr(md5(id::text), 3, 2)) || ':'
                    || upper(substr(md5(id::text), 5, 2)) || ':' || upper(substr(md5(id::text), 7, 2)),
                NULL, true, now(), now() - (abs(hashtext(id::text)) % 3600) * interval '1 second'
         FROM users WHERE abs(hashtext(id::text)) % 2 = 0
         ON CONFLICT (mac_address) DO NOTHING",
    )
    .execute(conn)?;
    Ok(())
}

/// The admin the requests are made as.
fn bench_admin(conn: &mut diesel::PgConnection, phone: Msisdn) -> Result<(), db::DbError> {
    let input = CreateUser {
        phone,
        full_name: "Bench Admin".into(),
        role: Role::Admin,
        approval: ApprovalStatus::Approved,
        password: Some(PASSWORD.into()),
        quota_bytes: 0,
        expires_at: None,
        unlimited: false,
        created_by: None,
        origin: "bench",
        profile: Default::default(),
    };
    users::create_user(conn, input).map(|_| ()).map_err(|e| db::DbError::Task(e.to_string()))
}

/// Each kind of read and the path of its `i`-th request, over `n` seeded users.
fn kinds(n: usize) -> Vec<(&'static str, PathFor)> {
    let names = ["budi", "siti santoso", "agus", "wijaya", "rina", "joko 4", "tan", "lukman basri"];
    let kinds: Vec<(&str, PathFor)> = vec![
        ("name", Box::new(move |i| format!("/api/admin/users?q={}", names[i % names.len()].replace(' ', "+")))),
        ("local phone", Box::new(move |i| format!("/api/admin/users?q=0814{:08}", (i * 7919) % n.max(1) + 1))),
        ("prefix", Box::new(|i| format!("/api/admin/users?q=08140{:03}", i % 1000))),
        ("digits", Box::new(|i| format!("/api/admin/users?q={:05}", (i * 31) % 100_000))),
        (
            "status",
            Box::new(|i| {
                format!("/api/admin/users?status={}&page={}", ["fup", "habis", "expired", "active"][i % 4], i % 5 + 1)
            }),
        ),
        ("stats", Box::new(|_| "/api/admin/stats".to_owned())),
    ];
    kinds
}

async fn bench(opts: &Options, url: &str) -> anyhow::Result<()> {
    let prefix = format!("bench:{}:", uuid::Uuid::new_v4().simple());
    let vars = vec![
        ("DATABASE_URL", url.to_owned()),
        ("REDIS_URL", opts.redis_url.clone()),
        ("HOTSPOT_REDIS_PREFIX", prefix.clone()),
        ("HOTSPOT_LOG", std::env::var("HOTSPOT_LOG").unwrap_or_else(|_| "warn".into())),
    ];
    let services = super::services(&vars).await?;
    let n = opts.users;
    println!("hotspot bench admin — seeding {n} users …");
    services.db.run(move |conn| seed(conn, n)).await.context("seeding")?;
    let admin_phone = Msisdn::parse("081299999999")?;
    let p = admin_phone.clone();
    services.db.run(move |conn| bench_admin(conn, p)).await?;

    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let (trigger, shutdown) = Shutdown::new();
    let server = tokio::spawn(crate::app::run_http(services.clone(), listener, shutdown));
    crate::ensure_crypto_provider();
    let http =
        reqwest::Client::builder().pool_max_idle_per_host(opts.concurrency).timeout(Duration::from_secs(30)).build()?;
    let login: serde_json::Value = http
        .post(format!("{base}/api/auth/admin/login"))
        .json(&serde_json::json!({ "username": admin_phone.as_e164(), "password": PASSWORD }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"].as_str().context("admin login failed")?.to_owned();

    println!(
        "             {n} users, {} requests per kind, concurrency {}, {} HTTP workers, database pool {}",
        opts.requests, opts.concurrency, services.settings.http_workers, services.settings.db_pool_size
    );
    for (name, path) in &kinds(n) {
        let one = |i: usize| {
            let (http, url, token) = (http.clone(), format!("{base}{}", path(i)), token.clone());
            async move {
                match http.get(url).bearer_auth(token).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                }
            }
        };
        drive(opts.requests / 10 + 1, opts.concurrency, &one).await;
        let cpu_before = CpuTicks::now();
        let run = drive(opts.requests, opts.concurrency, &one).await;
        let cpu_after = CpuTicks::now();
        run.print(name);
        println!("             {}", machine::describe(cpu_before, cpu_after));
    }

    // The dashboard above is served from its 5-second cache between computations; what one
    // computation costs, counted afresh each time:
    let admin = crate::admin::Admin { messenger: None, ..services.admin() };
    let cold = drive((opts.requests / 5).max(20), 1, |_| {
        let admin = admin.clone();
        async move { admin.compute_stats().await.is_ok() }
    })
    .await;
    cold.print("stats, cold");

    trigger.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
    Ok(())
}
