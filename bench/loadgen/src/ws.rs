//! A minimal WebSocket client for `com.atproto.sync.subscribeRepos` (RFC 6455, client side):
//! the upgrade, unmasked server frames, fragments, ping -> pong, close. Plus a small DAG-CBOR
//! reader that pulls out of each event only the fields the benchmark checks.

use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::http::Conn;

pub struct WsConn {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    message: Vec<u8>,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl WsConn {
    pub async fn connect(addr: SocketAddr, path: &str) -> io::Result<WsConn> {
        let mut conn = Conn::new(addr);
        // Any 16 bytes in base64 ("pdsd-bench-wskey"): the server only echoes a hash of it,
        // which we do not check. Servers refuse keys of another length.
        let status = conn
            .upgrade(
                path,
                &[
                    ("Upgrade", "websocket"),
                    ("Connection", "Upgrade"),
                    ("Sec-WebSocket-Key", "cGRzZC1iZW5jaC13c2tleQ=="),
                    ("Sec-WebSocket-Version", "13"),
                ],
            )
            .await?;
        if status != 101 {
            return Err(bad(format!("subscribeRepos upgrade answered {status}")));
        }
        let (stream, rest) = conn.into_parts().ok_or_else(|| bad("connection lost"))?;
        let mut buf = rest;
        let end = buf.len();
        buf.resize(end.max(256 * 1024), 0);
        Ok(WsConn {
            stream,
            buf,
            start: 0,
            end,
            message: Vec::new(),
        })
    }

    async fn need(&mut self, n: usize) -> io::Result<()> {
        while self.end - self.start < n {
            if self.start > 0 && self.start + n > self.buf.len() {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if n > self.buf.len() {
                self.buf.resize(n.next_power_of_two(), 0);
            }
            let end = self.end;
            let got = self.stream.read(&mut self.buf[end..]).await?;
            if got == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "firehose closed",
                ));
            }
            self.end += got;
        }
        Ok(())
    }

    async fn send_control(&mut self, opcode: u8, payload: &[u8]) -> io::Result<()> {
        // Client frames must be masked; the key need not be secret here.
        let key = [0x5a, 0x17, 0xc3, 0x9e];
        let mut f = vec![0x80 | opcode, 0x80 | payload.len().min(125) as u8];
        f.extend_from_slice(&key);
        f.extend(
            payload
                .iter()
                .take(125)
                .enumerate()
                .map(|(i, b)| b ^ key[i % 4]),
        );
        self.stream.write_all(&f).await
    }

    /// The next complete data message, or `None` when the server closed the stream.
    pub async fn next_message(&mut self) -> io::Result<Option<&[u8]>> {
        self.message.clear();
        loop {
            self.need(2).await?;
            let b0 = self.buf[self.start];
            let b1 = self.buf[self.start + 1];
            let fin = b0 & 0x80 != 0;
            let opcode = b0 & 0x0f;
            let masked = b1 & 0x80 != 0;
            let (len, hlen) = match b1 & 0x7f {
                126 => {
                    self.need(4).await?;
                    let s = self.start;
                    (
                        u16::from_be_bytes([self.buf[s + 2], self.buf[s + 3]]) as usize,
                        4,
                    )
                }
                127 => {
                    self.need(10).await?;
                    let s = self.start;
                    let mut b = [0u8; 8];
                    b.copy_from_slice(&self.buf[s + 2..s + 10]);
                    (u64::from_be_bytes(b) as usize, 10)
                }
                n => (n as usize, 2),
            };
            let hlen = hlen + if masked { 4 } else { 0 };
            self.need(hlen + len).await?;
            let s = self.start + hlen;
            let key = if masked {
                let k = s - 4;
                Some([
                    self.buf[k],
                    self.buf[k + 1],
                    self.buf[k + 2],
                    self.buf[k + 3],
                ])
            } else {
                None
            };
            let data = opcode <= 0x2;
            let from = self.message.len();
            let mut control = Vec::new();
            let dst = if data {
                &mut self.message
            } else {
                &mut control
            };
            dst.extend_from_slice(&self.buf[s..s + len]);
            if let Some(key) = key {
                let from = if data { from } else { 0 };
                for (i, b) in dst[from..].iter_mut().enumerate() {
                    *b ^= key[i % 4];
                }
            }
            self.start += hlen + len;
            if self.start == self.end {
                self.start = 0;
                self.end = 0;
            }
            match opcode {
                0x0..=0x2 => {
                    if fin {
                        return Ok(Some(&self.message));
                    }
                }
                0x8 => {
                    let _ = self
                        .send_control(0x8, &control[..control.len().min(2)])
                        .await;
                    return Ok(None);
                }
                0x9 => self.send_control(0xA, &control).await?,
                0xA => {}
                op => return Err(bad(format!("unknown websocket opcode {op}"))),
            }
        }
    }
}

