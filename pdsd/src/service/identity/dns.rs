//! A stub DNS client for the one query handle resolution needs: the TXT records of
//! `_atproto.<handle>` (https://atproto.com/specs/handle#dns-txt-method), asked of the system's
//! nameservers over UDP, retried over TCP when the answer is truncated.
//!
//! Written out rather than taken from a resolver crate: one record type over a recursive
//! nameserver is a few dozen lines of RFC 1035, while a full resolver would be the largest
//! dependency of the build.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

const TYPE_TXT: u16 = 16;
const CLASS_IN: u16 = 1;
const RCODE_NXDOMAIN: u8 = 3;
/// The UDP payload size advertised with EDNS(0): the size the DNS flag day 2020 settled on,
/// which avoids fragmentation and holds any sensible `_atproto` answer.
const EDNS_UDP_SIZE: u16 = 1232;

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("not a DNS name: {0}")]
    BadName(String),
    #[error("malformed DNS answer")]
    Malformed,
    #[error("nameserver answered with rcode {0}")]
    Rcode(u8),
    #[error("DNS query timed out")]
    Timeout,
    #[error("no nameserver configured")]
    NoNameserver,
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Asks recursive nameservers for TXT records.
#[derive(Debug, Clone)]
pub struct DnsClient {
    nameservers: Vec<SocketAddr>,
    timeout: Duration,
}

impl DnsClient {
    /// Queries `nameservers` in order, giving each `timeout`.
    pub fn new(nameservers: Vec<SocketAddr>, timeout: Duration) -> Self {
        DnsClient {
            nameservers,
            timeout,
        }
    }

    /// The nameservers of `/etc/resolv.conf`, or the local one when it names none (as the C
    /// library does).
    pub fn system(timeout: Duration) -> Self {
        let conf = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let mut nameservers = parse_resolv_conf(&conf);
        if nameservers.is_empty() {
            nameservers.push(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 53));
        }
        Self::new(nameservers, timeout)
    }

    /// The TXT records of `name`, each with its character-strings joined; empty when the name
    /// does not exist or has none. An error only when no nameserver gave an answer.
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, DnsError> {
        let mut last = DnsError::NoNameserver;
        for ns in &self.nameservers {
            match tokio::time::timeout(self.timeout, query(*ns, name)).await {
                Ok(Ok(answer)) => match answer.rcode {
                    0 => return Ok(answer.txt),
                    RCODE_NXDOMAIN => return Ok(Vec::new()),
                    rcode => last = DnsError::Rcode(rcode),
                },
                Ok(Err(DnsError::BadName(n))) => return Err(DnsError::BadName(n)),
                Ok(Err(e)) => last = e,
                Err(_) => last = DnsError::Timeout,
            }
        }
        Err(last)
    }
}

/// `nameserver` lines of resolv.conf; IPv6 addresses with a zone (`fe80::1%eth0`) are skipped.
fn parse_resolv_conf(conf: &str) -> Vec<SocketAddr> {
    conf.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some("nameserver"))
                .then(|| words.next()?.parse::<IpAddr>().ok())
                .flatten()
        })
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

/// One nameserver: UDP first, TCP when the UDP answer is truncated.
async fn query(ns: SocketAddr, name: &str) -> Result<Answer, DnsError> {
    let id = random_id();
    let packet = build_query(id, name)?;
    let bind: SocketAddr = if ns.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(bind).await?;
    // Connected: the kernel drops datagrams from anyone but the nameserver.
    socket.connect(ns).await?;
    socket.send(&packet).await?;
    let mut buf = vec![0u8; usize::from(EDNS_UDP_SIZE)];
    let answer = loop {
        let n = socket.recv(&mut buf).await?;
        match parse_response(&buf[..n]) {
            // Anything else is a stray or forged datagram; keep waiting for ours.
            Ok(a) if a.id == id => break a,
            _ => continue,
        }
    };
    if !answer.truncated {
        return Ok(answer);
    }
    let mut stream = TcpStream::connect(ns).await?;
    let len = u16::try_from(packet.len()).map_err(|_| DnsError::BadName(name.to_owned()))?;
    let mut framed = len.to_be_bytes().to_vec();
    framed.extend_from_slice(&packet);
    stream.write_all(&framed).await?;
    let len = stream.read_u16().await?;
    let mut buf = vec![0u8; usize::from(len)];
    stream.read_exact(&mut buf).await?;
    let answer = parse_response(&buf)?;
    if answer.id != id {
        return Err(DnsError::Malformed);
    }
    Ok(answer)
}

fn random_id() -> u16 {
    let mut b = [0u8; 2];
    // A predictable id only weakens spoofing resistance; the query still works.
    let _ = getrandom::fill(&mut b);
    u16::from_be_bytes(b)
}

