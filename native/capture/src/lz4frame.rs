//! LZ4 frames for Kafka record batches (Kafka's `lz4` codec). The Kafka bus
//! compresses every batch it produces and decompresses every batch it
//! fetches; gzip at its fastest level took a fifth of the pipeline's CPU,
//! LZ4 takes a few percent. Frames are written as the Java client writes
//! them (64 KiB independent blocks, no checksums, no content size) and any
//! standard frame is read.

use std::io::Read;

use lz4_flex::block::{compress_into, decompress_into, get_maximum_output_size};
use lz4_flex::frame::FrameDecoder;

/// The most a frame may decompress to: far above any Kafka fetch, low enough
/// that a forged frame cannot exhaust memory.
pub const MAX_DECOMPRESSED: usize = 512 * 1024 * 1024;

const MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];
const BLOCK: usize = 64 * 1024;
/// A block stored as is: its size has the high bit set.
const STORED: u32 = 0x8000_0000;
/// FLG: version 01, independent blocks, no checksums, no content size, no dictionary.
const FLG: u8 = 0b0110_0000;
/// BD: 64 KiB blocks.
const BD: u8 = 4 << 4;

/// The descriptor checksum: the second byte of the descriptor's xxHash32.
fn header_checksum(descriptor: &[u8]) -> u8 {
    (twox_hash::XxHash32::oneshot(0, descriptor) >> 8) as u8
}

/// Compresses `data` into one LZ4 frame, block by block straight into the
/// output (the frame encoder's buffering cost a third of the time).
pub fn compress(data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    compress_to(data, &mut out)?;
    Ok(out)
}

/// compress, into `out` (emptied first): a caller that copies the frame
/// elsewhere keeps one buffer rather than allocating one per frame.
pub fn compress_to(data: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&[FLG, BD, header_checksum(&[FLG, BD])]);
    let mut scratch = vec![0u8; get_maximum_output_size(BLOCK)];
    for block in data.chunks(BLOCK) {
        let n = compress_into(block, &mut scratch).map_err(|e| format!("lz4: {e}"))?;
        if n < block.len() {
            out.extend_from_slice(&(n as u32).to_le_bytes());
            out.extend_from_slice(&scratch[..n]);
        } else {
            out.extend_from_slice(&(block.len() as u32 | STORED).to_le_bytes());
            out.extend_from_slice(block);
        }
    }
    out.extend_from_slice(&[0; 4]);
    Ok(())
}

/// Decompresses LZ4 frames (one or several back to back); an error for
/// anything else, or for output above `limit` bytes. Frames of independent
/// blocks without checksums or dictionary (what Kafka's clients write) are
/// decoded block by block into the output; any other frame goes through
/// lz4_flex's frame decoder.
pub fn decompress(data: &[u8], limit: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity((data.len() * 4).min(limit));
    decompress_to(data, limit, &mut out)?;
    Ok(out)
}

/// decompress, into `out` (emptied first; see compress_to).
pub fn decompress_to(data: &[u8], limit: usize, out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    let mut rest = data;
    loop {
        rest = match plain_frame(rest, out, limit)? {
            Some(after) => after,
            None => other_frame(rest, out, limit)?,
        };
        if rest.is_empty() {
            return Ok(());
        }
    }
}

