//! The documentation runs as written: every shell block of the README and docs/walkthrough.md
//! marked `sh demo` or `sh demo-router-login` is run in order, in one bash session per mode,
//! against a fresh `hotspot demo` in that binding mode on its documented ports (8080,
//! 18728–18731). A failing command (`set -eu`: a pipeline counts by its last command, so
//! `curl … | head` stays as written), a refused connection or a 500 fails the test; a block
//! that calls the demo's `curl` must be marked.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{pg_server_url, redis_url};

/// The documents whose blocks run, in the order they are read.
const DOCS: &[&str] = &["README.md", "docs/walkthrough.md"];
/// Documents that must not hold a demo `curl` outside a marked block.
const ALL_DOCS: &[&str] = &["README.md", "docs/walkthrough.md", "docs/operations.md", "docs/configuration.md"];

/// (mode, code) of each fenced block, in order; `mode` is the fence's word after `sh`, or empty.
fn blocks(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let fence = line.trim_start();
        match (&mut current, fence.strip_prefix("```")) {
            (None, Some(info)) if info.trim_start().starts_with("sh") => {
                let mode = info.trim_start().trim_start_matches("sh").trim().to_owned();
                current = Some((mode, String::new()));
            }
            (Some(_), Some(_)) => out.extend(current.take()),
            (Some((_, code)), None) => {
                code.push_str(line);
                code.push('\n');
            }
            _ => {}
        }
    }
    out
}

fn read(doc: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(doc)).unwrap_or_else(|e| panic!("{doc}: {e}"))
}

/// Whether a block talks to the demo.
fn calls_the_demo(code: &str) -> bool {
    code.contains("curl") && (code.contains("$B/") || code.contains("127.0.0.1:18") || code.contains("127.0.0.1:8080"))
}

#[test]
fn every_block_that_calls_the_demo_is_marked_to_run() {
    for doc in ALL_DOCS {
        for (mode, code) in blocks(&read(doc)) {
            assert!(
                !calls_the_demo(&code) || mode.starts_with("demo"),
                "{doc}: a block calls the demo's curl but is not marked `sh demo…`:\n{code}"
            );
        }
    }
    let marked: usize =
        DOCS.iter().map(|d| blocks(&read(d)).iter().filter(|(m, _)| m.starts_with("demo")).count()).sum();
    assert!(marked >= 10, "{marked} runnable blocks found");
}

/// Every bash line: stop at the first failure; `curl` records each answer's status, so a 500 or
/// no answer at all fails the block that got it.
const PRELUDE: &str = r#"set -eu
CODES="$PWD/.http-codes"
: > "$CODES"
curl() { command curl "$@" --write-out '%{stderr}%{http_code} %{url_effective}\n' 2>>"$CODES"; }
checked() {
  if grep -qE '^(500|000) ' "$CODES"; then
    echo "block $1: a 500 or no answer:" >&2; grep -E '^(500|000) ' "$CODES" >&2; exit 1
  fi
  echo "== block $1 done"
}
"#;

struct Demo {
    child: Child,
    db: String,
}

impl Demo {
    fn start(mode: &str) -> Demo {
        let db = format!("hotspot_docs_{}", uuid::Uuid::new_v4().simple());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hotspot"));
        // Only what the test sets: the demo's documented defaults otherwise.
        for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("HOTSPOT_")) {
            cmd.env_remove(k);
        }
        cmd.arg("demo")
            .env("DATABASE_URL", format!("{}/{db}", pg_server_url()))
            .env("REDIS_URL", redis_url())
            .env("HOTSPOT_REDIS_PREFIX", format!("test:{db}:"))
            .env("HOTSPOT_BINDING_MODE", mode)
            .env("HOTSPOT_LOG", "warn")
            // The console's backups (the walkthrough makes one) go to a scratch folder.
            .env("HOTSPOT_BACKUP_DIR", std::env::temp_dir().join(format!("{db}-backups")))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = cmd.spawn().expect("start the demo");
        let demo = Demo { child, db };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let up = std::net::TcpStream::connect("127.0.0.1:8080").is_ok()
                && Command::new("curl")
                    .args(["-sf", "-o", "/dev/null", "http://127.0.0.1:8080/api/health"])
                    .status()
                    .is_ok_and(|s| s.success());
            if up {
                return demo;
            }
            assert!(
                Instant::now() < deadline,
                "the demo did not answer on 127.0.0.1:8080 (are 8080 and 18728-18732 free?)"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        use diesel::connection::SimpleConnection;
        use diesel::prelude::*;
        if let Ok(mut admin) = PgConnection::establish(&format!("{}/postgres", pg_server_url())) {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.db));
        }
        let _ = std::fs::remove_dir_all(std::env::temp_dir().join(format!("{}-backups", self.db)));
    }
}

/// Runs the blocks of `mode` against a fresh demo; panics with bash's output on a failure.
fn run(mode: &str, binding: &str) {
    let code: Vec<String> = DOCS
        .iter()
        .flat_map(|d| blocks(&read(d)).into_iter().map(move |b| (d, b)))
        .filter(|(_, (m, _))| m == mode)
        .enumerate()
        .map(|(i, (doc, (_, code)))| format!("# {doc}, block {i}\n{code}checked '{doc} #{i}'\n"))
        .collect();
    assert!(!code.is_empty(), "no `sh {mode}` blocks");
    let dir = std::env::temp_dir().join(format!("hotspot-docs-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("work dir");
    let _demo = Demo::start(binding);
    let mut bash = Command::new("bash")
        .arg("-s")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bash");
    let script = format!("{PRELUDE}{}", code.join("\n"));
    bash.stdin.take().expect("stdin").write_all(script.as_bytes()).expect("script");
    let out = wait_with_limit(bash, Duration::from_secs(600));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.0,
        "the `sh {mode}` blocks failed\n--- stdout (tail) ---\n{}\n--- stderr (tail) ---\n{}",
        tail(&out.1, 4000),
        tail(&out.2, 4000)
    );
}

fn tail(s: &str, n: usize) -> &str {
    let start = s.len().saturating_sub(n);
    let start = (start..s.len()).find(|i| s.is_char_boundary(*i)).unwrap_or(s.len());
    &s[start..]
}

/// (succeeded, stdout, stderr); a run past `limit` is killed and fails.
fn wait_with_limit(mut child: Child, limit: Duration) -> (bool, String, String) {
    let (mut so, mut se) = (child.stdout.take().expect("stdout"), child.stderr.take().expect("stderr"));
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut so, &mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut se, &mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let ok = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status.success(),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(100)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                break false;
            }
        }
    };
    (ok, out.join().unwrap_or_default(), err.join().unwrap_or_default())
}

/// Both modes in one test: they share the demo's fixed ports, so one after the other.
#[test]
fn the_walkthrough_runs_as_written_against_the_demo() {
    run("demo", "redirect");
    run("demo-router-login", "router-login");
}
