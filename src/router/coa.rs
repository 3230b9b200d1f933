//! Ending a RADIUS session at the router: a Disconnect-Request (RFC 5176) to the router's
//! `/radius incoming` port, naming the session as MikroTik's hotspot finds it (the phone's MAC as
//! User-Name, the Acct-Session-Id, the Framed-IP-Address). Sent again on silence; the answer's
//! authenticator is checked with the site's secret before it is believed.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use radius::core::code::Code;
use radius::core::packet::Packet;
use radius::core::{rfc2865, rfc2866, rfc3576};
use tokio::net::UdpSocket;

/// The session to end.
#[derive(Debug, Clone)]
pub struct Disconnect {
    /// The phone's MAC as the router knows the session's user (`AA:BB:…`).
    pub user_name: String,
    pub session_id: String,
    pub framed_ip: Option<IpAddr>,
}

/// What the router said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoaOutcome {
    /// The session is gone.
    Ack,
    /// Refused; RFC 5176's Error-Cause when given (503: no such session, already gone).
    Nak(Option<u32>),
    /// No authentic answer after every try.
    NoAnswer,
}

#[derive(Debug, thiserror::Error)]
pub enum CoaError {
    #[error("cannot send to the router: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot encode the request: {0}")]
    Encode(String),
}

/// Sends a Disconnect-Request, `tries` times at most, waiting `wait` for each answer.
pub async fn disconnect(
    to: SocketAddr,
    secret: &[u8],
    d: &Disconnect,
    tries: u32,
    wait: Duration,
) -> Result<CoaOutcome, CoaError> {
    let mut p = Packet::new(Code::DisconnectRequest, secret);
    rfc2865::add_user_name(&mut p, &d.user_name);
    rfc2866::add_acct_session_id(&mut p, &d.session_id);
    if let Some(IpAddr::V4(ip)) = d.framed_ip {
        rfc2865::add_framed_ip_address(&mut p, &ip);
    }
    let request = p.encode().map_err(|e| CoaError::Encode(e.to_string()))?;
    let local: SocketAddr = if to.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(to).await?;
    let mut buf = vec![0u8; 4096];
    for _ in 0..tries.max(1) {
        socket.send(&request).await?;
        let deadline = tokio::time::Instant::now() + wait;
        // Datagrams that are not this request's authentic answer are ignored until the deadline.
        while let Ok(Ok(n)) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            let answer = &buf[..n];
            if n < 20 || answer[1] != request[1] || !Packet::is_authentic_response(answer, &request, secret) {
                continue;
            }
            let Ok(reply) = Packet::decode(answer, secret) else { continue };
            return Ok(match reply.get_code() {
                Code::DisconnectACK => CoaOutcome::Ack,
                Code::DisconnectNAK => CoaOutcome::Nak(rfc3576::lookup_error_cause(&reply).and_then(Result::ok)),
                _ => continue,
            });
        }
    }
    Ok(CoaOutcome::NoAnswer)
}
