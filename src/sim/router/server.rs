//! Sessions: login, tags, reply delivery with latency/stall/drop faults, `/cancel`, `/quit`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::exec::{self, Cmd, Options, Reply};
use super::query::QueryWord;
use super::{Inner, TagPosition};
use crate::router::wire::{self, Decoder};

pub(super) async fn accept_loop(listener: TcpListener, inner: Arc<Inner>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let inner = inner.clone();
        tokio::spawn(async move {
            session(stream, inner).await;
        });
    }
}

enum Out {
    Bytes(Vec<u8>),
    /// Write these bytes (half a sentence), then close the socket.
    DropAfter(Vec<u8>),
    Close,
}

struct SessionGuard(Arc<Inner>);

impl Drop for SessionGuard {
    fn drop(&mut self) {
        self.0.sessions.fetch_sub(1, Ordering::Relaxed);
    }
}

fn encode(replies: &[Reply], tag: Option<&[u8]>, pos: TagPosition, out: &mut Vec<u8>) {
    let tag_word = tag.map(|t| [b".tag=".as_slice(), t].concat());
    for r in replies {
        let mut words: Vec<Vec<u8>> = Vec::with_capacity(8);
        let head: &[u8] = match r {
            Reply::Re(_) => b"!re",
            Reply::Done(_) => b"!done",
            Reply::Empty => b"!empty",
            Reply::Trap { .. } => b"!trap",
        };
        words.push(head.to_vec());
        if pos == TagPosition::Second {
            words.extend(tag_word.clone());
        }
        match r {
            Reply::Re(attrs) => {
                for (k, v) in attrs {
                    words.push(format!("={k}={v}").into_bytes());
                }
            }
            Reply::Done(Some(ret)) => words.push(format!("=ret={ret}").into_bytes()),
            Reply::Done(None) | Reply::Empty => {}
            Reply::Trap { category, message } => {
                if let Some(c) = category {
                    words.push(format!("=category={c}").into_bytes());
                }
                words.push(format!("=message={message}").into_bytes());
            }
        }
        if pos == TagPosition::Last {
            words.extend(tag_word.clone());
        }
        wire::encode_sentence(&words, out);
    }
}

fn fatal(reason: &str) -> Vec<u8> {
    let mut out = Vec::new();
    wire::encode_sentence(&[b"!fatal".as_slice(), reason.as_bytes()], &mut out);
    out
}

struct Parsed {
    cmd: Cmd,
    tag: Option<Vec<u8>>,
}

fn parse(words: Vec<Vec<u8>>) -> Parsed {
    let mut cmd = Cmd::default();
    let mut tag = None;
    for (i, w) in words.into_iter().enumerate() {
        let text = String::from_utf8_lossy(&w).into_owned();
        if i == 0 {
            cmd.word = text;
            continue;
        }
        if let Some(t) = w.strip_prefix(b".tag=") {
            if !t.is_empty() {
                tag = Some(t.to_vec());
            }
        } else if let Some(kv) = text.strip_prefix('=') {
            match kv.split_once('=') {
                Some((k, v)) => cmd.attrs.push((k.to_owned(), v.to_owned())),
                None => cmd.attrs.push((kv.to_owned(), String::new())),
            }
        } else if let Some(q) = QueryWord::parse(&text) {
            cmd.queries.push(q);
        }
    }
    Parsed { cmd, tag }
}

async fn writer(mut wr: tokio::net::tcp::OwnedWriteHalf, mut rx: mpsc::UnboundedReceiver<Out>, inner: Arc<Inner>) {
    while let Some(out) = rx.recv().await {
        match out {
            Out::Bytes(b) => {
                inner.bytes_sent.fetch_add(b.len() as u64, Ordering::Relaxed);
                if wr.write_all(&b).await.is_err() {
                    return;
                }
            }
            Out::DropAfter(b) => {
                inner.bytes_sent.fetch_add(b.len() as u64, Ordering::Relaxed);
                let _ = wr.write_all(&b).await;
                let _ = wr.shutdown().await;
                return;
            }
            Out::Close => {
                let _ = wr.shutdown().await;
                return;
            }
        }
    }
}

