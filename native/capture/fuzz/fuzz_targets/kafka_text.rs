//! What the Kafka bus reads off the wire before JavaScript sees it: LZ4
//! frames (bounded output) and the canonical-JSON line check, whose fast
//! path must answer as the line-by-line check does.
#![no_main]
use libfuzzer_sys::fuzz_target;
use panoptes_capture::jsoncheck;

fuzz_target!(|data: &[u8]| {
    let _ = panoptes_capture::lz4frame::decompress(data, 1 << 20);
    let flags = jsoncheck::canonical_lines_watching(data, &[b"sco"]);
    assert_eq!(flags.len(), data.iter().filter(|&&b| b == b'\n').count() + 1);
    assert_eq!(flags, jsoncheck::canonical_lines_checked_one_by_one(data, &[b"sco"]));
});
