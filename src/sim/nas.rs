//! A RADIUS NAS as a MikroTik hotspot is one, for the tests and the demo: it keeps sessions and
//! answers Disconnect-Requests (RFC 5176) on its own UDP port the way RouterOS's `/radius
//! incoming` does: the request's authenticator checked with the shared secret (a wrong one gets
//! no answer), the session found by Acct-Session-Id (and User-Name), ACK and the session gone, or
//! NAK with Error-Cause 503 when there is no such session. Faults: silence, or NAK everything.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use radius::core::code::Code;
use radius::core::packet::Packet;
use radius::core::{rfc2865, rfc2866, rfc3576};
use tokio::net::UdpSocket;

/// What the NAS does wrong on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NasFault {
    /// Never answers (a router unreachable or with `/radius incoming accept=no`).
    Silent,
    /// Answers every request with NAK, Error-Cause 506 (resources unavailable).
    Refuse,
}

#[derive(Default)]
struct State {
    /// Open sessions: Acct-Session-Id → User-Name.
    sessions: HashMap<String, String>,
    /// Sessions ended by a Disconnect-Request, in order.
    disconnected: Vec<String>,
    /// Disconnect-Requests that arrived authentic, answered or not.
    requests: usize,
    fault: Option<NasFault>,
}

#[derive(Clone)]
pub struct NasSim {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for NasSim {
    fn drop(&mut self) {
        if Arc::strong_count(&self.task) == 1 {
            self.task.abort();
        }
    }
}

impl NasSim {
    /// Listens for Disconnect-Requests on `bind` (port 0: any), checking them with `secret`.
    pub async fn start(bind: SocketAddr, secret: &str) -> std::io::Result<Self> {
        let socket = UdpSocket::bind(bind).await?;
        let addr = socket.local_addr()?;
        let state = Arc::new(Mutex::new(State::default()));
        let task = tokio::spawn(serve(socket, secret.as_bytes().to_vec(), state.clone()));
        Ok(Self { addr, state, task: Arc::new(task) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A session the router holds (a phone logged in).
    pub fn open(&self, session_id: &str, user_name: &str) {
        self.state().sessions.insert(session_id.to_owned(), user_name.to_owned());
    }

    pub fn is_open(&self, session_id: &str) -> bool {
        self.state().sessions.contains_key(session_id)
    }

    pub fn disconnected(&self) -> Vec<String> {
        self.state().disconnected.clone()
    }

    pub fn requests(&self) -> usize {
        self.state().requests
    }

    pub fn set_fault(&self, fault: Option<NasFault>) {
        self.state().fault = fault;
    }
}

async fn serve(socket: UdpSocket, secret: Vec<u8>, state: Arc<Mutex<State>>) {
    let mut buf = vec![0u8; 4096];
    loop {
        let Ok((n, from)) = socket.recv_from(&mut buf).await else { continue };
        let request = &buf[..n];
        if !Packet::is_authentic_request(request, &secret) {
            continue;
        }
        let Ok(packet) = Packet::decode(request, &secret) else { continue };
        if packet.get_code() != Code::DisconnectRequest {
            continue;
        }
        let Some(reply) = answer(&packet, &state) else { continue };
        if let Ok(bytes) = reply.encode() {
            let _ = socket.send_to(&bytes, from).await;
        }
    }
}

fn answer(packet: &Packet, state: &Mutex<State>) -> Option<Packet> {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    s.requests += 1;
    let nak = |cause| {
        let mut r = packet.make_response_packet(Code::DisconnectNAK);
        rfc3576::add_error_cause(&mut r, cause);
        r
    };
    match s.fault {
        Some(NasFault::Silent) => return None,
        Some(NasFault::Refuse) => return Some(nak(506)),
        None => {}
    }
    let session = rfc2866::lookup_acct_session_id(packet).and_then(Result::ok);
    let user = rfc2865::lookup_user_name(packet).and_then(Result::ok);
    let found = session.filter(|id| s.sessions.get(id).is_some_and(|u| user.as_deref().is_none_or(|n| n == u)));
    Some(match found {
        Some(id) => {
            s.sessions.remove(&id);
            s.disconnected.push(id);
            packet.make_response_packet(Code::DisconnectACK)
        }
        None => nak(503),
    })
}