struct Session {
    inner: Arc<Inner>,
    tx: mpsc::UnboundedSender<Out>,
    logged_in: bool,
    challenge: Option<[u8; 16]>,
    /// Commands whose replies are delayed or stalled, by tag, so `/cancel` can interrupt them.
    pending: HashMap<Vec<u8>, tokio::task::JoinHandle<()>>,
    closing: bool,
}

async fn session(stream: TcpStream, inner: Arc<Inner>) {
    let faults = inner.faults();
    if faults.down {
        return;
    }
    let _ = stream.set_nodelay(true);
    let count = inner.sessions.fetch_add(1, Ordering::Relaxed) + 1;
    let _guard = SessionGuard(inner.clone());
    let (mut rd, wr) = stream.into_split();
    let (tx, rx) = mpsc::unbounded_channel();
    let writer = tokio::spawn(writer(wr, rx, inner.clone()));
    if count > faults.max_sessions {
        let _ = tx.send(Out::Bytes(fatal("too many sessions")));
        let _ = tx.send(Out::Close);
        let _ = writer.await;
        return;
    }
    let mut kill = inner.kill.subscribe();
    let mut s = Session {
        inner: inner.clone(),
        tx,
        logged_in: false,
        challenge: None,
        pending: HashMap::new(),
        closing: false,
    };
    let mut decoder = Decoder::new();
    let mut buf = vec![0u8; 16 * 1024];
    while !s.closing {
        tokio::select! {
            changed = kill.changed() => {
                if changed.is_err() { break; }
                break;
            }
            read = rd.read(&mut buf) => {
                let n = match read {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                inner.bytes_received.fetch_add(n as u64, Ordering::Relaxed);
                decoder.feed(&buf[..n]);
                loop {
                    match decoder.next_sentence() {
                        Ok(Some(words)) => s.handle(words),
                        Ok(None) => break,
                        Err(_) => {
                            // Unknown control byte: RouterOS cannot resynchronise either.
                            s.closing = true;
                            break;
                        }
                    }
                    if s.closing {
                        break;
                    }
                }
            }
        }
    }
    for (_, h) in s.pending.drain() {
        h.abort();
    }
    let _ = s.tx.send(Out::Close);
    drop(s);
    let _ = writer.await;
}

impl Session {
    fn send(&self, replies: &[Reply], tag: Option<&[u8]>) {
        let mut out = Vec::new();
        encode(replies, tag, self.inner.faults().tag_position, &mut out);
        let _ = self.tx.send(Out::Bytes(out));
    }

    fn handle(&mut self, words: Vec<Vec<u8>>) {
        let Parsed { cmd, tag } = parse(words);
        let tag = tag.as_deref();
        match cmd.word.as_str() {
            "/login" => return self.login(&cmd, tag),
            "/quit" => {
                let _ = self.tx.send(Out::Bytes(fatal("session terminated on request")));
                self.closing = true;
                return;
            }
            _ => {}
        }
        if !self.logged_in {
            return self
                .send(&[Reply::Trap { category: None, message: "not logged in".into() }, Reply::Done(None)], tag);
        }
        if cmd.word == "/cancel" {
            return self.cancel(&cmd, tag);
        }
        self.inner.commands.fetch_add(1, Ordering::Relaxed);
        let faults = self.inner.faults();
        if faults.stall.as_deref().is_some_and(|p| cmd.word.contains(p)) {
            // Never answered; /cancel or a dropped session ends it.
            let h = tokio::spawn(std::future::pending::<()>());
            if let Some(t) = tag {
                self.pending.insert(t.to_vec(), h);
            }
            return;
        }
        let replies = {
            let mut state = self.inner.state();
            exec::execute(&mut state, &cmd, &Options { empty_replies: faults.empty_replies })
        };
        let mut out = Vec::new();
        encode(&replies, tag, faults.tag_position, &mut out);
        if faults.drop_mid_sentence > 0 {
            self.inner.faults.lock().unwrap_or_else(|e| e.into_inner()).drop_mid_sentence -= 1;
            out.truncate((out.len() / 2).max(1));
            let _ = self.tx.send(Out::DropAfter(out));
            self.closing = true;
            return;
        }
        if faults.latency.is_zero() {
            let _ = self.tx.send(Out::Bytes(out));
            return;
        }
        let tx = self.tx.clone();
        let delay = faults.latency;
        let h = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = tx.send(Out::Bytes(out));
        });
        if let Some(t) = tag {
            self.pending.retain(|_, h| !h.is_finished());
            self.pending.insert(t.to_vec(), h);
        }
    }

    fn login(&mut self, cmd: &Cmd, tag: Option<&[u8]>) {
        let faults = self.inner.faults();
        let cfg = &self.inner.config;
        let bad = |s: &Self, msg: &str| {
            s.send(&[Reply::Trap { category: None, message: msg.into() }, Reply::Done(None)], tag)
        };
        if faults.legacy_login {
            match (cmd.attr("name"), cmd.attr("response")) {
                (None, _) => {
                    let challenge: [u8; 16] = rand::random();
                    self.challenge = Some(challenge);
                    self.send(&[Reply::Done(Some(hex::encode(challenge)))], tag);
                }
                (Some(name), Some(response)) => {
                    let ok = self.challenge.take().is_some_and(|c| {
                        name == cfg.username && !faults.refuse_login && response == legacy_response(&cfg.password, &c)
                    });
                    if ok {
                        self.logged_in = true;
                        self.inner.logins.fetch_add(1, Ordering::Relaxed);
                        self.send(&[Reply::Done(None)], tag);
                    } else {
                        bad(self, "cannot log in");
                    }
                }
                (Some(_), None) => bad(self, "cannot log in"),
            }
            return;
        }
        let ok = !faults.refuse_login
            && cmd.attr("name") == Some(cfg.username.as_str())
            && cmd.attr("password").unwrap_or("") == cfg.password;
        if ok {
            self.logged_in = true;
            self.inner.logins.fetch_add(1, Ordering::Relaxed);
            self.send(&[Reply::Done(None)], tag);
        } else {
            bad(self, "invalid user name or password (6)");
        }
    }

    fn cancel(&mut self, cmd: &Cmd, tag: Option<&[u8]>) {
        let interrupted = Reply::Trap { category: Some(2), message: "interrupted".into() };
        let targets: Vec<Vec<u8>> = match cmd.attr("tag") {
            Some(t) => vec![t.as_bytes().to_vec()],
            None => self.pending.keys().cloned().collect(),
        };
        let mut cancelled = Vec::new();
        for t in targets {
            if let Some(h) = self.pending.remove(&t).filter(|h| !h.is_finished()) {
                h.abort();
                self.send(std::slice::from_ref(&interrupted), Some(&t));
                cancelled.push(t);
            }
        }
        // Observed order: trap X, done for the cancel, done X.
        self.send(&[Reply::Done(None)], tag);
        for t in cancelled {
            self.send(&[Reply::Done(None)], Some(&t));
        }
    }
}

