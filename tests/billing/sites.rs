//! Packages and vouchers limited to some sites (issue 33, item 4): the shop at a site offers
//! what is sold there; a user buys or redeems a limited one at its sites or once a device of
//! theirs is bound at one of them; a refusal writes nothing and uses no code.

use std::time::Duration;

use diesel::prelude::*;
use hotspot::db::schema::{packages, transactions, user_devices, vouchers};
use hotspot::domain::{GIB, Role};
use serde_json::json;

use super::sales::buyer;
use crate::common::{TestApp, call, staff};

/// An anonymous browser reaching the backend from `addr` (a site's egress, or the internet).
fn from(addr: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(addr))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn shop(app: &TestApp, c: &reqwest::Client) -> Vec<String> {
    let v: serde_json::Value = c.get(app.url("/api/packages")).send().await.unwrap().json().await.unwrap();
    let mut names: Vec<String> =
        v["data"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    names
}

/// Binds a device of `user` at `site` (as a sign-in there leaves it).
async fn bound_at(app: &TestApp, user: uuid::Uuid, mac: &str, site: i32) {
    let mac = mac.to_owned();
    app.backend
        .db
        .run(move |c| {
            Ok(diesel::insert_into(user_devices::table)
                .values((
                    user_devices::user_id.eq(user),
                    user_devices::mac_address.eq(mac),
                    user_devices::is_authorized.eq(true),
                    user_devices::authorized_at.eq(chrono::Utc::now()),
                    user_devices::router_id.eq(site),
                ))
                .execute(c)?)
        })
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packages_and_vouchers_limited_to_sites() {
    let app = TestApp::spawn_billing(&[("HOTSPOT_NOTIFY_QUIET_HOURS", "0-0")]).await;
    let (_, root) = staff(&app, "+6281100000041", Role::SuperAdmin).await;
    let (_, admin) = staff(&app, "+6281100000042", Role::Admin).await;
    let mut ids = Vec::new();
    for (name, egress) in [("gedung-a", "127.0.0.4/32"), ("gedung-b", "127.0.0.5/32")] {
        let body = json!({ "name": name, "address": "127.0.0.1:9", "password": "x", "egress_addresses": [egress] });
        let (status, site) = call(&app, &root, "POST", "/api/admin/routers", Some(body)).await;
        assert_eq!(status, 201, "{site}");
        ids.push(site["id"].as_i64().unwrap());
    }
    let (a, b) = (ids[0], ids[1]);
    let package = |name: &str, sites: Vec<i64>| json!({ "name": name, "price_idr": 10_000, "quota_bytes": GIB, "validity_days": 7, "site_ids": sites });
    let mut made = Vec::new();
    for (name, sites) in [("Semua", vec![]), ("Khusus A", vec![a]), ("Khusus B", vec![b])] {
        let (status, p) = call(&app, &admin, "POST", "/api/admin/packages", Some(package(name, sites.clone()))).await;
        assert_eq!(status, 201, "{p}");
        assert_eq!(p["site_ids"], json!(sites));
        made.push(p["id"].as_str().unwrap().to_owned());
    }
    // A site that does not exist is named and nothing is written.
    let count = |app: &TestApp| {
        let mut conn = app.db.conn();
        packages::table.count().get_result::<i64>(&mut conn).unwrap()
    };
    let before = count(&app);
    let (status, v) = call(&app, &admin, "POST", "/api/admin/packages", Some(package("Hantu", vec![999_999]))).await;
    assert_eq!((status, v["details"]["field"].as_str()), (422, Some("site_ids")), "{v}");
    assert_eq!(count(&app), before);

    // The shop: at gedung-a its packages and the everywhere one; away from every site, all.
    assert_eq!(shop(&app, &from([127, 0, 0, 4])).await, ["Khusus A", "Semua"]);
    assert_eq!(shop(&app, &from([127, 0, 0, 5])).await, ["Khusus B", "Semua"]);
    assert_eq!(shop(&app, &from([127, 0, 0, 2])).await, ["Khusus A", "Khusus B", "Semua"]);

    // A buyer away from the hotspot with no device at gedung-a is refused its package, with
    // nothing written; once a phone of theirs is bound there, it is sold.
    let (uid, c) = buyer(&app, "081234560041", 0).await;
    let orders = |app: &TestApp| {
        let mut conn = app.db.conn();
        transactions::table.filter(transactions::user_id.eq(uid)).count().get_result::<i64>(&mut conn).unwrap()
    };
    let (status, v) = call(&app, &c, "POST", "/api/transactions", Some(json!({ "package_id": made[1] }))).await;
    assert_eq!((status, v["code"].as_str()), (403, Some("PURCHASE_NOT_ALLOWED")), "{v}");
    assert_eq!(v["details"]["reason"], "sold only at other sites", "{v}");
    assert_eq!(orders(&app), 0);
    let (status, v) = call(&app, &c, "POST", "/api/transactions", Some(json!({ "package_id": made[0] }))).await;
    assert_eq!(status, 201, "the everywhere package: {v}");
    bound_at(&app, uid, "02:5E:41:00:00:01", a as i32).await;
    let (status, v) = call(&app, &c, "POST", "/api/transactions", Some(json!({ "package_id": made[1] }))).await;
    assert_eq!(status, 201, "{v}");
    let (status, _) = call(&app, &c, "POST", "/api/transactions", Some(json!({ "package_id": made[2] }))).await;
    assert_eq!(status, 403);
    assert_eq!(orders(&app), 2);

    // Vouchers: a batch of the everywhere package limited to gedung-b is refused to this buyer
    // (the code stays unused), then redeemed by someone with a phone there.
    let (status, batch) = call(
        &app,
        &admin,
        "POST",
        "/api/admin/vouchers",
        Some(json!({ "package_id": made[0], "count": 1, "site_ids": [b] })),
    )
    .await;
    assert_eq!((status, &batch["batch"]["site_ids"]), (201, &json!([b])), "{batch}");
    let code = batch["codes"][0].as_str().unwrap().to_owned();
    let (status, v) = call(&app, &c, "POST", "/api/vouchers/redeem", Some(json!({ "code": code }))).await;
    assert_eq!((status, v["code"].as_str()), (403, Some("PURCHASE_NOT_ALLOWED")), "{v}");
    let unused = || {
        let mut conn = app.db.conn();
        vouchers::table.filter(vouchers::redeemed_at.is_null()).count().get_result::<i64>(&mut conn).unwrap()
    };
    assert_eq!(unused(), 1);
    let (other, c2) = buyer(&app, "081234560042", 0).await;
    bound_at(&app, other, "02:5E:41:00:00:02", b as i32).await;
    let (status, v) = call(&app, &c2, "POST", "/api/vouchers/redeem", Some(json!({ "code": code }))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(unused(), 0);
    // A voucher of gedung-a's package follows its package: this buyer's phone is there.
    let (_, batch) =
        call(&app, &admin, "POST", "/api/admin/vouchers", Some(json!({ "package_id": made[1], "count": 1 }))).await;
    let code = batch["codes"][0].as_str().unwrap().to_owned();
    let (status, v) = call(&app, &c, "POST", "/api/vouchers/redeem", Some(json!({ "code": code }))).await;
    assert_eq!(status, 200, "{v}");
}
