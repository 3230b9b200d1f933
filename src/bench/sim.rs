//! A RouterOS simulator in its own process (`hotspot sim router`) for the sync benches, so the
//! figures printed for the sync are its alone.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::machine::status_field;

/// The simulator child process; killed when dropped.
pub struct SimProcess {
    child: std::process::Child,
    pub api: SocketAddr,
    control: SocketAddr,
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<SocketAddr> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?)
}

impl SimProcess {
    /// A simulator holding hosts `from..from + hosts` of the seeded sequence.
    pub fn start(hosts: usize, from: usize) -> anyhow::Result<Self> {
        let (api, control) = (free_port()?, free_port()?);
        let exe = std::env::current_exe().context("cannot find this program to start the simulator")?;
        let child = std::process::Command::new(exe)
            .args(["sim", "router", "--listen", &api.to_string(), "--control", &control.to_string()])
            .args(["--seed-hosts", &hosts.to_string(), "--seed-from", &from.to_string(), "--speed", "0"])
            .env("HOTSPOT_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .context("cannot start `hotspot sim router`")?;
        let sim = Self { child, api, control };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(sim.control).is_err() {
            if Instant::now() > deadline {
                bail!("the simulator did not come up within 60 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(sim)
    }

    /// One control command; its JSON answer.
    pub fn control(&self, command: &str) -> anyhow::Result<serde_json::Value> {
        let mut stream = TcpStream::connect(self.control)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.write_all(format!("{command}\n").as_bytes())?;
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line)?;
        Ok(serde_json::from_str(&line)?)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn rss_kib(&self) -> Option<u64> {
        status_field(&format!("/proc/{}/status", self.child.id()), "VmRSS:")
    }
}