/// The fields of one firehose frame the benchmark looks at.
#[derive(Default, Debug)]
pub struct Event {
    /// Header `t` (`#commit`, `#sync`, `#identity`, `#account`, ...); empty for error frames.
    pub kind: String,
    pub op: i64,
    pub seq: Option<i64>,
    pub repo: String,
    pub rev: String,
    pub error: String,
}

/// Decodes a frame: a DAG-CBOR header map then a DAG-CBOR body map.
pub fn decode_frame(b: &[u8]) -> Result<Event, String> {
    let mut r = Reader { b, p: 0 };
    let mut ev = Event::default();
    let n = r.map_len()?;
    for _ in 0..n {
        match r.text()? {
            "op" => ev.op = r.int()?,
            "t" => ev.kind = r.text()?.to_owned(),
            _ => r.skip()?,
        }
    }
    let n = r.map_len()?;
    for _ in 0..n {
        match r.text()? {
            "seq" => ev.seq = Some(r.int()?),
            "repo" | "did" => ev.repo = r.text()?.to_owned(),
            "rev" => ev.rev = r.text()?.to_owned(),
            "error" if ev.op == -1 => ev.error = r.text()?.to_owned(),
            _ => r.skip()?,
        }
    }
    Ok(ev)
}

struct Reader<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, String> {
        let v = *self.b.get(self.p).ok_or("truncated cbor")?;
        self.p += 1;
        Ok(v)
    }

    /// Major type and argument of the next item.
    fn head(&mut self) -> Result<(u8, u64), String> {
        let ib = self.byte()?;
        let major = ib >> 5;
        let info = ib & 0x1f;
        let arg = match info {
            0..=23 => info as u64,
            24 => self.byte()? as u64,
            25..=27 => {
                let n = 1usize << (info - 24);
                let s = self.b.get(self.p..self.p + n).ok_or("truncated cbor")?;
                self.p += n;
                s.iter().fold(0u64, |a, &x| (a << 8) | x as u64)
            }
            _ => {
                return Err(format!(
                    "unsupported cbor info {info} (indefinite lengths are not DAG-CBOR)"
                ));
            }
        };
        Ok((major, arg))
    }

    fn map_len(&mut self) -> Result<u64, String> {
        match self.head()? {
            (5, n) => Ok(n),
            (m, _) => Err(format!("expected a cbor map, got major type {m}")),
        }
    }

    fn text(&mut self) -> Result<&'a str, String> {
        match self.head()? {
            (3, n) => {
                let s = self
                    .b
                    .get(self.p..self.p + n as usize)
                    .ok_or("truncated cbor")?;
                self.p += n as usize;
                std::str::from_utf8(s).map_err(|_| "bad utf-8 in cbor".to_string())
            }
            (m, _) => Err(format!("expected cbor text, got major type {m}")),
        }
    }

    fn int(&mut self) -> Result<i64, String> {
        match self.head()? {
            (0, n) => Ok(n as i64),
            (1, n) => Ok(-1 - n as i64),
            (m, _) => Err(format!("expected a cbor integer, got major type {m}")),
        }
    }

    fn skip(&mut self) -> Result<(), String> {
        let (major, arg) = self.head()?;
        match major {
            0 | 1 | 7 => {}
            2 | 3 => {
                self.p += arg as usize;
                if self.p > self.b.len() {
                    return Err("truncated cbor".into());
                }
            }
            4 => {
                for _ in 0..arg {
                    self.skip()?;
                }
            }
            5 => {
                for _ in 0..arg * 2 {
                    self.skip()?;
                }
            }
            6 => self.skip()?,
            _ => unreachable!("major types are 3 bits"),
        }
        Ok(())
    }
}
