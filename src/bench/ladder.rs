//! `bench sync --ladder`: the sync at three sizes, each in its own process, and how its time and
//! memory grow per device.

use anyhow::{Context, bail};

use super::sync::{Figures, Options};

/// Writes one size's figures for the ladder that started this process.
pub fn write_figures(path: &std::path::Path, figures: &Figures) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_vec(figures)?).with_context(|| format!("cannot write {}", path.display()))
}

/// The scale ladder: each size in its own process, database and simulator, then how time and
/// memory grow per device (flat or falling: linear or better). A process per step so each peak
/// RSS is that size's own, as a deployment of that size would see it, not the allocator's
/// leftovers from the smaller steps.
pub async fn ladder(opts: Options) -> anyhow::Result<()> {
    let steps = [(2_000, 5_000), (20_000, 50_000), (100_000, 250_000)];
    let exe = std::env::current_exe().context("cannot find this program to run the ladder's steps")?;
    let mut rows = Vec::new();
    for (users, devices) in steps {
        println!();
        let out = std::env::temp_dir().join(format!("hotspot-ladder-{}-{devices}.json", std::process::id()));
        let mut step = std::process::Command::new(&exe);
        step.args(["bench", "sync", "--users", &users.to_string(), "--devices", &devices.to_string()])
            .args(["--change-pct", &opts.change_pct.to_string()])
            .arg("--figures-out")
            .arg(&out)
            .env("DATABASE_URL", &opts.database_url)
            .env("REDIS_URL", &opts.redis_url);
        let status = tokio::task::spawn_blocking(move || step.status()).await?.context("cannot start a ladder step")?;
        let figures = std::fs::read(&out);
        let _ = std::fs::remove_file(&out);
        if !status.success() {
            bail!("the ladder step {users} users / {devices} devices failed ({status})");
        }
        let figures: Figures = serde_json::from_slice(&figures.context("the ladder step wrote no figures")?)?;
        rows.push((users, devices, figures));
    }
    println!("\nladder (one cycle each; per device = over the devices of the step)");
    println!(
        "{:>8} {:>8} {:>12} {:>10} {:>14} {:>10} {:>14} {:>11}",
        "users", "devices", "first ms", "steady ms", "steady µs/dev", "peak MiB", "peak KiB/dev", "rows/cycle"
    );
    for (users, devices, f) in &rows {
        let d = *devices as f64;
        println!(
            "{:>8} {:>8} {:>12.0} {:>10.0} {:>14.1} {:>10.1} {:>14.2} {:>11}",
            users,
            devices,
            f.first_sight_ms,
            f.steady_ms,
            f.steady_ms * 1e3 / d,
            f.peak_mib,
            f.peak_mib * 1024.0 / d,
            f.steady_rows
        );
    }
    Ok(())
}
