//! Benchmark programs (`hotspot bench …`): they print figures; nothing asserts on time.

pub mod admin;
pub mod auth;
pub mod documents;
pub mod ladder;
pub mod load;
pub mod machine;
pub mod router;
mod sim;
pub mod sites;
pub mod sync;

/// Median of a few timings, in milliseconds.
pub fn median_ms(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples.get(samples.len() / 2).copied().unwrap_or(0.0)
}

/// The value at fraction `p` of sorted samples (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs `bench` against a fresh database named `hotspot_bench_<random>` on the server of
/// `database_url`, and drops it afterwards whatever happened.
pub async fn with_scratch_database<F, Fut, T>(database_url: &str, bench: F) -> anyhow::Result<T>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let db_name = format!("hotspot_bench_{}", uuid::Uuid::new_v4().simple());
    let (admin_url, _) =
        crate::db::split_database_url(database_url).map_err(|e| anyhow::anyhow!("DATABASE_URL: {e}"))?;
    let url = format!("{}/{db_name}", admin_url.trim_end_matches("/postgres"));
    let create_url = url.clone();
    tokio::task::spawn_blocking(move || crate::db::create_database_if_missing(&create_url))
        .await?
        .map_err(|e| anyhow::anyhow!(e))?;
    let result = bench(url.clone()).await;
    let _ = tokio::task::spawn_blocking(move || crate::db::drop_database(&url)).await;
    result
}

/// The services of a bench run: settings from `vars` alone (never the environment, so a bench
/// measures what it sets), connected and migrated.
pub async fn services(vars: &[(&str, String)]) -> anyhow::Result<crate::app::App> {
    let vars: std::collections::HashMap<String, String> =
        vars.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    let settings = crate::config::Settings::from_source(&crate::config::Source::new(&vars))?;
    let app = crate::app::App::connect(settings)?;
    crate::app::migrate(&app.db).await?;
    Ok(app)
}
