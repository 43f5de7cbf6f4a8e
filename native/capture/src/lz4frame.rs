//! LZ4 frames for Kafka record batches (Kafka's `lz4` codec). The Kafka bus
//! compresses every batch it produces and decompresses every batch it
//! fetches; gzip at its fastest level took a fifth of the pipeline's CPU,
//! LZ4 takes a few percent. Frames are written as the Java client writes
//! them (64 KiB independent blocks, no checksums, no content size) and any
//! standard frame is read.

use std::io::{Read, Write};

use lz4_flex::frame::{BlockMode, BlockSize, FrameDecoder, FrameEncoder, FrameInfo};

/// The most a frame may decompress to: far above any Kafka fetch, low enough
/// that a forged frame cannot exhaust memory.
pub const MAX_DECOMPRESSED: usize = 512 * 1024 * 1024;

/// Compresses `data` into one LZ4 frame.
pub fn compress(data: &[u8]) -> Result<Vec<u8>, String> {
    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent)
        .content_checksum(false)
        .block_checksums(false);
    let mut enc = FrameEncoder::with_frame_info(info, Vec::with_capacity(data.len() / 2 + 64));
    enc.write_all(data).map_err(|e| format!("lz4: {e}"))?;
    enc.finish().map_err(|e| format!("lz4: {e}"))
}

/// Decompresses LZ4 frames (one or several back to back); an error for
/// anything else, or for output above `limit` bytes.
pub fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity((data.len() * 4).min(limit));
    let mut dec = FrameDecoder::new(data).take(limit as u64 + 1);
    dec.read_to_end(&mut out).map_err(|e| format!("lz4: {e}"))?;
    if out.len() > limit {
        return Err(format!("lz4: frame decompresses to more than {limit} bytes"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_empty_small_and_multi_block_data() {
        let mut big = Vec::new();
        for i in 0..40_000u32 {
            big.extend_from_slice(format!("{{\"uid\":\"f{i}\",\"sbytes\":{}}}\n", i * 7).as_bytes());
        }
        for data in [&b""[..], b"x", &big[..]] {
            let z = compress(data).unwrap();
            assert_eq!(&z[..4], &[0x04, 0x22, 0x4d, 0x18], "LZ4 frame magic");
            assert_eq!(decompress(&z, MAX_DECOMPRESSED).unwrap(), data);
        }
        assert!(compress(&big).unwrap().len() < big.len() / 3);
    }

    #[test]
    fn refuses_garbage_truncation_and_output_over_the_limit() {
        let data = vec![b'a'; 1 << 20];
        let z = compress(&data).unwrap();
        assert!(decompress(b"not a frame", 1 << 20).is_err());
        assert!(decompress(&z[..z.len() / 2], 1 << 20).is_err());
        assert_eq!(decompress(&z, 1 << 20).unwrap().len(), 1 << 20);
        assert!(decompress(&z, (1 << 20) - 1).unwrap_err().contains("more than"));
    }
}
