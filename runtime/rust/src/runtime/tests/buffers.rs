use super::super::*;

#[test]
fn ring_headers() {
    assert_eq!(
        ring_record(BPF_RINGBUF_BUSY_BIT | 16, 4096),
        Some(RingRecord::Busy)
    );
    let ready = |len, discarded, next| {
        Some(RingRecord::Ready {
            len,
            discarded,
            next,
        })
    };
    assert_eq!(ring_record(0, 4096), ready(0, false, 8));
    assert_eq!(
        ring_record(5, 4096),
        ready(5, false, 16),
        "padded to 8 bytes"
    );
    assert_eq!(ring_record(8, 4096), ready(8, false, 16));
    assert_eq!(
        ring_record(BPF_RINGBUF_DISCARD_BIT | 8, 4096),
        ready(8, true, 16)
    );
    assert_eq!(
        ring_record(4088, 4096),
        ready(4088, false, 4096),
        "a whole ring"
    );
    assert_eq!(ring_record(4089, 4096), None, "longer than the ring");
    assert_eq!(ring_record(!BPF_RINGBUF_BUSY_BIT, 1 << 20), None);
}

/// A perf event record: its header (type, misc 0, size), then `body`.
fn record(kind: u32, body: &[u8]) -> Vec<u8> {
    let mut rec = kind.to_le_bytes().to_vec();
    rec.extend_from_slice(&0u16.to_le_bytes());
    rec.extend_from_slice(&(8 + body.len() as u16).to_le_bytes());
    rec.extend_from_slice(body);
    rec
}

fn sample(raw: &[u8]) -> Vec<u8> {
    let mut body = (raw.len() as u32).to_le_bytes().to_vec();
    body.extend_from_slice(raw);
    body.resize(body.len().next_multiple_of(8), 0);
    record(PERF_RECORD_SAMPLE, &body)
}

#[test]
fn perf_records_by_kind() {
    let rec = sample(b"hello");
    assert_eq!(perf_record(&rec), PerfRecord::Sample(b"hello"));
    let mut lost = 7u64.to_le_bytes().to_vec(); // the id
    lost.extend_from_slice(&42u64.to_le_bytes());
    assert_eq!(
        perf_record(&record(PERF_RECORD_LOST, &lost)),
        PerfRecord::Lost(42)
    );
    assert_eq!(
        perf_record(&record(PERF_RECORD_LOST, &[0; 4])),
        PerfRecord::Other
    );
    assert_eq!(
        perf_record(&record(PERF_RECORD_SAMPLE, &[])),
        PerfRecord::Other
    );
    assert_eq!(perf_record(&record(3, &[0; 16])), PerfRecord::Other);
    assert_eq!(perf_record(&[]), PerfRecord::Other);
}

#[test]
fn a_sample_claiming_more_than_its_record_is_cut() {
    let mut rec = sample(b"abcd");
    rec[8..12].copy_from_slice(&1000u32.to_le_bytes());
    let PerfRecord::Sample(raw) = perf_record(&rec) else {
        panic!("not a sample");
    };
    assert_eq!(raw, &rec[12..]);
}

#[test]
fn perf_records_wrap_around_the_ring() {
    let rec = sample(b"wrapped!");
    let mut ring = vec![0u8; 32];
    let tail = 24u64;
    for (k, &b) in rec.iter().enumerate() {
        ring[(24 + k) % 32] = b;
    }
    let mut out = Vec::new();
    assert_eq!(perf_next(&ring, tail, &mut out), Some(rec.len() as u64));
    assert_eq!(out, rec);
    assert_eq!(perf_record(&out), PerfRecord::Sample(b"wrapped!"));
    // Positions only grow: the ring is indexed modulo its size.
    assert_eq!(
        perf_next(&ring, tail + 32 * 1000, &mut out),
        Some(rec.len() as u64)
    );
}

#[test]
fn corrupt_perf_headers_stop_the_reader() {
    let mut out = Vec::new();
    let mut ring = vec![0u8; 64];
    assert_eq!(perf_next(&ring, 0, &mut out), None, "a size of 0");
    ring[6..8].copy_from_slice(&7u16.to_le_bytes());
    assert_eq!(
        perf_next(&ring, 0, &mut out),
        None,
        "shorter than its header"
    );
    ring[6..8].copy_from_slice(&65u16.to_le_bytes());
    assert_eq!(perf_next(&ring, 0, &mut out), None, "longer than the ring");
    ring[6..8].copy_from_slice(&64u16.to_le_bytes());
    assert_eq!(perf_next(&ring, 0, &mut out), Some(64));
    assert_eq!(
        perf_next(&ring[..48], 0, &mut out),
        None,
        "not a power of 2"
    );
    assert_eq!(perf_next(&[], 0, &mut out), None);
    assert_eq!(
        perf_next(&ring, u64::MAX, &mut out),
        None,
        "wraps the position"
    );
}

#[test]
fn records_read_as_types() {
    let data: Vec<u8> = (1..=12).collect();
    let v: u32 = record_as("rb", &data).unwrap();
    assert_eq!(
        v,
        u32::from_ne_bytes([1, 2, 3, 4]),
        "the record's first bytes"
    );
    let v: [u16; 6] = record_as("rb", &data).unwrap();
    assert_eq!(v[5], u16::from_ne_bytes([11, 12]), "the whole record");
    let e = record_as::<u64>("rb", &data[..7]).unwrap_err();
    assert_eq!(e.errno(), libc::EBADMSG);
    assert!(
        e.what().contains("rb: 7 bytes, shorter than the 8 of u64"),
        "{}",
        e.what()
    );
    assert!(
        record_as::<[u8; 0]>("rb", &[]).is_ok(),
        "an empty type fits any record"
    );
}
