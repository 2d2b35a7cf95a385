//! The record as one archive (issue 5 §3): a POSIX ustar file of the record's directory, every
//! entry under `record/`, in path order, with fixed owner, mode and time, so that the same record
//! always gives the same bytes. `tar -xf` unpacks it for `sandoq verify`.

use std::path::Path;

const BLOCK: usize = 512;

fn octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&text.as_bytes()[text.len() - digits..]);
    field[digits] = 0;
}

fn header(path: &str, size: u64) -> Result<[u8; BLOCK], String> {
    let mut h = [0u8; BLOCK];
    let bytes = path.as_bytes();
    if bytes.len() <= 100 {
        h[..bytes.len()].copy_from_slice(bytes);
    } else {
        // Split into prefix (up to 155) and name (up to 100) at a slash.
        let split = path[..path.len().min(156)]
            .rfind('/')
            .filter(|&i| path.len() - i - 1 <= 100)
            .ok_or_else(|| format!("{path} is too long for an archive entry"))?;
        h[..path.len() - split - 1].copy_from_slice(&bytes[split + 1..]);
        h[345..345 + split].copy_from_slice(&bytes[..split]);
    }
    octal(&mut h[100..108], 0o644);
    octal(&mut h[108..116], 0);
    octal(&mut h[116..124], 0);
    octal(&mut h[124..136], size);
    octal(&mut h[136..148], 0);
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    h[148..156].copy_from_slice(text.as_bytes());
    Ok(h)
}

fn files(dir: &Path, prefix: &str, out: &mut Vec<String>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir.join(prefix)).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let path = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if entry.path().is_dir() {
            files(dir, &path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// The record in `dir` as one ustar archive.
pub fn archive(dir: &Path) -> Result<Vec<u8>, String> {
    let mut paths = Vec::new();
    files(dir, "", &mut paths)?;
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let data = std::fs::read(dir.join(&path)).map_err(|e| format!("{path}: {e}"))?;
        out.extend_from_slice(&header(&format!("record/{path}"), data.len() as u64)?);
        out.extend_from_slice(&data);
        out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    }
    out.resize(out.len() + 2 * BLOCK, 0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_hold_the_name_size_and_checksum() {
        let h = header("record/public/result.json", 1234).unwrap();
        assert!(h.starts_with(b"record/public/result.json\0"));
        assert_eq!(&h[124..136], b"00000002322\0");
        assert_eq!(&h[257..262], b"ustar");
        let long = format!("record/{}/{}", "d".repeat(120), "f".repeat(90));
        let h = header(&long, 1).unwrap();
        assert!(h.starts_with(&"f".repeat(90).into_bytes()));
        assert!(header(&"x".repeat(300), 1).is_err());
    }
}
