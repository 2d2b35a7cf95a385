//! Candidates' portraits, drawn by sandoq: a head-and-shoulders silhouette on a background whose
//! colours come from the candidate's code, written as a PNG (8-bit palette, stored deflate blocks,
//! so no compressor is needed). Synthetic candidates get synthetic faces; no photograph of a real
//! person is ever used.
//!
//! Integer arithmetic only (the workspace denies floating point).

use sha2::{Digest, Sha256};

/// Width and height of a portrait, in pixels (a passport photo's 4:5).
pub const WIDTH: u32 = 96;
pub const HEIGHT: u32 = 120;

/// The portrait of candidate `code`, as PNG bytes.
pub fn portrait_png(code: &str) -> Vec<u8> {
    let seed: [u8; 32] = Sha256::digest(format!("sandoq portrait {code}").as_bytes()).into();
    // Palette: 0 background, 1 shoulders (clothing), 2 face, 3 hair, 4 background stripe.
    let hue = |i: usize| -> [u8; 3] {
        let r = seed[i];
        let g = seed[i + 1];
        let b = seed[i + 2];
        // Soft, light backgrounds: mix with white.
        [
            (u16::from(r) / 3 + 160) as u8,
            (u16::from(g) / 3 + 160) as u8,
            (u16::from(b) / 3 + 160) as u8,
        ]
    };
    let skins: [[u8; 3]; 4] = [
        [0xf1, 0xc2, 0x9f],
        [0xe0, 0xac, 0x80],
        [0xc6, 0x8c, 0x5f],
        [0x9c, 0x68, 0x44],
    ];
    let clothes: [[u8; 3]; 5] = [
        [0x2b, 0x3a, 0x55],
        [0x3d, 0x3d, 0x3d],
        [0x5b, 0x2a, 0x3a],
        [0x24, 0x4d, 0x3c],
        [0x1f, 0x1f, 0x2e],
    ];
    let hair: [[u8; 3]; 4] = [
        [0x1b, 0x14, 0x10],
        [0x3b, 0x2a, 0x1e],
        [0x60, 0x5c, 0x58],
        [0x2a, 0x2a, 0x35],
    ];
    let background = hue(0);
    let stripe = hue(3);
    let palette = [
        background,
        clothes[usize::from(seed[6]) % clothes.len()],
        skins[usize::from(seed[7]) % skins.len()],
        hair[usize::from(seed[8]) % hair.len()],
        stripe,
    ];
    // A head scarf or hair: half the portraits cover the head and neck line (chador/scarf shape).
    let scarf = seed[9].is_multiple_of(2);
    let (w, h) = (WIDTH as i32, HEIGHT as i32);
    let (cx, cy) = (w / 2, h * 2 / 5);
    let head_rx = 19 + i32::from(seed[10] % 4);
    let head_ry = 24 + i32::from(seed[11] % 4);
    let mut pixels = Vec::with_capacity((WIDTH * HEIGHT) as usize);
    for y in 0..h {
        for x in 0..w {
            let dx = x - cx;
            // Inside an ellipse: dx²/rx² + dy²/ry² ≤ 1, i.e. dx²·ry² + dy²·rx² ≤ rx²·ry².
            let in_ellipse = |rx: i32, ry: i32, ox: i32, oy: i32| {
                let (ex, ey) = (x - ox, y - oy);
                ex * ex * ry * ry + ey * ey * rx * rx <= rx * rx * ry * ry
            };
            let shoulders = y > h * 3 / 4 - 6 && in_ellipse(w / 2 - 4, h / 3, cx, h + 8);
            let head = in_ellipse(head_rx, head_ry, cx, cy);
            let neck = (dx.abs() < 9) && y > cy && y < h * 3 / 4;
            let hair_cap = in_ellipse(head_rx + 3, head_ry + 3, cx, cy - 4) && y < cy - head_ry / 3;
            let covering = scarf
                && in_ellipse(head_rx + 7, head_ry + 9, cx, cy + 2)
                && !in_ellipse(head_rx - 3, head_ry - 4, cx, cy + 3);
            let index = if covering && y < h * 3 / 4 + 4 {
                3
            } else if shoulders {
                1
            } else if hair_cap && !scarf {
                3
            } else if head || neck {
                2
            } else if (x + y) % 24 < 2 {
                4
            } else {
                0
            };
            pixels.push(index);
        }
    }
    encode_indexed(WIDTH, HEIGHT, &palette, &pixels)
}

/// A PNG of `width` × `height` palette indices (one byte each).
fn encode_indexed(width: u32, height: u32, palette: &[[u8; 3]], pixels: &[u8]) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 3, 0, 0, 0]); // 8 bits, palette, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    let plte: Vec<u8> = palette.iter().flatten().copied().collect();
    chunk(&mut png, b"PLTE", &plte);
    // Each row starts with its filter type (0: none).
    let mut raw = Vec::with_capacity(pixels.len() + height as usize);
    for row in pixels.chunks(width as usize) {
        raw.push(0);
        raw.extend_from_slice(row);
    }
    chunk(&mut png, b"IDAT", &zlib_stored(&raw));
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    if blocks.is_empty() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xedb8_8320 & mask);
        }
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_and_adler_match_known_values() {
        // Reference values of the standard check strings.
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn portraits_are_pngs_that_differ_by_candidate() {
        let a = portrait_png("10101");
        let b = portrait_png("10102");
        assert!(a.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert_ne!(a, b);
        assert_eq!(
            a,
            portrait_png("10101"),
            "the same code draws the same face"
        );
        // IHDR says 96 × 120.
        assert_eq!(&a[16..24], &[0, 0, 0, 96, 0, 0, 0, 120]);
        assert!(a.len() < 1024 * 1024, "within the centre's photo limit");
    }
}
