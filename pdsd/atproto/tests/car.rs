//! CARv1 reading and writing: round trips, truncation, limits, corruption, hostile headers,
//! fuzzing for panics and a bounded-memory stream of about a gigabyte.

use std::io::{self, BufReader, BufWriter, Read};

use atproto::Cid;
use atproto::car::{
    CarError, CarLimits, CarReader, CarWriter, DEFAULT_MAX_BLOCK_SIZE, read_car, write_car,
};
use atproto::cbor::{self, CborError};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Helpers

fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

/// Deterministic pseudo-random bytes (xorshift), so tests need no seeds.
fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A block of `len` bytes with its CID; even seeds are dag-cbor, odd ones raw (the reader
/// verifies either).
fn block(seed: u64, len: usize) -> (Cid, Vec<u8>) {
    let data = pseudo_random(seed, len);
    let cid = if seed.is_multiple_of(2) {
        Cid::for_dag_cbor(&data)
    } else {
        Cid::for_raw(&data)
    };
    (cid, data)
}

/// A CAR from raw header bytes (prefixed with their length) and nothing else.
fn car_with_header(header: &[u8]) -> Vec<u8> {
    let mut out = varint(header.len() as u64);
    out.extend_from_slice(header);
    out
}

fn read_err(bytes: &[u8]) -> CarError {
    match read_car(bytes) {
        Ok((roots, blocks)) => panic!(
            "expected an error, read {} roots and {} blocks",
            roots.len(),
            blocks.len()
        ),
        Err(e) => e,
    }
}

/// Hands out at most three bytes per call and interrupts every fifth call.
struct Trickle<'a> {
    data: &'a [u8],
    calls: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(5) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "try again"));
        }
        let n = buf.len().min(3).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

// ---------------------------------------------------------------------------------------------
// Round trips

#[test]
fn many_blocks_round_trip_with_their_root() {
    let mut blocks: Vec<(Cid, Vec<u8>)> = (0..3000u64)
        .map(|i| block(i, (i as usize * 37) % 600))
        .collect();
    blocks.push(block(99_991, 0));
    blocks.push(block(99_992, 300_000));
    let root = blocks[0].0;

    let mut writer = CarWriter::new(BufWriter::new(Vec::new()), &[root]).unwrap();
    for (cid, data) in &blocks {
        writer.write_block(cid, data).unwrap();
    }
    let written = writer.bytes_written();
    let car = writer.finish().unwrap().into_inner().unwrap();
    assert_eq!(written, car.len() as u64);
    assert_eq!(car, write_car(&[root], blocks.iter().map(|(c, d)| (c, d))));
    assert_eq!(car, write_car(&[root], blocks.clone()));

    let (roots, read) = read_car(&car).unwrap();
    assert_eq!(roots, vec![root]);
    assert_eq!(read, blocks);

    // Streaming through a tiny buffer, as an iterator.
    let reader = CarReader::new(BufReader::with_capacity(7, car.as_slice())).unwrap();
    assert_eq!(reader.roots(), &[root]);
    let streamed: Vec<_> = reader.map(Result::unwrap).collect();
    assert_eq!(streamed, blocks);

    // Short reads and interruptions, borrowing each block.
    let mut reader = CarReader::new(Trickle {
        data: &car,
        calls: 0,
    })
    .unwrap();
    let mut i = 0;
    while let Some((cid, data)) = reader.next_block_ref().unwrap() {
        assert_eq!((cid, data), (blocks[i].0, blocks[i].1.as_slice()));
        i += 1;
    }
    assert_eq!(i, blocks.len());
    assert!(reader.buffer_capacity() <= DEFAULT_MAX_BLOCK_SIZE);
    assert!(reader.next_block().unwrap().is_none());
}

#[test]
fn cars_with_no_roots_or_several_roots_round_trip() {
    let (cid, data) = block(1, 10);
    let car = write_car(&[], [(cid, data.clone())]);
    assert_eq!(read_car(&car).unwrap(), (vec![], vec![(cid, data)]));

    let roots = [block(2, 5).0, block(3, 5).0];
    let car = write_car(&roots, std::iter::empty::<(Cid, Vec<u8>)>());
    assert_eq!(read_car(&car).unwrap(), (roots.to_vec(), vec![]));
}

