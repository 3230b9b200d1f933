//! Issue 31: backups from the console — made with pg_dump, listed, downloaded (a super
//! admin's), uploaded (checked: a pg_dump archive of this schema version), restored whole after
//! a safety backup.

use serde_json::json;

use crate::common::{TestApp, TestDb, audit_count, call, staff};
use hotspot::domain::Role;

const SUPER: &str = "081299990051";
const ADMIN: &str = "081299990052";

async fn upload(app: &TestApp, c: &reqwest::Client, bytes: Vec<u8>) -> (u16, serde_json::Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("cadangan.dump");
    let form = reqwest::multipart::Form::new().part("file", part);
    let res = c.post(app.url("/api/admin/backups/upload")).multipart(form).send().await.unwrap();
    let s = res.status().as_u16();
    (s, res.json().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_is_made_downloaded_uploaded_and_restored() {
    let dir = std::env::temp_dir().join(format!("hotspot-backups-{}", uuid::Uuid::new_v4().simple()));
    let dir_text = dir.to_string_lossy().into_owned();
    let app = TestApp::spawn_captive(&[("HOTSPOT_BACKUP_DIR", &dir_text), ("HOTSPOT_BACKUP_KEEP", "3")]).await;
    let (_, sup) = staff(&app, SUPER, Role::SuperAdmin).await;
    let (_, adm) = staff(&app, ADMIN, Role::Admin).await;
    let (s, v) = call(&app, &adm, "GET", "/api/admin/backups", None).await;
    assert_eq!((s, v), (200, json!({ "items": [] })));

    let (s, made) = call(&app, &adm, "POST", "/api/admin/backups", None).await;
    assert_eq!(s, 201, "{made}");
    let name = made["name"].as_str().unwrap().to_owned();
    assert!(made["size_bytes"].as_u64().unwrap() > 1000);
    let (_, v) = call(&app, &adm, "GET", "/api/admin/backups", None).await;
    assert_eq!(v["items"][0]["name"], name.as_str());

    let url = app.url(&format!("/api/admin/backups/{name}"));
    assert_eq!(adm.get(&url).send().await.unwrap().status(), 403, "the archive holds every account");
    let bytes = sup.get(&url).send().await.unwrap().bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"PGDMP"));
    let (s, _) = call(&app, &sup, "GET", "/api/admin/backups/..%2F..%2Fetc%2Fpasswd", None).await;
    assert_eq!(s, 404);

    // Uploads: garbage and an archive of another schema version are refused and not kept.
    let (s, _) = upload(&app, &adm, bytes.clone()).await;
    assert_eq!(s, 403);
    let (s, v) = upload(&app, &sup, b"not an archive".to_vec()).await;
    assert_eq!(s, 422, "{v}");
    let other = TestDb::create();
    {
        use diesel::prelude::*;
        let mut c = other.conn();
        diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)")
            .execute(&mut c)
            .unwrap();
    }
    let old = std::process::Command::new("pg_dump").args(["--format=custom", &other.url]).output().unwrap();
    assert!(old.status.success());
    let (s, v) = upload(&app, &sup, old.stdout).await;
    assert_eq!(s, 422, "another schema version: {v}");
    let (s, up) = upload(&app, &sup, bytes).await;
    assert_eq!(s, 201, "{up}");
    let (_, v) = call(&app, &adm, "GET", "/api/admin/backups", None).await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2), "the refused uploads left nothing: {v}");

    // A user made after the backup is gone once it is restored; a safety backup was made first.
    let late = app.user("081288880001", "Setelah Cadangan", 1).await;
    let body = json!({ "filename": name, "confirm": "nope", "restore_mode": "merge" });
    let (s, _) = call(&app, &sup, "POST", "/api/admin/backups/restore", Some(body)).await;
    assert_eq!(s, 422);
    let body = json!({ "filename": name, "confirm": "RESTORE", "restore_mode": "merge" });
    let (s, _) = call(&app, &adm, "POST", "/api/admin/backups/restore", Some(body.clone())).await;
    assert_eq!(s, 403);
    let (s, r) = call(&app, &sup, "POST", "/api/admin/backups/restore", Some(body)).await;
    assert_eq!(s, 200, "{r}");
    assert!(app.backend.accounts().find(late.id).await.unwrap().is_none(), "the restore brought the earlier state");
    assert!(r["safety_backup"].as_str().unwrap().contains("pre_restore"));
    assert_eq!(audit_count(&app, "backup.restore").await, 1);
    assert!(!app.backend.runtime.get().maintenance_mode, "maintenance is off again");
    let (_, v) = call(&app, &adm, "GET", "/api/admin/backups", None).await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(3), "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}
