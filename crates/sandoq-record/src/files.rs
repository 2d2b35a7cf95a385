//! Reading a record's files as a hostile party may have laid them out (issue 18 §5).
//!
//! `verify` is run on directories nobody vouches for (an archive off the results site, a copy
//! handed over by a party), so everything here assumes the worst:
//!
//! - a path named by the manifest is checked as text before the file system is touched
//!   ([`safe_path`]): relative, `/`-separated, under `public/` or `restricted/`, every component
//!   non-empty, not starting with `.` (so never `.` or `..`), of ASCII letters, digits, `-`, `_`
//!   and `.` only (so no backslash, no drive letter, nothing a station code could not be);
//! - a symbolic link anywhere below the record's directory is a problem and is never followed,
//!   a file or a directory alike: every component of a path is looked at with `lstat`, and
//!   listing the files never descends into a linked directory (the record's directory itself,
//!   as given on the command line, may be a link);
//! - anything that is neither a regular file nor a directory (a FIFO would block a read forever, a
//!   device file could be endless) is a problem, seen from its metadata before it is opened; the
//!   file is then opened with `O_NOFOLLOW | O_NONBLOCK` and the opened handle's device and inode
//!   must be those the path showed, so a file swapped between the look and the open is refused;
//! - no file is read past the size the manifest gives it, nor past a fixed cap ([`MAX_FILE_BYTES`],
//!   [`MAX_BALLOT_FILE_BYTES`], [`MAX_MANIFEST_BYTES`]), so memory stays bounded by what the
//!   manifest declares: a file's length is checked before it is opened, and at most the allowed
//!   size plus one byte is read in case it grew in between.
//!
//! What is not guarded against: someone changing the directory while `verify` runs (a directory
//! of a path swapped for a link between its `lstat` and the file's `open`). Run `verify` on a
//! copy nobody else can write to.

use crate::verify::Problem;
use std::io::Read;
use std::path::Path;

/// The largest manifest `verify` reads. At Tehran's scale (5,000 stations) `RECORD.json` lists
/// about 10,000 files at under 200 bytes each: about 2 MB.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// The largest file of the public part `verify` reads. The largest is the election export
/// (`public/election.json`): about 1 MB for 5,000 stations and a Tehran-shaped definition; a
/// station report is about 40 KB, the result a few hundred KB.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The largest ballot file (`restricted/ballots/{station}.json`) `verify` reads. A station takes
/// up to about 100,000 ballots; a record is about 300 bytes in the file and at most about
/// 1,100 (a ballot's content is at most `sandoq_station::ballot_box::MAX_CONTENT` = 418 bytes,
/// each `"` of it escaped), so 100,000 records fit even at the largest.
pub const MAX_BALLOT_FILE_BYTES: u64 = 128 << 20;

/// The cap for a file of the record, by its path.
pub fn cap_for(path: &str) -> u64 {
    if path.starts_with("restricted/") {
        MAX_BALLOT_FILE_BYTES
    } else {
        MAX_FILE_BYTES
    }
}

/// Whether a path named by the manifest's list `part` (`public` or `restricted`) may be opened:
/// see the module's comment. Checked on the text alone.
pub fn safe_path(path: &str, part: &str) -> bool {
    let mut components = path.split('/');
    if components.next() != Some(part) {
        return false;
    }
    let mut rest = 0;
    for component in components {
        rest += 1;
        let allowed = !component.is_empty()
            && !component.starts_with('.')
            && component
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !allowed {
            return false;
        }
    }
    rest > 0
}

/// Why a file of the record was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Not there.
    Missing,
    /// This path (the file or one of its directories) is a symbolic link.
    Symlink(String),
    /// This path (the file, or something listed in a directory) is neither a regular file nor a
    /// directory.
    NotAFile(String),
    /// Larger than the manifest says (`declared`) or than the cap (`cap`).
    TooLarge { found: u64, declared: u64, cap: u64 },
    /// The file changed between the look and the open, or could not be read.
    Unreadable(String),
}

impl Fault {
    /// The problem, named after the file it is about.
    pub fn problem(&self, path: &str) -> Problem {
        let problem = |file: &str, code: &'static str, en: String, fa: String| Problem {
            file: file.to_string(),
            code,
            en,
            fa,
        };
        match self {
            Fault::Missing => problem(
                path,
                "missing_file",
                format!("{path} is listed in {} but missing", crate::MANIFEST),
                format!("{path} در {} آمده ولی نیست", crate::MANIFEST),
            ),
            Fault::Symlink(link) => problem(
                link,
                "symlink",
                format!("{link} is a symbolic link: a record holds only files and directories, and verify never follows a link out of it"),
                format!("{link} پیوند نمادین است: سابقه فقط پرونده و پوشه دارد و بررسی هرگز پیوندی را به بیرون از آن دنبال نمی‌کند"),
            ),
            Fault::NotAFile(what) => problem(
                what,
                "not_a_file",
                format!("{what} is neither a regular file nor a directory (a FIFO, socket or device): not opened"),
                format!("{what} نه پروندهٔ معمولی است نه پوشه (لوله، سوکت یا دستگاه): باز نشد"),
            ),
            Fault::TooLarge { found, cap, .. } if found > cap => problem(
                path,
                "too_large",
                format!("{path} has {found} bytes, more than the {cap} a file of its kind may have: not read"),
                format!("{path} {found} بایت دارد، بیش از {cap} بایتی که پرونده‌ای از این دست می‌تواند داشته باشد: خوانده نشد"),
            ),
            Fault::TooLarge { found, declared, .. } => problem(
                path,
                "too_large",
                format!("{path} has {found} bytes, more than the {declared} {} gives it: not read", crate::MANIFEST),
                format!("{path} {found} بایت دارد، بیش از {declared} بایتی که {} برایش ثبت کرده است: خوانده نشد", crate::MANIFEST),
            ),
            Fault::Unreadable(why) => problem(
                path,
                "unreadable_file",
                format!("{path} could not be read: {why}"),
                format!("{path} خوانده نشد: {why}"),
            ),
        }
    }
}