// ---------------------------------------------------------------------------------------------
// Truncation

#[test]
fn truncation_at_every_offset_is_an_error_except_at_section_boundaries() {
    let blocks: Vec<_> = [0usize, 1, 40, 130, 300]
        .iter()
        .enumerate()
        .map(|(i, &len)| block(i as u64, len))
        .collect();
    let root = blocks[2].0;
    let car = write_car(&[root], blocks.clone());

    // Where the header and each section end.
    let section_lens: Vec<usize> = blocks
        .iter()
        .map(|(c, d)| {
            let len = c.as_bytes().len() + d.len();
            varint(len as u64).len() + len
        })
        .collect();
    let mut boundaries = vec![car.len() - section_lens.iter().sum::<usize>()];
    for len in &section_lens {
        boundaries.push(boundaries.last().unwrap() + len);
    }

    for cut in 0..=car.len() {
        let bytes = &car[..cut];
        match boundaries.iter().position(|&b| b == cut) {
            Some(complete) => {
                let (roots, read) = read_car(bytes).unwrap();
                assert_eq!(roots, vec![root], "cut at {cut}");
                assert_eq!(read, blocks[..complete], "cut at {cut}");
            }
            None => {
                assert!(
                    matches!(read_err(bytes), CarError::Truncated),
                    "cut at {cut}: {}",
                    read_err(bytes)
                );
                // Streaming yields exactly the complete sections, then the error.
                if cut >= boundaries[0] {
                    let complete = boundaries.iter().filter(|&&b| b < cut).count() - 1;
                    let mut reader = CarReader::new(bytes).unwrap();
                    for expected in &blocks[..complete] {
                        assert_eq!(&reader.next_block().unwrap().unwrap(), expected);
                    }
                    assert!(matches!(reader.next_block(), Err(CarError::Truncated)));
                    assert!(matches!(reader.next_block(), Err(CarError::Failed)));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Limits

#[test]
fn a_length_prefix_of_two_to_the_forty_is_refused_before_allocating() {
    for huge in [1u64 << 40, u64::MAX >> 1] {
        let mut car = write_car(&[block(0, 3).0], std::iter::empty::<(Cid, Vec<u8>)>());
        car.extend_from_slice(&varint(huge));
        let mut reader = CarReader::new(car.as_slice()).unwrap();
        match reader.next_block() {
            Err(CarError::BlockTooLarge { len, max }) => {
                assert_eq!((len, max), (huge, DEFAULT_MAX_BLOCK_SIZE));
            }
            other => panic!("expected BlockTooLarge, got {other:?}"),
        }
        assert_eq!(reader.buffer_capacity(), 0);

        // The same for the header's length.
        match CarReader::new(varint(huge).as_slice()) {
            Err(CarError::HeaderTooLarge { len, .. }) => assert_eq!(len, huge),
            Err(e) => panic!("expected HeaderTooLarge, got {e}"),
            Ok(_) => panic!("expected HeaderTooLarge, got a reader"),
        }
    }
}

#[test]
fn the_block_limit_is_configurable_and_bounds_the_buffer() {
    let limits = CarLimits {
        max_block_size: 1000,
        ..CarLimits::default()
    };
    let fits = block(1, 1000);
    let over = block(2, 1001);
    let car = write_car(&[fits.0], [fits.clone(), block(3, 10), over.clone()]);
    let mut reader = CarReader::with_limits(car.as_slice(), limits).unwrap();
    assert_eq!(reader.limits(), limits);
    assert_eq!(reader.next_block().unwrap().unwrap(), fits);
    assert_eq!(reader.next_block().unwrap().unwrap(), block(3, 10));
    assert_eq!(reader.buffer_capacity(), 1000);
    match reader.next_block() {
        Err(CarError::BlockTooLarge { len, max }) => assert_eq!((len, max), (1001, 1000)),
        other => panic!("expected BlockTooLarge, got {other:?}"),
    }
    assert_eq!(reader.buffer_capacity(), 1000);

    // A header over its limit.
    let small_header = CarLimits {
        max_header_size: 20,
        ..CarLimits::default()
    };
    assert!(matches!(
        CarReader::with_limits(car.as_slice(), small_header),
        Err(CarError::HeaderTooLarge { max: 20, .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Corrupt sections

#[test]
fn a_corrupted_byte_in_block_data_is_a_cid_mismatch() {
    let blocks: Vec<_> = (0..3).map(|i| block(i, 64)).collect();
    let car = write_car(&[blocks[0].0], blocks.clone());
    let last_data_start = car.len() - 64;

    let mut bad = car.clone();
    bad[last_data_start + 10] ^= 0x01;
    let mut reader = CarReader::new(bad.as_slice()).unwrap();
    assert_eq!(reader.next_block().unwrap().unwrap(), blocks[0]);
    assert_eq!(reader.next_block().unwrap().unwrap(), blocks[1]);
    match reader.next_block() {
        Err(CarError::CidMismatch(cid)) => assert_eq!(cid, blocks[2].0),
        other => panic!("expected CidMismatch, got {other:?}"),
    }
    // The iterator stops after the error instead of resynchronising.
    assert!(reader.next().is_none());

    // A flipped digest byte in the CID is caught the same way.
    let mut bad = car.clone();
    bad[last_data_start - 1] ^= 0x80;
    assert!(matches!(read_err(&bad), CarError::CidMismatch(_)));
}

#[test]
fn a_cid_with_another_hash_function_is_unsupported() {
    // CIDv1, raw, blake3 (0x1e), 32-byte digest.
    let mut bytes = vec![0x01, 0x55, 0x1e, 0x20];
    bytes.extend_from_slice(&[7; 32]);
    let cid = Cid::from_bytes(&bytes).unwrap();
    let car = write_car(&[cid], [(cid, b"data".to_vec())]);
    assert!(matches!(read_err(&car), CarError::UnsupportedHash(0x1e)));
}

#[test]
fn malformed_sections_are_errors() {
    let header = write_car(&[block(0, 1).0], std::iter::empty::<(Cid, Vec<u8>)>());
    let with = |section: &[u8]| {
        let mut car = header.clone();
        car.extend_from_slice(section);
        read_err(&car)
    };
    // A zero-length section.
    assert!(matches!(with(&[0x00]), CarError::EmptySection));
    // A non-minimal length.
    assert!(matches!(with(&[0x80, 0x00]), CarError::BadVarint));
    // A section too short for the CID it starts with.
    let cid = block(5, 1).0;
    let mut short = varint(10);
    short.extend_from_slice(cid.as_bytes());
    assert!(matches!(with(&short), CarError::InvalidCid(_)));
    // A CIDv0 (bare sha2-256 multihash).
    let mut v0 = varint(34 + 2);
    v0.extend_from_slice(&[0x12, 0x20]);
    v0.extend_from_slice(&[0; 34]);
    assert!(matches!(with(&v0), CarError::InvalidCid(_)));
    // A digest longer than 64 bytes.
    let mut long = varint(100);
    long.extend_from_slice(&[0x01, 0x55, 0x12, 0x41]);
    long.extend_from_slice(&[0; 96]);
    assert!(matches!(with(&long), CarError::InvalidCid(_)));
}

// ---------------------------------------------------------------------------------------------
// Headers

/// A header map from (key, encoded value) pairs, in the order given.
fn header_map(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    cbor::write_map_head(&mut out, entries.len());
    for (key, value) in entries {
        cbor::write_text(&mut out, key);
        out.extend_from_slice(value);
    }
    out
}

fn int(i: i64) -> Vec<u8> {
    let mut out = Vec::new();
    cbor::write_int(&mut out, i);
    out
}

fn links(cids: &[Cid]) -> Vec<u8> {
    let mut out = Vec::new();
    cbor::write_array_head(&mut out, cids.len());
    for cid in cids {
        cbor::write_cid(&mut out, cid);
    }
    out
}

#[test]
fn bad_headers_are_errors() {
    let root = block(0, 4).0;
    let err = |header: &[u8]| read_err(&car_with_header(header));

    // The CARv2 pragma: {"version": 2}.
    let pragma = [
        0x0a, 0xa1, 0x67, b'v', b'e', b'r', b's', b'i', b'o', b'n', 0x02,
    ];
    assert!(matches!(read_err(&pragma), CarError::UnsupportedVersion(2)));
    assert!(matches!(
        err(&header_map(&[
            ("roots", links(&[root])),
            ("version", int(2))
        ])),
        CarError::UnsupportedVersion(2)
    ));
    assert!(matches!(
        err(&header_map(&[("version", int(1))])),
        CarError::MissingRoots
    ));
    assert!(matches!(
        err(&header_map(&[("roots", links(&[root]))])),
        CarError::MissingVersion
    ));
    // Not a map.
    assert!(matches!(
        err(&links(&[root])),
        CarError::InvalidHeader(CborError::Type { .. })
    ));
    // Trailing garbage inside the header's length.
    let mut trailing = header_map(&[("roots", links(&[root])), ("version", int(1))]);
    trailing.push(0x00);
    assert!(matches!(
        err(&trailing),
        CarError::InvalidHeader(CborError::TrailingBytes)
    ));
    // Roots that are not links, a version that is not an unsigned integer.
    assert!(matches!(
        err(&header_map(&[
            ("roots", vec![0x81, 0x01]),
            ("version", int(1))
        ])),
        CarError::InvalidHeader(_)
    ));
    assert!(matches!(
        err(&header_map(&[("roots", vec![0xa0]), ("version", int(1))])),
        CarError::InvalidHeader(_)
    ));
    assert!(matches!(
        err(&header_map(&[("roots", links(&[])), ("version", int(-1))])),
        CarError::InvalidHeader(_)
    ));
    // A repeated key.
    assert!(matches!(
        err(&header_map(&[
            ("roots", links(&[])),
            ("version", int(1)),
            ("version", int(1))
        ])),
        CarError::InvalidHeader(CborError::Schema(_))
    ));
    // An empty header, an empty file, a header cut short.
    assert!(matches!(err(&[]), CarError::InvalidHeader(CborError::Eof)));
    assert!(matches!(read_err(&[]), CarError::Truncated));
    assert!(matches!(read_err(&[0x05, 0xa2]), CarError::Truncated));
}

#[test]
fn headers_may_order_keys_freely_and_carry_unknown_keys() {
    let root = block(0, 4).0;
    let mut car = car_with_header(&header_map(&[
        ("version", int(1)),
        ("roots", links(&[root])),
        ("comment", int(7)),
    ]));
    let (cid, data) = block(1, 20);
    car.extend_from_slice(&varint((cid.as_bytes().len() + data.len()) as u64));
    car.extend_from_slice(cid.as_bytes());
    car.extend_from_slice(&data);
    assert_eq!(read_car(&car).unwrap(), (vec![root], vec![(cid, data)]));
}

// ---------------------------------------------------------------------------------------------
// Fuzzing

fn sample_car() -> Vec<u8> {
    let blocks: Vec<_> = (0..6).map(|i| block(i, (i as usize * 53) % 200)).collect();
    write_car(&[blocks[0].0], blocks)
}

/// Reads with and without tight limits; any successful read must hold only verified blocks.
fn read_never_panics(bytes: &[u8]) {
    if let Ok((_, blocks)) = read_car(bytes) {
        for (cid, data) in blocks {
            assert!(cid.matches(&data));
        }
    }
    let limits = CarLimits {
        max_block_size: 64,
        max_header_size: 64,
    };
    if let Ok(reader) = CarReader::with_limits(BufReader::with_capacity(5, bytes), limits) {
        for block in reader {
            match block {
                Ok((cid, data)) => assert!(cid.matches(&data) && data.len() <= 64),
                Err(_) => break,
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1..=255u8).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        read_never_panics(&bytes);
        // The same bytes behind a valid header exercise the section parser.
        let mut car = write_car(&[block(0, 1).0], std::iter::empty::<(Cid, Vec<u8>)>());
        car.extend_from_slice(&bytes);
        read_never_panics(&car);
    }

    #[test]
    fn random_mutations_of_a_valid_car_never_panic(
        mutations in proptest::collection::vec(mutation(), 1..8)
    ) {
        let mut car = sample_car();
        for m in mutations {
            let len = car.len().max(1);
            match m {
                Mutation::Flip(i, b) if !car.is_empty() => car[i % len] ^= b,
                Mutation::Insert(i, b) => car.insert(i % (car.len() + 1), b),
                Mutation::Delete(i) if !car.is_empty() => {
                    car.remove(i % len);
                }
                Mutation::Truncate(i) => car.truncate(i % (car.len() + 1)),
                _ => {}
            }
        }
        read_never_panics(&car);
    }
}

// ---------------------------------------------------------------------------------------------
// Bounded memory

/// Synthesises a CAR on the fly, cycling through a small pool of precomputed blocks of 1 to
/// 8 KiB, so neither the source nor the reader ever holds the whole file.
struct SyntheticCar {
    pool: Vec<Vec<u8>>,
    blocks: u64,
    remaining: u64,
    current: Vec<u8>,
    next_pool: usize,
    pos: usize,
    produced: u64,
    expected: u64,
}

impl SyntheticCar {
    /// About `target` bytes of CAR.
    fn new(target: u64) -> Self {
        let pool: Vec<Vec<u8>> = (0..16u64)
            .map(|i| {
                let (cid, data) = block(i, 1024 * (1 + i as usize % 8));
                let mut section = varint((cid.as_bytes().len() + data.len()) as u64);
                section.extend_from_slice(cid.as_bytes());
                section.extend_from_slice(&data);
                section
            })
            .collect();
        let header = write_car(&[block(7, 8192).0], std::iter::empty::<(Cid, Vec<u8>)>());
        let cycle: u64 = pool.iter().map(|s| s.len() as u64).sum();
        let blocks = target * pool.len() as u64 / cycle;
        let expected = header.len() as u64
            + (0..blocks)
                .map(|i| pool[(i % pool.len() as u64) as usize].len() as u64)
                .sum::<u64>();
        SyntheticCar {
            pool,
            blocks,
            remaining: blocks,
            current: header,
            next_pool: 0,
            pos: 0,
            produced: 0,
            expected,
        }
    }
}

impl Read for SyntheticCar {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.current.len() {
            if self.remaining == 0 {
                return Ok(0);
            }
            self.remaining -= 1;
            self.current.clear();
            self.current
                .extend_from_slice(&self.pool[self.next_pool % self.pool.len()]);
            self.next_pool += 1;
            self.pos = 0;
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        self.produced += n as u64;
        Ok(n)
    }
}

/// Streams a synthetic CAR of about `target` bytes and checks the reader's memory stays put.
fn stream_synthetic_car(target: u64) {
    let source = SyntheticCar::new(target);
    let (blocks, expected) = (source.blocks, source.expected);
    let mut reader = CarReader::new(BufReader::with_capacity(64 << 10, source)).unwrap();
    let (mut count, mut data_bytes) = (0u64, 0u64);
    while let Some((_, data)) = reader.next_block().unwrap() {
        count += 1;
        data_bytes += data.len() as u64;
        assert!(reader.buffer_capacity() <= DEFAULT_MAX_BLOCK_SIZE);
        assert!(
            reader.buffer_capacity() <= 8192,
            "buffer grew past the largest block"
        );
    }
    assert_eq!(count, blocks);
    assert!(
        data_bytes >= target * 9 / 10,
        "only {data_bytes} bytes of data"
    );
    let source = reader.into_inner().into_inner();
    assert_eq!(source.produced, expected);
    assert!(expected >= target * 99 / 100 && expected <= target);
}

/// 2^30 bytes of CAR, about 230k sections of 1 to 8 KiB. Hashing dominates and sha2 is optimised even in
/// dev builds, so this takes about a second in a debug build too.
#[test]
fn a_gigabyte_car_streams_in_bounded_memory() {
    stream_synthetic_car(1 << 30);
}
