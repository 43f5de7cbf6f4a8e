//! What the Kafka bus reads off the wire before JavaScript sees it: LZ4
//! frames (bounded output) and the canonical-JSON line check.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = panoptes_capture::lz4frame::decompress(data, 1 << 20);
    let flags = panoptes_capture::jsoncheck::canonical_lines(data);
    assert_eq!(flags.len(), data.iter().filter(|&&b| b == b'\n').count() + 1);
});
