//! A minimal HTTP/1.1 client: one keep-alive connection per worker, requests written in one
//! buffer, responses parsed with `httparse`, bodies framed by Content-Length, chunked encoding or
//! the end of the connection. It does only what the benchmark needs, so that the load generator
//! spends as little CPU per request as possible.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bodies up to this size are written together with the head in one `write` call.
const INLINE_BODY: usize = 16 * 1024;
const READ_CHUNK: usize = 64 * 1024;

pub struct Conn {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    host: String,
    wbuf: Vec<u8>,
    rbuf: Vec<u8>,
    start: usize,
    end: usize,
}

/// What the caller keeps of a response body.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Body {
    Keep,
    /// Count the bytes only (getRepo, getBlob).
    Discard,
}

pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
    pub body_len: u64,
}

impl Response {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        Conn {
            addr,
            stream: None,
            host: addr.to_string(),
            wbuf: Vec::with_capacity(4096),
            rbuf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
        }
    }

    async fn stream(&mut self) -> io::Result<&mut TcpStream> {
        if self.stream.is_none() {
            let s = TcpStream::connect(self.addr).await?;
            s.set_nodelay(true)?;
            self.stream = Some(s);
            self.start = 0;
            self.end = 0;
        }
        Ok(self.stream.as_mut().expect("connected above"))
    }

    /// Sends one request and reads its response. Any I/O or framing error drops the connection
    /// (the next request opens a new one) and is returned: the caller counts it as a failure.
    pub async fn request(
        &mut self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        keep: Body,
    ) -> io::Result<Response> {
        let r = self
            .request_inner(method, path_and_query, headers, body, keep)
            .await;
        if r.is_err() {
            self.stream = None;
        }
        r
    }

    async fn request_inner(
        &mut self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        keep: Body,
    ) -> io::Result<Response> {
        let mut w = std::mem::take(&mut self.wbuf);
        w.clear();
        w.extend_from_slice(method.as_bytes());
        w.push(b' ');
        w.extend_from_slice(path_and_query.as_bytes());
        w.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        w.extend_from_slice(self.host.as_bytes());
        w.extend_from_slice(b"\r\n");
        for (k, v) in headers {
            w.extend_from_slice(k.as_bytes());
            w.extend_from_slice(b": ");
            w.extend_from_slice(v.as_bytes());
            w.extend_from_slice(b"\r\n");
        }
        if method != "GET" || !body.is_empty() {
            w.extend_from_slice(b"Content-Length: ");
            w.extend_from_slice(body.len().to_string().as_bytes());
            w.extend_from_slice(b"\r\n");
        }
        w.extend_from_slice(b"\r\n");
        let inline = body.len() <= INLINE_BODY;
        if inline {
            w.extend_from_slice(body);
        }
        let res = async {
            let s = self.stream().await?;
            s.write_all(&w).await?;
            if !inline {
                s.write_all(body).await?;
            }
            Ok::<_, io::Error>(())
        }
        .await;
        self.wbuf = w;
        res?;
        self.read_response(method == "HEAD", keep).await
    }

    /// Reads more bytes into the buffer, compacting or growing it first when full.
    async fn fill(&mut self) -> io::Result<usize> {
        if self.end == self.rbuf.len() {
            if self.start > 0 {
                self.rbuf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let n = self.rbuf.len();
                self.rbuf.resize(n * 2, 0);
            }
        }
        let (end, len) = (self.end, self.rbuf.len());
        let stream = self.stream.as_mut().ok_or_else(|| bad("not connected"))?;
        let n = stream.read(&mut self.rbuf[end..len]).await?;
        self.end += n;
        Ok(n)
    }

    async fn read_response(&mut self, head_only: bool, keep: Body) -> io::Result<Response> {
        let (status, framing, close, head_len) = loop {
            let mut hbuf = [httparse::EMPTY_HEADER; 48];
            let mut resp = httparse::Response::new(&mut hbuf);
            match resp
                .parse(&self.rbuf[self.start..self.end])
                .map_err(|e| bad(format!("bad response head: {e}")))?
            {
                httparse::Status::Complete(n) => {
                    let status = resp.code.unwrap_or(0);
                    let mut framing = Framing::UntilClose;
                    let mut close = resp.version == Some(0);
                    for h in resp.headers.iter() {
                        if h.name.eq_ignore_ascii_case("content-length") {
                            let v = std::str::from_utf8(h.value)
                                .ok()
                                .and_then(|v| v.trim().parse::<u64>().ok())
                                .ok_or_else(|| bad("bad content-length"))?;
                            if framing != Framing::Chunked {
                                framing = Framing::Length(v);
                            }
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            if contains_token(h.value, b"chunked") {
                                framing = Framing::Chunked;
                            }
                        } else if h.name.eq_ignore_ascii_case("connection")
                            && contains_token(h.value, b"close")
                        {
                            close = true;
                        }
                    }
                    break (status, framing, close, n);
                }
                httparse::Status::Partial => {
                    if self.fill().await? == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "connection closed before the response head",
                        ));
                    }
                }
            }
        };
        self.start += head_len;
        let framing = if head_only || status == 204 || status == 304 {
            Framing::Length(0)
        } else {
            framing
        };
        let mut body = Vec::new();
        let body_len = match framing {
            Framing::Length(n) => self.take(n, keep, &mut body).await?,
            Framing::Chunked => self.read_chunked(keep, &mut body).await?,
            Framing::UntilClose => {
                let mut total = 0u64;
                loop {
                    total += self.consume_buffered(u64::MAX, keep, &mut body);
                    if self.fill().await? == 0 {
                        break;
                    }
                }
                self.stream = None;
                total
            }
        };
        if close {
            self.stream = None;
        }
        Ok(Response {
            status,
            body,
            body_len,
        })
    }

    /// Moves up to `max` buffered bytes to the body (or drops them); returns how many.
    fn consume_buffered(&mut self, max: u64, keep: Body, body: &mut Vec<u8>) -> u64 {
        let avail = (self.end - self.start) as u64;
        let n = avail.min(max) as usize;
        if keep == Body::Keep {
            body.extend_from_slice(&self.rbuf[self.start..self.start + n]);
        }
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        n as u64
    }

    async fn take(&mut self, n: u64, keep: Body, body: &mut Vec<u8>) -> io::Result<u64> {
        if keep == Body::Keep {
            body.reserve(n as usize);
        }
        let mut left = n;
        loop {
            left -= self.consume_buffered(left, keep, body);
            if left == 0 {
                return Ok(n);
            }
            if self.fill().await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed inside a body",
                ));
            }
        }
    }

    /// A line ending in CRLF, without it.
    async fn line(&mut self) -> io::Result<String> {
        loop {
            if let Some(i) = self.rbuf[self.start..self.end]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                let line =
                    String::from_utf8_lossy(&self.rbuf[self.start..self.start + i]).into_owned();
                self.start += i + 2;
                return Ok(line);
            }
            if self.fill().await? == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed inside a chunk header",
                ));
            }
        }
    }

    async fn read_chunked(&mut self, keep: Body, body: &mut Vec<u8>) -> io::Result<u64> {
        let mut total = 0;
        loop {
            let line = self.line().await?;
            let size = line.split(';').next().unwrap_or("").trim();
            let size = u64::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
            if size == 0 {
                // Trailers, then an empty line.
                while !self.line().await?.is_empty() {}
                return Ok(total);
            }
            total += self.take(size, keep, body).await?;
            if !self.line().await?.is_empty() {
                return Err(bad("chunk not followed by CRLF"));
            }
        }
    }

    /// Hands the connection over (for the WebSocket upgrade), with any bytes read past the head.
    pub fn into_parts(mut self) -> Option<(TcpStream, Vec<u8>)> {
        let rest = self.rbuf[self.start..self.end].to_vec();
        self.stream.take().map(|s| (s, rest))
    }

    /// Sends a request head and reads only the response head (no body): for the WebSocket
    /// handshake. Returns the status.
    pub async fn upgrade(&mut self, path: &str, headers: &[(&str, &str)]) -> io::Result<u16> {
        let mut w = Vec::new();
        w.extend_from_slice(b"GET ");
        w.extend_from_slice(path.as_bytes());
        w.extend_from_slice(b" HTTP/1.1\r\nHost: ");
        w.extend_from_slice(self.host.as_bytes());
        w.extend_from_slice(b"\r\n");
        for (k, v) in headers {
            w.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        w.extend_from_slice(b"\r\n");
        self.stream().await?.write_all(&w).await?;
        loop {
            let mut hbuf = [httparse::EMPTY_HEADER; 48];
            let mut resp = httparse::Response::new(&mut hbuf);
            match resp
                .parse(&self.rbuf[self.start..self.end])
                .map_err(|e| bad(format!("bad response head: {e}")))?
            {
                httparse::Status::Complete(n) => {
                    let code = resp.code.unwrap_or(0);
                    self.start += n;
                    return Ok(code);
                }
                httparse::Status::Partial => {
                    if self.fill().await? == 0 {
                        return Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "connection closed before the upgrade answer",
                        ));
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

fn contains_token(value: &[u8], token: &[u8]) -> bool {
    value
        .split(|&b| b == b',')
        .any(|t| t.trim_ascii().eq_ignore_ascii_case(token))
}