/// Decodes one frame at the start of `data` onto `out` when it is a plain
/// one (see decompress); returns what follows it, or None for another kind.
fn plain_frame<'a>(data: &'a [u8], out: &mut Vec<u8>, limit: usize) -> Result<Option<&'a [u8]>, String> {
    let (Some(magic), Some(&flg), Some(&bd), Some(&hc)) = (data.get(..4), data.get(4), data.get(5), data.get(6)) else {
        return Ok(None);
    };
    // Version 01, independent blocks, no block checksum, no content size or checksum, no dictionary.
    let max = match bd >> 4 {
        4 => 64 << 10,
        5 => 256 << 10,
        6 => 1 << 20,
        7 => 4 << 20,
        _ => return Ok(None),
    };
    if magic != MAGIC || flg != FLG || bd & 0x8f != 0 {
        return Ok(None);
    }
    if hc != header_checksum(&[flg, bd]) {
        return Err("lz4: frame header checksum mismatch".into());
    }
    let mut p = 7;
    loop {
        let size = data.get(p..p + 4).ok_or("lz4: truncated frame")?;
        let size = u32::from_le_bytes(size.try_into().unwrap());
        p += 4;
        if size == 0 {
            return Ok(Some(&data[p..]));
        }
        let len = (size & !STORED) as usize;
        if len > max {
            return Err(format!("lz4: block of {len} bytes in a frame of {max}-byte blocks"));
        }
        let block = data.get(p..p + len).ok_or("lz4: truncated frame")?;
        p += len;
        let at = out.len();
        if size & STORED != 0 {
            out.extend_from_slice(block);
        } else {
            out.resize(at + max, 0);
            let n = decompress_into(block, &mut out[at..]).map_err(|e| format!("lz4: {e}"))?;
            out.truncate(at + n);
        }
        if out.len() > limit {
            return Err(format!("lz4: frame decompresses to more than {limit} bytes"));
        }
    }
}

/// Decodes one frame of any standard kind at the start of `data` onto `out`
/// with lz4_flex's frame decoder; returns what follows it.
fn other_frame<'a>(data: &'a [u8], out: &mut Vec<u8>, limit: usize) -> Result<&'a [u8], String> {
    let mut rest = data;
    let room = (limit - out.len()) as u64;
    FrameDecoder::new(&mut rest)
        .take(room + 1)
        .read_to_end(out)
        .map_err(|e| format!("lz4: {e}"))?;
    if out.len() > limit {
        return Err(format!("lz4: frame decompresses to more than {limit} bytes"));
    }
    if rest.len() == data.len() {
        return Err("lz4: not an LZ4 frame".into()); // nothing read: never loop on it
    }
    Ok(rest)
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
    fn reads_and_is_read_by_the_reference_frame_code() {
        use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};
        use std::io::Write;
        let mut data = Vec::new();
        for i in 0..60_000u32 {
            data.extend_from_slice(format!("{{\"uid\":\"f{i}\",\"n\":{}}}\n", i.wrapping_mul(2654435761)).as_bytes());
        }
        data.extend((0..200_000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)); // incompressible
        // Ours, read by lz4_flex's frame decoder.
        let mut back = Vec::new();
        FrameDecoder::new(&compress(&data).unwrap()[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        // lz4_flex's frames, plain (the block-by-block path) and with checksums,
        // linked blocks or bigger blocks, one after another, read by ours.
        let kinds = [
            FrameInfo::new().block_mode(BlockMode::Independent),
            FrameInfo::new().block_mode(BlockMode::Independent).block_size(BlockSize::Max4MB),
            FrameInfo::new().block_mode(BlockMode::Linked),
            FrameInfo::new().block_mode(BlockMode::Independent).content_checksum(true).block_checksums(true),
        ];
        let mut all = Vec::new();
        for info in kinds {
            let mut enc = FrameEncoder::with_frame_info(info, Vec::new());
            enc.write_all(&data).unwrap();
            let z = enc.finish().unwrap();
            assert_eq!(decompress(&z, MAX_DECOMPRESSED).unwrap(), data);
            all.extend_from_slice(&z);
        }
        all.extend_from_slice(&compress(&data).unwrap());
        assert_eq!(decompress(&all, MAX_DECOMPRESSED).unwrap().len(), data.len() * 5);
        // A corrupt header checksum and a corrupt block are errors, not garbage.
        let mut z = compress(&data).unwrap();
        z[6] ^= 1;
        assert!(decompress(&z, MAX_DECOMPRESSED).unwrap_err().contains("checksum"));
        let mut z = compress(&data).unwrap();
        z[11] = 0xff;
        z[12] = 0xff;
        assert!(decompress(&z, MAX_DECOMPRESSED).is_err());
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
