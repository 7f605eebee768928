//! The one HTTP skeleton the stateful fakes (`github_fake`, `gitlab_fake`) stand on: a
//! std-only HTTP/1.1 listener on a free local port, one thread per connection, one request
//! per connection (`Connection: close`), and the fakes' clock. A fake only routes a parsed
//! [`Request`] to a [`Response`]; reading and writing the wire is written once, here.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Instant;

/// One request as the fake received it.
pub struct Request {
    pub method: String,
    /// The request target as sent: the path and, when there is one, `?` and the query.
    pub target: String,
    /// The header lines in the order received, names lower-cased, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes; empty when there is none).
    pub body: Vec<u8>,
}

impl Request {
    /// The path and the raw query (without `?`; empty when there is none).
    pub fn path_and_query(&self) -> (&str, &str) {
        self.target.split_once('?').unwrap_or((&self.target, ""))
    }
}

/// Status, headers beyond `Content-Type` / `Content-Length` / `Connection`, and body.
pub type Response = (u16, Vec<(String, String)>, String);

/// A bound listener on `127.0.0.1:<free port>`: the fake learns its [`url`](Self::url)
/// before it is built, then hands itself to [`serve`](Self::serve).
pub struct Listener {
    listener: TcpListener,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

pub fn listen() -> Listener {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    Listener { listener, url }
}

impl Listener {
    /// Answers every request with `handler` until the test process ends.
    pub fn serve<H>(self, handler: H)
    where
        H: Fn(Request) -> Response + Clone + Send + 'static,
    {
        std::thread::spawn(move || {
            for stream in self.listener.incoming().flatten() {
                let handler = handler.clone();
                std::thread::spawn(move || answer(stream, handler));
            }
        });
    }
}

fn answer(stream: TcpStream, handler: impl Fn(Request) -> Response) {
    let Some(request) = read_request(&stream) else {
        return;
    };
    let (status, extra, text) = handler(request);
    let mut out = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    if !extra
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        out.push_str("Content-Type: application/json\r\n");
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n",
        text.len()
    ));
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(&text);
    let mut stream = stream;
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.flush();
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    // The last of a repeated header wins, as the fakes' header maps always had it.
    let len: usize = headers
        .iter()
        .rev()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// The reason phrase for a status line.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// A fake's clock: a start instant running `scale` times real speed (as the binary's
/// `SHIPGATE_NOW` / `SHIPGATE_TIME_SCALE`).
#[derive(Clone)]
pub struct FakeClock {
    start: jiff::Timestamp,
    started: Instant,
    scale: f64,
}

impl FakeClock {
    /// Starts at `start` (RFC 3339), or at the real now.
    pub fn new(start: Option<&str>, scale: f64) -> Self {
        FakeClock {
            start: start
                .map(|s| s.parse().unwrap())
                .unwrap_or_else(jiff::Timestamp::now),
            started: Instant::now(),
            scale,
        }
    }

    pub fn now(&self) -> jiff::Timestamp {
        let d = self.started.elapsed().mul_f64(self.scale);
        self.start + jiff::SignedDuration::try_from(d).unwrap()
    }
}
