//! The HTTP skeleton the service fakes share (std only): a listener on a free port, one
//! thread per connection, request parsing (request line, headers, `Content-Length` body),
//! the answer written with `Content-Length` and `Connection: close`, and injected faults.
//! Each fake keeps its own state, routes and request log on top.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// One parsed request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The request target as sent: the path and, when there is one, `?` and the query.
    pub target: String,
    /// The headers in the order received, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The raw body (empty when there is none).
    pub body: String,
}

impl Request {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split_once('?').map_or(&self.target, |(p, _)| p)
    }

    /// The raw query string (without `?`; empty when there is none).
    pub fn query(&self) -> &str {
        self.target.split_once('?').map_or("", |(_, q)| q)
    }

    /// The value of a header (name case-insensitive; the last one sent wins).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer: status, extra headers, body (`Content-Type: application/json` unless the
/// headers name another).
pub type Response = (u16, Vec<(String, String)>, String);

/// A listener on a free local port, not yet answering (so a fake can know its URL first).
pub struct Listener {
    listener: TcpListener,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
}

impl Listener {
    pub fn bind() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        Listener { listener, url }
    }

    /// Answers every request with `handle`, one thread per connection. The listener thread
    /// dies with the test process.
    pub fn serve<H>(self, handle: H)
    where
        H: Fn(&Request) -> Response + Send + Sync + 'static,
    {
        let handle = Arc::new(handle);
        let listener = self.listener;
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handle = handle.clone();
                std::thread::spawn(move || serve(stream, &*handle));
            }
        });
    }
}

fn serve(stream: TcpStream, handle: &dyn Fn(&Request) -> Response) {
    let Some(req) = read(&stream) else {
        return;
    };
    let (status, extra, text) = handle(&req);
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

/// Reads one request (`None` when the connection closed before a request line).
fn read(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
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
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// A fault answered instead of the real thing.
#[derive(Debug, Clone)]
pub struct Fault {
    /// `"*"`: any method.
    pub method: String,
    pub path_contains: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub times: usize,
    /// Seconds for a throttle's `Retry-After` and rate-limit headers (GitLab's fake).
    pub retry_after: Option<u64>,
}

impl Fault {
    pub fn new(
        method: &str,
        path_contains: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
        times: usize,
    ) -> Self {
        Fault {
            method: method.into(),
            path_contains: path_contains.into(),
            status,
            headers: headers
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            body: body.into(),
            times,
            retry_after: None,
        }
    }
}

/// The first fault left for `method` and `path`, used up once.
pub fn take_fault(faults: &mut [Fault], method: &str, path: &str) -> Option<Fault> {
    let f = faults.iter_mut().find(|f| {
        f.times > 0 && (f.method == "*" || f.method == method) && path.contains(&f.path_contains)
    })?;
    f.times -= 1;
    Some(f.clone())
}

/// The reason phrase of a status.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
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