/// A recursive query for the TXT records of `name`, with an EDNS(0) OPT record.
fn build_query(id: u16, name: &str) -> Result<Vec<u8>, DnsError> {
    let name = name.trim_end_matches('.');
    if name.is_empty() || name.len() > 253 {
        return Err(DnsError::BadName(name.to_owned()));
    }
    let mut q = Vec::with_capacity(name.len() + 40);
    q.extend_from_slice(&id.to_be_bytes());
    // Flags: recursion desired. Counts: 1 question, 0 answers, 0 authority, 1 additional.
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    for label in name.split('.') {
        let len = u8::try_from(label.len())
            .ok()
            .filter(|l| (1..=63).contains(l))
            .ok_or_else(|| DnsError::BadName(name.to_owned()))?;
        q.push(len);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&TYPE_TXT.to_be_bytes());
    q.extend_from_slice(&CLASS_IN.to_be_bytes());
    // OPT (RFC 6891): root name, type 41, class = UDP payload size, TTL 0, no data.
    q.push(0);
    q.extend_from_slice(&41u16.to_be_bytes());
    q.extend_from_slice(&EDNS_UDP_SIZE.to_be_bytes());
    q.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    Ok(q)
}

#[derive(Debug, PartialEq, Eq)]
struct Answer {
    id: u16,
    truncated: bool,
    rcode: u8,
    txt: Vec<String>,
}

/// Reads a response: its id, TC bit, rcode and the TXT records of its answer section.
fn parse_response(buf: &[u8]) -> Result<Answer, DnsError> {
    let mut r = Reader { buf, pos: 0 };
    let id = r.u16()?;
    let flags = r.u16()?;
    if flags & 0x8000 == 0 {
        // Not a response.
        return Err(DnsError::Malformed);
    }
    let truncated = flags & 0x0200 != 0;
    let rcode = (flags & 0x000f) as u8;
    let questions = r.u16()?;
    let answers = r.u16()?;
    r.skip(4)?;
    for _ in 0..questions {
        r.skip_name()?;
        r.skip(4)?;
    }
    let mut txt = Vec::new();
    if !truncated {
        for _ in 0..answers {
            r.skip_name()?;
            let rtype = r.u16()?;
            let class = r.u16()?;
            r.skip(4)?;
            let len = usize::from(r.u16()?);
            let data = r.take(len)?;
            if rtype == TYPE_TXT && class == CLASS_IN {
                txt.push(txt_rdata(data)?);
            }
        }
    }
    Ok(Answer {
        id,
        truncated,
        rcode,
        txt,
    })
}