/// Reads the file at `path` (relative, `/`-separated, already checked by [`safe_path`] or a name
/// of the record's own) under `dir`, refusing links, special files and anything larger than
/// `declared` or `cap` bytes.
pub fn read(dir: &Path, path: &str, declared: u64, cap: u64) -> Result<Vec<u8>, Fault> {
    let components: Vec<&str> = path.split('/').collect();
    let mut at = dir.to_path_buf();
    for (i, name) in components.iter().enumerate() {
        at.push(name);
        let metadata = match std::fs::symlink_metadata(&at) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Fault::Missing),
            Err(e) => return Err(Fault::Unreadable(e.to_string())),
        };
        let kind = metadata.file_type();
        let here = components[..=i].join("/");
        if kind.is_symlink() {
            return Err(Fault::Symlink(here));
        }
        if i + 1 < components.len() {
            if !kind.is_dir() {
                // A directory of the path is something else: the file cannot be there.
                return Err(Fault::Missing);
            }
            continue;
        }
        if !kind.is_file() {
            return Err(Fault::NotAFile(here));
        }
        let limit = declared.min(cap);
        if metadata.len() > limit {
            return Err(Fault::TooLarge {
                found: metadata.len(),
                declared,
                cap,
            });
        }
        let file = open_no_follow(&at).map_err(|e| Fault::Unreadable(e.to_string()))?;
        if !same_file(&metadata, &file) {
            return Err(Fault::Unreadable(
                "it was replaced while being opened".into(),
            ));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
        file.take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| Fault::Unreadable(e.to_string()))?;
        if bytes.len() as u64 > limit {
            return Err(Fault::TooLarge {
                found: bytes.len() as u64,
                declared,
                cap,
            });
        }
        return Ok(bytes);
    }
    Err(Fault::Missing)
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: should a FIFO be swapped in after the look, opening it does not wait for a
    // writer (and the check below refuses it); on a regular file it changes nothing.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

#[cfg(unix)]
fn same_file(looked: &std::fs::Metadata, file: &std::fs::File) -> bool {
    use std::os::unix::fs::MetadataExt;
    file.metadata().is_ok_and(|opened| {
        opened.file_type().is_file() && opened.dev() == looked.dev() && opened.ino() == looked.ino()
    })
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, file: &std::fs::File) -> bool {
    file.metadata()
        .is_ok_and(|opened| opened.file_type().is_file())
}

/// What is in one part of the record (`public` or `restricted`): every regular file, as a path
/// relative to `dir` with `/`, and every link or special file found on the way (never followed,
/// never opened).
pub fn list(dir: &Path, part: &str, files: &mut std::collections::BTreeSet<String>) -> Vec<Fault> {
    let mut faults = Vec::new();
    match std::fs::symlink_metadata(dir.join(part)) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            faults.push(Fault::Symlink(part.to_string()));
        }
        Ok(metadata) if metadata.is_dir() => list_under(dir, part, files, &mut faults),
        Ok(_) => faults.push(Fault::NotAFile(part.to_string())),
        Err(_) => {}
    }
    faults
}

fn list_under(
    dir: &Path,
    prefix: &str,
    files: &mut std::collections::BTreeSet<String>,
    faults: &mut Vec<Fault>,
) {
    let Ok(entries) = std::fs::read_dir(dir.join(prefix)) else {
        return;
    };
    for entry in entries.flatten() {
        let path = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        // `DirEntry::file_type` does not follow links.
        match entry.file_type() {
            Ok(kind) if kind.is_symlink() => faults.push(Fault::Symlink(path)),
            Ok(kind) if kind.is_dir() => list_under(dir, &path, files, faults),
            Ok(kind) if kind.is_file() => {
                files.insert(path);
            }
            Ok(_) => faults.push(Fault::NotAFile(path)),
            Err(e) => faults.push(Fault::Unreadable(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_under_their_part_are_safe() {
        for good in [
            "public/election.json",
            "public/reports/S-1.json",
            "restricted/ballots/T_00.1.json",
        ] {
            let part = good.split('/').next().unwrap();
            assert!(safe_path(good, part), "{good}");
        }
        for (bad, part) in [
            ("../../../etc/hostname", "public"),
            ("public/../../etc/hostname", "public"),
            ("/etc/hostname", "public"),
            ("public//reports/S-1.json", "public"),
            ("public/./result.json", "public"),
            ("public/reports/.hidden", "public"),
            ("public\\reports\\S-1.json", "public"),
            ("public/reports\\..\\x.json", "public"),
            ("public/", "public"),
            ("public", "public"),
            ("", "public"),
            ("elsewhere/x.json", "public"),
            ("restricted/ballots/S-1.json", "public"),
            ("public/result.json", "restricted"),
            ("public/C:x.json", "public"),
            ("public/نتیجه.json", "public"),
            ("public/a\0b.json", "public"),
        ] {
            assert!(!safe_path(bad, part), "{bad:?} in {part}");
        }
    }
}
