use super::super::*;

/// `printf skelgen | gzip -9n`: one fixed-Huffman block.
const FIXED: &[u8] = include_bytes!("data/fixed.gz");
/// 600 lines `CONFIG_OPTION_<i>=<y, or m for multiples of 3>` through `gzip -9n`:
/// dynamic-Huffman blocks.
const DYNAMIC: &[u8] = include_bytes!("data/dynamic.gz");

fn dynamic_text() -> Vec<u8> {
    (0..600)
        .map(|i| format!("CONFIG_OPTION_{i}={}\n", if i % 3 == 0 { 'm' } else { 'y' }))
        .collect::<String>()
        .into_bytes()
}

/// The block type of the first block of a gzip file without optional header fields.
fn first_block_type(gz: &[u8]) -> u8 {
    (gz[10] >> 1) & 3
}

/// A gzip member around `deflate`, with the trailer of `contents`.
fn member(flags: u8, extra: &[u8], deflate: &[u8], contents: &[u8]) -> Vec<u8> {
    let mut gz = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3];
    gz.extend_from_slice(extra);
    gz.extend_from_slice(deflate);
    gz.extend_from_slice(&crc32(contents).to_le_bytes());
    gz.extend_from_slice(&(contents.len() as u32).to_le_bytes());
    gz
}

/// Stored blocks of `chunks`, the last one final.
fn stored(chunks: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        out.push(u8::from(i + 1 == chunks.len()));
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

#[test]
fn crc32_of_known_strings() {
    assert_eq!(crc32(b""), 0);
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(
        crc32(b"The quick brown fox jumps over the lazy dog"),
        0x414f_a339
    );
}

#[test]
fn files_made_by_gzip() {
    assert_eq!(first_block_type(FIXED), 1);
    assert_eq!(gunzip(FIXED).as_deref(), Some(&b"skelgen"[..]));
    assert_eq!(first_block_type(DYNAMIC), 2);
    assert_eq!(gunzip(DYNAMIC), Some(dynamic_text()));
}

#[test]
fn stored_blocks_and_optional_header_fields() {
    let deflate = stored(&[b"CONFIG_A=y\n", b"", b"CONFIG_B=m\n"]);
    let text = b"CONFIG_A=y\nCONFIG_B=m\n";
    assert_eq!(
        gunzip(&member(0, &[], &deflate, text)).as_deref(),
        Some(&text[..])
    );
    // FEXTRA (2 bytes of it), FNAME, FCOMMENT and FHCRC.
    let extra = b"\x02\0xyconfig\0a comment\0\x12\x34";
    let gz = member(4 | 8 | 16 | 2, extra, &deflate, text);
    assert_eq!(gunzip(&gz).as_deref(), Some(&text[..]));
}

#[test]
fn trailers_that_do_not_match_are_refused() {
    for at in [
        FIXED.len() - 8,
        FIXED.len() - 5,
        FIXED.len() - 4,
        FIXED.len() - 1,
    ] {
        let mut gz = FIXED.to_vec();
        gz[at] ^= 1;
        assert_eq!(gunzip(&gz), None, "byte {at} of the trailer changed");
    }
    let deflate = stored(&[b"abc"]);
    assert_eq!(
        gunzip(&member(0, &[], &deflate, b"abd")),
        None,
        "another CRC"
    );
    assert_eq!(
        gunzip(&member(0, &[], &deflate, b"abcabc")),
        None,
        "another length"
    );
}

#[test]
fn every_truncation_is_refused() {
    for gz in [FIXED, DYNAMIC] {
        for len in (0..gz.len()).step_by(7).chain(gz.len() - 8..gz.len()) {
            assert_eq!(gunzip(&gz[..len]), None, "{len} of {} bytes", gz.len());
        }
    }
}

#[test]
fn corrupt_streams_are_refused_or_read_whole() {
    let text = dynamic_text();
    for at in (10..DYNAMIC.len() - 8).step_by(17) {
        for bit in [0, 3, 7] {
            let mut gz = DYNAMIC.to_vec();
            gz[at] ^= 1 << bit;
            // Only a padding bit after the last block can change and leave the contents.
            if let Some(out) = gunzip(&gz) {
                assert_eq!(out, text, "byte {at} bit {bit}");
            }
        }
    }
}

#[test]
fn malformed_headers_and_blocks() {
    assert_eq!(gunzip(b""), None);
    assert_eq!(gunzip(&FIXED[..10]), None);
    let mut not_deflate = FIXED.to_vec();
    not_deflate[2] = 7;
    assert_eq!(gunzip(&not_deflate), None, "another compression method");
    let reserved = member(0, &[], &[0b111], b"");
    assert_eq!(gunzip(&reserved), None, "block type 3");
    let mut bad_len = stored(&[b"abc"]);
    bad_len[3] ^= 0xff;
    assert_eq!(
        gunzip(&member(0, &[], &bad_len, b"abc")),
        None,
        "LEN and NLEN disagree"
    );
    let name_unterminated = member(8, b"config", &[], b"");
    assert_eq!(gunzip(&name_unterminated[..16]), None);
    // A match reaching before the start of the output: fixed block, length code 257
    // (3 bytes) at distance 1, with nothing written yet.
    let far = member(0, &[], &[0x03, 0x02, 0x00], b"");
    assert_eq!(gunzip(&far), None);
}
