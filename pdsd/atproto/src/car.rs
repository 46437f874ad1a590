//! CAR (Content Addressable aRchive) version 1 files: the format of repository exports
//! (`com.atproto.sync.getRepo`), block transfers (`getBlocks`) and firehose commit diffs.
//!
//! A CARv1 file is a length-prefixed DAG-CBOR header `{"roots": [cid...], "version": 1}`
//! followed by sections, each an unsigned LEB128 length and then that many bytes: a binary CID
//! immediately followed by the block's data (<https://ipld.io/specs/transport/car/carv1/>).
//!
//! [`CarReader`] streams: it holds one block at a time, so memory stays bounded by the configured
//! [`CarLimits`] however large the file is. Every block is verified against its CID (sha2-256),
//! lengths are checked against the limits before anything is allocated, and hostile or truncated
//! input is an error, never a panic. [`CarWriter`] writes the same format to any
//! [`std::io::Write`]. [`read_car`] and [`write_car`] are in-memory conveniences.

use std::borrow::Borrow;
use std::io::{self, ErrorKind, Read, Write};
use std::iter::FusedIterator;

use crate::cbor::{self, CborError, Decoder};
use crate::cid::{self, Cid, CidError};

/// Default limit on a block's data: atproto records are at most 1 MiB and MST nodes are small.
pub const DEFAULT_MAX_BLOCK_SIZE: usize = 2 << 20;
/// Default limit on the encoded header (a CID link takes about 40 bytes).
pub const DEFAULT_MAX_HEADER_SIZE: usize = 64 << 10;

/// A block as read from a CAR: its CID and its data.
pub type Block = (Cid, Vec<u8>);

/// Longest binary CID [`Cid`] carries: four varints and a digest of at most 64 bytes.
const MAX_CID_BYTES: usize = 72;
/// An unsigned varint is at most 9 bytes (63 bits), as multiformats specifies.
const MAX_VARINT_BYTES: usize = 9;