/// TXT data is a sequence of length-prefixed character-strings; a record's value is their
/// concatenation (as the reference joins the chunks).
fn txt_rdata(mut data: &[u8]) -> Result<String, DnsError> {
    let mut out = Vec::with_capacity(data.len());
    while let Some((&len, rest)) = data.split_first() {
        let len = usize::from(len);
        let chunk = rest.get(..len).ok_or(DnsError::Malformed)?;
        out.extend_from_slice(chunk);
        data = &rest[len..];
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], DnsError> {
        let end = self.pos.checked_add(n).ok_or(DnsError::Malformed)?;
        let s = self.buf.get(self.pos..end).ok_or(DnsError::Malformed)?;
        self.pos = end;
        Ok(s)
    }

    fn skip(&mut self, n: usize) -> Result<(), DnsError> {
        self.take(n).map(|_| ())
    }

    fn u16(&mut self) -> Result<u16, DnsError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Skips a possibly compressed name: labels up to the root label or a 2-byte pointer.
    fn skip_name(&mut self) -> Result<(), DnsError> {
        loop {
            let len = self.take(1)?[0];
            match len & 0xc0 {
                0x00 if len == 0 => return Ok(()),
                0x00 => self.skip(usize::from(len))?,
                0xc0 => return self.skip(1),
                _ => return Err(DnsError::Malformed),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Answers every query on a loopback UDP port with `txt` (or NXDOMAIN when `None`),
    /// truncating over UDP when `truncate` so the client must retry over TCP on the same port.
    pub(crate) async fn fake_nameserver(
        txt: Option<Vec<&'static str>>,
        truncate: bool,
    ) -> SocketAddr {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        let tcp = tokio::net::TcpListener::bind(addr).await.unwrap();
        let txt2 = txt.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            loop {
                let (n, peer) = udp.recv_from(&mut buf).await.unwrap();
                let resp = respond(&buf[..n], txt.as_deref(), truncate);
                udp.send_to(&resp, peer).await.unwrap();
            }
        });
        tokio::spawn(async move {
            loop {
                let (mut s, _) = tcp.accept().await.unwrap();
                let len = s.read_u16().await.unwrap();
                let mut q = vec![0u8; usize::from(len)];
                s.read_exact(&mut q).await.unwrap();
                let resp = respond(&q, txt2.as_deref(), false);
                s.write_u16(resp.len() as u16).await.unwrap();
                s.write_all(&resp).await.unwrap();
            }
        });
        addr
    }

    fn respond(query: &[u8], txt: Option<&[&str]>, truncate: bool) -> Vec<u8> {
        // The question ends 4 bytes after the first root label following the header.
        let qend = 12 + query[12..].iter().position(|&b| b == 0).unwrap() + 1 + 4;
        let mut r = query[..2].to_vec();
        let mut flags: u16 = 0x8180;
        if truncate {
            flags |= 0x0200;
        }
        if txt.is_none() {
            flags |= u16::from(RCODE_NXDOMAIN);
        }
        r.extend_from_slice(&flags.to_be_bytes());
        let answers = if truncate {
            0
        } else {
            txt.map_or(0, <[_]>::len)
        };
        r.extend_from_slice(&[0, 1, 0, answers as u8, 0, 0, 0, 0]);
        r.extend_from_slice(&query[12..qend]);
        for t in txt.unwrap_or_default().iter().take(answers) {
            // Pointer to the question name; split long values into 255-byte strings.
            r.extend_from_slice(&[0xc0, 12, 0, 16, 0, 1, 0, 0, 1, 44]);
            let mut data = Vec::new();
            for chunk in t.as_bytes().chunks(255) {
                data.push(chunk.len() as u8);
                data.extend_from_slice(chunk);
            }
            r.extend_from_slice(&(data.len() as u16).to_be_bytes());
            r.extend_from_slice(&data);
        }
        r
    }

    fn client(ns: SocketAddr) -> DnsClient {
        DnsClient::new(vec![ns], Duration::from_secs(2))
    }

    #[test]
    fn queries_are_recursive_txt_questions_with_edns() {
        let q = build_query(0x1234, "_atproto.alice.example.com.").unwrap();
        assert_eq!(&q[..4], &[0x12, 0x34, 0x01, 0x00]);
        assert_eq!(&q[12..22], b"\x08_atproto\x05");
        assert_eq!(q.len(), 12 + 28 + 4 + 11);
        assert!(matches!(
            build_query(1, &format!("{}.com", "a".repeat(64))),
            Err(DnsError::BadName(_))
        ));
        assert!(matches!(build_query(1, "a..b"), Err(DnsError::BadName(_))));
    }

    #[test]
    fn resolv_conf_nameservers_are_read() {
        let conf = "# comment\nsearch example.com\nnameserver 10.0.0.1\nnameserver ::1\n\
                    nameserver fe80::1%eth0\noptions ndots:1\n";
        assert_eq!(
            parse_resolv_conf(conf),
            vec!["10.0.0.1:53".parse().unwrap(), "[::1]:53".parse().unwrap()]
        );
    }

    #[test]
    fn malformed_answers_are_errors_not_panics() {
        assert!(parse_response(&[]).is_err());
        assert!(parse_response(&[0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 5, b'a']).is_err());
        // A query (QR bit clear) is not an answer.
        let q = build_query(7, "a.com").unwrap();
        assert!(parse_response(&q).is_err());
        assert!(txt_rdata(&[5, b'a']).is_err());
    }

    #[tokio::test]
    async fn txt_records_are_read_and_long_values_joined() {
        let long: &'static str =
            Box::leak(format!("did=did:web:{}", "x".repeat(300)).into_boxed_str());
        let ns = fake_nameserver(Some(vec!["did=did:plc:abc", long]), false).await;
        let got = client(ns).txt("_atproto.alice.com").await.unwrap();
        assert_eq!(got, vec!["did=did:plc:abc".to_string(), long.to_string()]);
    }

    #[tokio::test]
    async fn a_missing_name_is_no_records() {
        let ns = fake_nameserver(None, false).await;
        assert!(
            client(ns)
                .txt("_atproto.nobody.com")
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn truncated_answers_are_retried_over_tcp() {
        let ns = fake_nameserver(Some(vec!["did=did:plc:tcp"]), true).await;
        let got = client(ns).txt("_atproto.big.com").await.unwrap();
        assert_eq!(got, vec!["did=did:plc:tcp".to_string()]);
    }

    #[tokio::test]
    async fn a_silent_nameserver_times_out() {
        // Bound but never answering.
        let silent = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let c = DnsClient::new(
            vec![silent.local_addr().unwrap()],
            Duration::from_millis(100),
        );
        assert!(matches!(
            c.txt("_atproto.a.com").await,
            Err(DnsError::Timeout)
        ));
    }
}