/// `00` + hex(MD5(0x00 ‖ password ‖ challenge)), the pre-6.43 login response.
pub fn legacy_response(password: &str, challenge: &[u8]) -> String {
    let mut h = Md5::new();
    h.update([0u8]);
    h.update(password.as_bytes());
    h.update(challenge);
    format!("00{}", hex::encode(h.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_login_vector() {
        // ROUTEROS.md: password "passTest", challenge hex "abc123".
        let challenge = hex::decode("abc123").unwrap();
        assert_eq!(legacy_response("passTest", &challenge), "0021277bff9ac7caf06aa608e46616d47f");
    }

    #[test]
    fn tag_positions() {
        let mut second = Vec::new();
        encode(&[Reply::Done(Some("*1".into()))], Some(b"7"), TagPosition::Second, &mut second);
        let mut d = Decoder::new();
        d.feed(&second);
        assert_eq!(
            d.next_sentence().unwrap().unwrap(),
            vec![b"!done".to_vec(), b".tag=7".to_vec(), b"=ret=*1".to_vec()]
        );
        let mut last = Vec::new();
        encode(&[Reply::Done(Some("*1".into()))], Some(b"7"), TagPosition::Last, &mut last);
        d.feed(&last);
        assert_eq!(
            d.next_sentence().unwrap().unwrap(),
            vec![b"!done".to_vec(), b"=ret=*1".to_vec(), b".tag=7".to_vec()]
        );
    }
}