/// Why a byte stream is not a valid CARv1 file (or could not be read or written).
#[derive(Debug, thiserror::Error)]
pub enum CarError {
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    #[error("car file ends in the middle of a header, section or length")]
    Truncated,
    #[error("car length prefix is not a minimal varint of at most 9 bytes")]
    BadVarint,
    #[error("car header of {len} bytes is over the limit of {max} bytes")]
    HeaderTooLarge { len: u64, max: usize },
    #[error("invalid car header: {0}")]
    InvalidHeader(#[from] CborError),
    #[error("car version {0} is not supported (only version 1)")]
    UnsupportedVersion(u64),
    #[error("car header has no version")]
    MissingVersion,
    #[error("car header has no roots")]
    MissingRoots,
    #[error("car block of {len} bytes is over the limit of {max} bytes")]
    BlockTooLarge { len: u64, max: usize },
    #[error("car section is empty (it must hold at least a cid)")]
    EmptySection,
    #[error("invalid block cid: {0}")]
    InvalidCid(#[from] CidError),
    #[error("block cid uses hash function {0:#x}; only sha2-256 can be verified")]
    UnsupportedHash(u64),
    #[error("block data does not hash to its cid {0}")]
    CidMismatch(Cid),
    #[error("car reader already failed and cannot continue")]
    Failed,
}

/// Size limits applied while reading; lengths over them are refused before allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CarLimits {
    /// Largest block data accepted (the section minus its CID).
    pub max_block_size: usize,
    /// Largest encoded header accepted.
    pub max_header_size: usize,
}

impl Default for CarLimits {
    fn default() -> Self {
        CarLimits {
            max_block_size: DEFAULT_MAX_BLOCK_SIZE,
            max_header_size: DEFAULT_MAX_HEADER_SIZE,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Encodes the DAG-CBOR header `{"roots": [...], "version": 1}` ("roots" sorts first).
fn encode_header(roots: &[Cid]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + roots.len() * (MAX_CID_BYTES + 4));
    cbor::write_map_head(&mut out, 2);
    cbor::write_text(&mut out, "roots");
    cbor::write_array_head(&mut out, roots.len());
    for root in roots {
        cbor::write_cid(&mut out, root);
    }
    cbor::write_text(&mut out, "version");
    cbor::write_int(&mut out, 1);
    out
}

/// The length prefix and CID of a section, ready to precede the data; returns the used length.
fn section_head(cid: &Cid, data_len: usize, head: &mut [u8; 10 + MAX_CID_BYTES]) -> usize {
    let cid = cid.as_bytes();
    let n = cid::write_varint_into((cid.len() + data_len) as u64, head);
    head[n..n + cid.len()].copy_from_slice(cid);
    n + cid.len()
}

/// Streams a CARv1 file to a writer. Wrap unbuffered writers (files, sockets) in a
/// [`std::io::BufWriter`]: each block is written with two `write_all` calls.
///
/// The writer trusts its caller: block data is not re-hashed against its CID.
pub struct CarWriter<W: Write> {
    out: W,
    written: u64,
}

impl<W: Write> CarWriter<W> {
    /// Writes the header naming `roots` (atproto repository exports have exactly one, the
    /// signed commit; `getBlocks` responses may have none).
    pub fn new(mut out: W, roots: &[Cid]) -> io::Result<Self> {
        let header = encode_header(roots);
        let mut prefix = [0u8; 10];
        let n = cid::write_varint_into(header.len() as u64, &mut prefix);
        out.write_all(&prefix[..n])?;
        out.write_all(&header)?;
        Ok(CarWriter {
            out,
            written: (n + header.len()) as u64,
        })
    }

    /// Appends one block as a section: length, CID, data.
    pub fn write_block(&mut self, cid: &Cid, data: &[u8]) -> io::Result<()> {
        let mut head = [0u8; 10 + MAX_CID_BYTES];
        let n = section_head(cid, data.len(), &mut head);
        self.out.write_all(&head[..n])?;
        self.out.write_all(data)?;
        self.written += (n + data.len()) as u64;
        Ok(())
    }

    /// Bytes written so far, header included.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// The underlying writer.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Encodes a whole CARv1 file in memory.
///
/// Blocks are written in the order given; any pairing of a CID (`Cid` or `&Cid`) with bytes
/// (`Vec<u8>`, `&[u8]`, ...) is accepted.
pub fn write_car<I, C, D>(roots: &[Cid], blocks: I) -> Vec<u8>
where
    I: IntoIterator<Item = (C, D)>,
    C: Borrow<Cid>,
    D: AsRef<[u8]>,
{
    let header = encode_header(roots);
    let mut out = Vec::with_capacity(header.len() + 4096);
    cid::push_varint(header.len() as u64, &mut out);
    out.extend_from_slice(&header);
    let mut head = [0u8; 10 + MAX_CID_BYTES];
    for (cid, data) in blocks {
        let data = data.as_ref();
        let n = section_head(cid.borrow(), data.len(), &mut head);
        out.extend_from_slice(&head[..n]);
        out.extend_from_slice(data);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Reading

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Reading,
    Done,
    Failed,
}

/// Streams the blocks of a CARv1 file, verifying each against its CID.
///
/// The reader pulls single bytes for length prefixes and CIDs, so wrap unbuffered sources
/// (files, sockets) in a [`std::io::BufReader`]; `&[u8]` needs no wrapping. Memory use is the
/// roots plus one reused internal buffer that grows (at most doubling) when a larger block
/// arrives, never past [`CarLimits::max_block_size`].
///
/// The header's map keys may come in any order and unknown keys are ignored, but `version` must
/// be 1 and `roots` an array of links. A clean end of input at a section boundary ends the
/// blocks; an end anywhere else is [`CarError::Truncated`]. After any error the reader is
/// spent: [`CarReader::next_block`] returns [`CarError::Failed`] and the iterator ends.
pub struct CarReader<R: Read> {
    input: R,
    roots: Vec<Cid>,
    limits: CarLimits,
    buf: Vec<u8>,
    state: State,
}

impl<R: Read> CarReader<R> {
    /// Reads and validates the header with the default [`CarLimits`].
    pub fn new(input: R) -> Result<Self, CarError> {
        Self::with_limits(input, CarLimits::default())
    }

    /// Reads and validates the header with the given limits.
    pub fn with_limits(input: R, limits: CarLimits) -> Result<Self, CarError> {
        let mut reader = CarReader {
            input,
            roots: Vec::new(),
            limits,
            buf: Vec::new(),
            state: State::Reading,
        };
        let len = reader.read_varint()?.ok_or(CarError::Truncated)?;
        if len > limits.max_header_size as u64 {
            return Err(CarError::HeaderTooLarge {
                len,
                max: limits.max_header_size,
            });
        }
        let mut header = vec![0u8; len as usize];
        fill(&mut reader.input, &mut header)?;
        reader.roots = parse_header(&header)?;
        Ok(reader)
    }

    /// The root CIDs named by the header.
    pub fn roots(&self) -> &[Cid] {
        &self.roots
    }

    /// The limits in force.
    pub fn limits(&self) -> CarLimits {
        self.limits
    }

    /// Capacity of the internal block buffer (never more than the block limit).
    pub fn buffer_capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// The underlying reader, positioned after the last section read.
    pub fn into_inner(self) -> R {
        self.input
    }

    /// The next verified block, borrowed from the internal buffer (no allocation once the
    /// buffer has grown to the size of the largest block), or `None` at the end of the file.
    pub fn next_block_ref(&mut self) -> Result<Option<(Cid, &[u8])>, CarError> {
        match self.state {
            State::Reading => {}
            State::Done => return Ok(None),
            State::Failed => return Err(CarError::Failed),
        }
        match self.read_section() {
            Ok(Some((cid, len))) => Ok(Some((cid, &self.buf[..len]))),
            Ok(None) => {
                self.state = State::Done;
                Ok(None)
            }
            Err(e) => {
                self.state = State::Failed;
                Err(e)
            }
        }
    }

    /// The next verified block with its data in a fresh vector, or `None` at the end of the
    /// file.
    pub fn next_block(&mut self) -> Result<Option<Block>, CarError> {
        Ok(self
            .next_block_ref()?
            .map(|(cid, data)| (cid, data.to_vec())))
    }

    /// Reads one section into `self.buf`, returning its CID and data length.
    fn read_section(&mut self) -> Result<Option<(Cid, usize)>, CarError> {
        let Some(section_len) = self.read_varint()? else {
            return Ok(None);
        };
        let max = self.limits.max_block_size;
        if section_len == 0 {
            return Err(CarError::EmptySection);
        }
        if section_len > max.saturating_add(MAX_CID_BYTES) as u64 {
            return Err(CarError::BlockTooLarge {
                len: section_len,
                max,
            });
        }
        // Now bounded by the block limit, so it fits a usize.
        let section_len = section_len as usize;
        let (cid, cid_len) = self.read_cid(section_len)?;
        let data_len = section_len - cid_len;
        if data_len > max {
            return Err(CarError::BlockTooLarge {
                len: data_len as u64,
                max,
            });
        }
        if self.buf.len() < data_len {
            // Grow geometrically for amortised cost, but never past the block limit.
            let target = self.buf.len().saturating_mul(2).clamp(data_len, max);
            self.buf.reserve_exact(target - self.buf.len());
            self.buf.resize(target, 0);
        }
        fill(&mut self.input, &mut self.buf[..data_len])?;
        let hash = cid.hash_code();
        if hash != cid::SHA2_256 {
            return Err(CarError::UnsupportedHash(hash));
        }
        if !cid.matches(&self.buf[..data_len]) {
            return Err(CarError::CidMismatch(cid));
        }
        Ok(Some((cid, data_len)))
    }

    /// Reads the binary CID opening a section of `section_len` bytes: four varints (version,
    /// codec, hash function, digest length) and the digest. Returns it and its length.
    fn read_cid(&mut self, section_len: usize) -> Result<(Cid, usize), CarError> {
        let mut bytes = [0u8; MAX_CID_BYTES];
        let mut n = 0;
        for _ in 0..4 {
            let mut k = 0;
            loop {
                if n >= section_len {
                    return Err(CidError::Truncated.into());
                }
                if n >= MAX_CID_BYTES {
                    return Err(CidError::TooLong.into());
                }
                let b = self.read_byte()?.ok_or(CarError::Truncated)?;
                bytes[n] = b;
                n += 1;
                k += 1;
                if b & 0x80 == 0 {
                    break;
                }
                if k == MAX_VARINT_BYTES {
                    return Err(CidError::BadVarint.into());
                }
            }
        }
        let mut pos = 0;
        let mut fields = [0u64; 4];
        for f in &mut fields {
            *f = cid::read_varint(&bytes[..n], &mut pos)?;
        }
        if fields[0] != 1 {
            return Err(CidError::UnsupportedVersion(fields[0]).into());
        }
        let digest_len = fields[3];
        if digest_len > 64 {
            return Err(CidError::TooLong.into());
        }
        let end = n + digest_len as usize;
        if end > section_len {
            return Err(CidError::Truncated.into());
        }
        if end > MAX_CID_BYTES {
            return Err(CidError::TooLong.into());
        }
        fill(&mut self.input, &mut bytes[n..end])?;
        Ok((Cid::from_bytes(&bytes[..end])?, end))
    }

    /// One byte, or `None` at the end of input.
    fn read_byte(&mut self) -> Result<Option<u8>, CarError> {
        let mut b = [0u8; 1];
        loop {
            return match self.input.read(&mut b) {
                Ok(0) => Ok(None),
                Ok(_) => Ok(Some(b[0])),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => Err(e.into()),
            };
        }
    }

    /// A length prefix, or `None` if input ends cleanly before its first byte.
    fn read_varint(&mut self) -> Result<Option<u64>, CarError> {
        let mut value = 0u64;
        for i in 0..MAX_VARINT_BYTES {
            let Some(b) = self.read_byte()? else {
                return if i == 0 {
                    Ok(None)
                } else {
                    Err(CarError::Truncated)
                };
            };
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                // A final zero group after the first byte means the varint was not minimal.
                if b == 0 && i > 0 {
                    return Err(CarError::BadVarint);
                }
                return Ok(Some(value));
            }
        }
        Err(CarError::BadVarint)
    }
}

/// Fills `buf`, turning an early end of input into [`CarError::Truncated`].
fn fill<R: Read>(input: &mut R, buf: &mut [u8]) -> Result<(), CarError> {
    input.read_exact(buf).map_err(|e| {
        if e.kind() == ErrorKind::UnexpectedEof {
            CarError::Truncated
        } else {
            CarError::Io(e)
        }
    })
}

/// Decodes the header map and returns its roots.
fn parse_header(bytes: &[u8]) -> Result<Vec<Cid>, CarError> {
    let mut d = Decoder::new(bytes);
    let entries = d.read_map_len()?;
    let mut version = None;
    let mut roots = None;
    for _ in 0..entries {
        match d.read_text()? {
            "version" => {
                if version.is_some() {
                    return Err(CborError::Schema("duplicate key \"version\"".into()).into());
                }
                version = Some(d.read_uint()?);
            }
            "roots" => {
                if roots.is_some() {
                    return Err(CborError::Schema("duplicate key \"roots\"".into()).into());
                }
                let n = d.read_array_len()?;
                let mut list = Vec::with_capacity(n);
                for _ in 0..n {
                    list.push(d.read_cid()?);
                }
                roots = Some(list);
            }
            _ => d.skip_value()?,
        }
    }
    d.finish()?;
    match version {
        None => return Err(CarError::MissingVersion),
        Some(1) => {}
        Some(v) => return Err(CarError::UnsupportedVersion(v)),
    }
    roots.ok_or(CarError::MissingRoots)
}

impl<R: Read> Iterator for CarReader<R> {
    type Item = Result<Block, CarError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state == State::Failed {
            return None;
        }
        self.next_block().transpose()
    }
}

impl<R: Read> FusedIterator for CarReader<R> {}

/// Reads a whole CARv1 file held in memory: its roots and its verified blocks, in file order.
pub fn read_car(bytes: &[u8]) -> Result<(Vec<Cid>, Vec<Block>), CarError> {
    let mut reader = CarReader::new(bytes)?;
    let mut blocks = Vec::new();
    while let Some(block) = reader.next_block()? {
        blocks.push(block);
    }
    Ok((reader.roots, blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_the_canonical_dag_cbor_map() {
        let root = Cid::for_dag_cbor(b"\xa0");
        let car = write_car(&[root], std::iter::empty::<(Cid, Vec<u8>)>());
        let mut expected = vec![0x3a, 0xa2, 0x65];
        expected.extend_from_slice(b"roots");
        expected.extend_from_slice(&[0x81, 0xd8, 0x2a, 0x58, 0x25, 0x00]);
        expected.extend_from_slice(root.as_bytes());
        expected.push(0x67);
        expected.extend_from_slice(b"version");
        expected.push(0x01);
        assert_eq!(car, expected);
        assert_eq!(parse_header(&car[1..]).unwrap(), vec![root]);
    }

    #[test]
    fn length_varints_are_minimal_and_bounded() {
        let read = |bytes: &[u8]| {
            let mut r = CarReader {
                input: bytes,
                roots: Vec::new(),
                limits: CarLimits::default(),
                buf: Vec::new(),
                state: State::Reading,
            };
            r.read_varint()
        };
        assert_eq!(read(&[]).unwrap(), None);
        assert_eq!(read(&[0x00]).unwrap(), Some(0));
        assert_eq!(read(&[0xac, 0x02]).unwrap(), Some(300));
        assert!(matches!(read(&[0xac]), Err(CarError::Truncated)));
        assert!(matches!(read(&[0x80, 0x00]), Err(CarError::BadVarint)));
        assert!(matches!(read(&[0xff; 10]), Err(CarError::BadVarint)));
        let mut max = [0xff; 9];
        max[8] = 0x7f;
        assert_eq!(read(&max).unwrap(), Some(u64::MAX >> 1));
    }

    #[test]
    fn section_heads_put_the_cid_after_the_length() {
        let cid = Cid::for_raw(b"abc");
        let mut head = [0u8; 10 + MAX_CID_BYTES];
        let n = section_head(&cid, 200, &mut head);
        assert_eq!(&head[..2], &[0xec, 0x01]); // 236 = 36 + 200
        assert_eq!(&head[2..n], cid.as_bytes());
    }
}
