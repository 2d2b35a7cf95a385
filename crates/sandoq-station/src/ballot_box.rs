//! The ballot box file (issue 4 §5): secret, durable and tamper-evident.
//!
//! The file is a fixed array of 512-byte slots, zero-filled when the box is created (so no block
//! is allocated later, in casting order). Slot 0 is the header (format, capacity, the device's
//! public key, the election's content hash). A ballot goes to the slot its random 128-bit id
//! hashes to (linear probing from there), written in place and flushed to disk (`fdatasync`)
//! before `cast` returns. So:
//!
//! - nothing records who cast a ballot, when, or in what order: there is no timestamp, no
//!   sequence number, no journal, and a ballot's place in the file follows its random id. The
//!   file's bytes are a function of the set of ballots alone: the same ballots cast in any order
//!   give the same file (a test checks it byte for byte).
//! - a ballot whose confirmation was shown is on disk; a crash during a write leaves at most that
//!   one slot torn (its checksum fails), and a torn slot never held a confirmed ballot. Opening
//!   the box counts such slots (`unreadable`) and leaves them as they are: an altered slot looks
//!   the same, and evidence is never erased. A ballot is written once, under its one id.
//! - every record is signed by the device (Ed25519 over the election hash, the id and the
//!   ballot), and the box's commitment is a Merkle root over all records, sorted.
//!
//! Slot layout: `SQB1` ‖ content length (u16 LE) ‖ id (16) ‖ signature (64) ‖ content (canonical
//! JSON of the ballot) ‖ zeros ‖ first 8 bytes of SHA-256 of bytes 0..504.

use crate::merkle;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rand_core::{OsRng, RngCore};
use sandoq_count::{BallotReader, Contest, ExcessCandidates};
use sha2::{Digest, Sha256};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::Path;

pub const SLOT_BYTES: usize = 512;
const CHECKSUM_AT: usize = SLOT_BYTES - 8;
const HEADER_MAGIC: &[u8; 8] = b"SQBOX001";
const RECORD_MAGIC: &[u8; 4] = b"SQB1";
const CONTENT_AT: usize = 4 + 2 + 16 + 64;
/// The longest canonical ballot a slot holds.
pub const MAX_CONTENT: usize = CHECKSUM_AT - CONTENT_AT;

/// Why the box refused or failed. Codes are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxError {
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

fn error(code: &'static str, en: impl Into<String>, fa: impl Into<String>) -> BoxError {
    BoxError {
        code,
        en: en.into(),
        fa: fa.into(),
    }
}

fn io(what: &str, e: std::io::Error) -> BoxError {
    let what_fa = match what {
        "created" => "ساخته",
        "opened" => "باز",
        "read" => "خوانده",
        "written" => "نوشته",
        "flushed" => "روی دیسک نوشته",
        _ => "جابه‌جا",
    };
    error(
        "ballot_box_io",
        format!("the ballot box file could not be {what}: {e}"),
        format!("پروندهٔ صندوق {what_fa} نشد: {e}"),
    )
}

/// A ballot as the voter confirmed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ballot {
    List(String),
    Candidates(Vec<String>),
    Blank,
}

impl Ballot {
    /// Checks the ballot against the contest with the counting engine's own rules (known codes,
    /// a list or candidates but not both, no repeat, at most as many candidates as seats) and
    /// returns it with codes normalised and candidates sorted, so that the order in which the
    /// voter typed them is not kept either.
    pub fn checked(&self, contest: &Contest) -> Result<Ballot, BoxError> {
        let mut reader = BallotReader::new(contest, ExcessCandidates::Invalidate);
        let refused = |e: sandoq_count::BallotError| error(e.code, e.en, e.fa);
        match self {
            Ballot::Blank => Ok(Ballot::Blank),
            Ballot::List(code) => {
                reader.clean_list(code).map_err(refused)?;
                Ok(Ballot::List(sandoq_count::election::normalize_code(code)))
            }
            Ballot::Candidates(codes) => {
                reader
                    .clean_candidates(codes.iter().map(String::as_str))
                    .map_err(refused)?;
                let mut codes: Vec<String> = codes
                    .iter()
                    .map(|c| sandoq_count::election::normalize_code(c))
                    .collect();
                codes.sort();
                Ok(Ballot::Candidates(codes))
            }
        }
    }

    /// The canonical JSON the counting engine reads: `{"list":"101"}`,
    /// `{"candidates":["10101","9001"]}` or `{"blank":true}`.
    pub fn canonical(&self) -> String {
        match self {
            Ballot::List(code) => serde_json::json!({ "list": code }).to_string(),
            Ballot::Candidates(codes) => serde_json::json!({ "candidates": codes }).to_string(),
            Ballot::Blank => r#"{"blank":true}"#.to_string(),
        }
    }
}

/// One stored ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BallotRecord {
    pub id: [u8; 16],
    /// The canonical JSON of the ballot.
    pub content: String,
    pub signature: [u8; 64],
}

impl BallotRecord {
    /// The text the device signs for a ballot of the election with content hash `election`.
    pub fn signed_text(election: &[u8; 32], id: &[u8; 16], content: &str) -> String {
        format!(
            "sandoq-ballot-v1\n{}\n{}\n{content}",
            merkle::hex(election),
            merkle::hex(id)
        )
    }

    /// Whether the device with `key` signed this record for `election`.
    pub fn verify(&self, key: &VerifyingKey, election: &[u8; 32]) -> bool {
        let text = BallotRecord::signed_text(election, &self.id, &self.content);
        key.verify(text.as_bytes(), &Signature::from_bytes(&self.signature))
            .is_ok()
    }

    /// The first of `records` that the device with `key` did not sign for `election`, if any:
    /// one batch verification for all ([`signed_by_one_key`], several times faster than one by
    /// one), then, only if the batch fails, one by one to name the culprit.
    pub fn first_unsigned(
        records: &[BallotRecord],
        key: &VerifyingKey,
        election: &[u8; 32],
    ) -> Option<usize> {
        if records.is_empty() || signed_by_one_key(records, key, election) {
            return None;
        }
        records
            .iter()
            .position(|r| !r.verify(key, election))
            // A batch can fail where each passes only for crafted non-canonical signatures,
            // which `verify` (strict on its own) would catch too; name the first then.
            .or(Some(0))
    }

    /// The records as the JSON list a station sends and the centre keeps:
    /// `[{"id": hex, "content": text, "signature": hex}, …]`, written straight from the records
    /// (the same text `serde_json` gives for that list of objects, without building one).
    pub fn list_json(records: &[BallotRecord]) -> String {
        use merkle::hex_into;
        let mut out = Vec::with_capacity(records.iter().map(|r| r.content.len() + 240).sum());
        out.push(b'[');
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(br#"{"id":""#);
            hex_into(&mut out, &r.id);
            out.extend_from_slice(br#"","content":"#);
            // Writing a string into a vector cannot fail.
            let _ = serde_json::to_writer(&mut out, &r.content);
            out.extend_from_slice(br#","signature":""#);
            hex_into(&mut out, &r.signature);
            out.extend_from_slice(br#""}"#);
        }
        out.push(b']');
        // Every piece is UTF-8 (ASCII, or JSON of a Rust string).
        String::from_utf8(out).unwrap_or_default()
    }

    /// What the record's Merkle leaf is taken over: id, signature and content.
    pub fn leaf_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(80 + self.content.len());
        bytes.extend_from_slice(&self.id);
        bytes.extend_from_slice(&self.signature);
        bytes.extend_from_slice(self.content.as_bytes());
        bytes
    }

    fn encode(&self) -> [u8; SLOT_BYTES] {
        let mut slot = [0u8; SLOT_BYTES];
        slot[0..4].copy_from_slice(RECORD_MAGIC);
        slot[4..6].copy_from_slice(&(self.content.len() as u16).to_le_bytes());
        slot[6..22].copy_from_slice(&self.id);
        slot[22..86].copy_from_slice(&self.signature);
        slot[CONTENT_AT..CONTENT_AT + self.content.len()].copy_from_slice(self.content.as_bytes());
        let sum = checksum(&slot);
        slot[CHECKSUM_AT..].copy_from_slice(&sum);
        slot
    }

    fn decode(slot: &[u8; SLOT_BYTES]) -> Option<BallotRecord> {
        if &slot[0..4] != RECORD_MAGIC || slot[CHECKSUM_AT..] != checksum(slot) {
            return None;
        }
        let length = usize::from(u16::from_le_bytes([slot[4], slot[5]]));
        if length > MAX_CONTENT {
            return None;
        }
        Some(BallotRecord {
            id: slot[6..22].try_into().ok()?,
            signature: slot[22..86].try_into().ok()?,
            content: String::from_utf8(slot[CONTENT_AT..CONTENT_AT + length].to_vec()).ok()?,
        })
    }
}

fn checksum(slot: &[u8; SLOT_BYTES]) -> [u8; 8] {
    let digest = Sha256::digest(&slot[..CHECKSUM_AT]);
    let mut sum = [0u8; 8];
    sum.copy_from_slice(&digest[..8]);
    sum
}

/// What opening a box found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    /// Slots that are neither empty nor a valid record: half-written by a crash (never a
    /// confirmed ballot) or altered. They are kept as found, counted in no result, and never
    /// written over, so that evidence of tampering stays where it is.
    pub unreadable: u64,
}

/// An open ballot box file.
#[derive(Debug)]
pub struct BallotBox {
    file: File,
    capacity: u64,
    election: [u8; 32],
    key: SigningKey,
    /// Which slots hold a ballot (kept in memory to probe without reading).
    occupied: Vec<bool>,
    count: u64,
    /// Slots found neither empty nor valid when the box was opened.
    unreadable: u64,
    /// Flush each ballot before `cast` returns (always, except in the simulator at full scale).
    sync_each: bool,
}

impl BallotBox {
    /// Creates an empty box of `capacity` ballots for the election with content hash `election`,
    /// every slot written with zeros and flushed. Refuses to replace an existing file.
    pub fn create(
        path: &Path,
        capacity: u64,
        election: [u8; 32],
        key: SigningKey,
    ) -> Result<BallotBox, BoxError> {
        if capacity == 0 || capacity > 1 << 24 {
            return Err(error(
                "bad_capacity",
                "a ballot box holds 1 to 16,777,216 ballots",
                "گنجایش صندوق ۱ تا ۱۶٬۷۷۷٬۲۱۶ برگ است",
            ));
        }
        if path.exists() {
            return Err(error(
                "ballot_box_exists",
                "a ballot box file is already there; it is never replaced",
                "پروندهٔ صندوق از پیش هست و هرگز جایگزین نمی‌شود",
            ));
        }
        // Built beside its final name and renamed into place once complete and on disk, so that a
        // crash while creating never leaves a half-made box under the real name.
        let partial = path.with_extension("partial");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&partial)
            .map_err(|e| io("created", e))?;
        let mut header = [0u8; SLOT_BYTES];
        header[0..8].copy_from_slice(HEADER_MAGIC);
        header[8..16].copy_from_slice(&capacity.to_le_bytes());
        header[16..48].copy_from_slice(key.verifying_key().as_bytes());
        header[48..80].copy_from_slice(&election);
        let sum = checksum(&header);
        header[CHECKSUM_AT..].copy_from_slice(&sum);
        file.write_all_at(&header, 0)
            .map_err(|e| io("written", e))?;
        let zeros = vec![0u8; SLOT_BYTES * 1024];
        let mut offset = SLOT_BYTES as u64;
        let end = (capacity + 1) * SLOT_BYTES as u64;
        while offset < end {
            let n = (end - offset).min(zeros.len() as u64) as usize;
            file.write_all_at(&zeros[..n], offset)
                .map_err(|e| io("written", e))?;
            offset += n as u64;
        }
        file.sync_all().map_err(|e| io("flushed", e))?;
        std::fs::rename(&partial, path).map_err(|e| io("renamed", e))?;
        if let Some(dir) = path.parent() {
            // The file's directory entry is durable too.
            if let Ok(dir) = File::open(if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            }) {
                let _ = dir.sync_all();
            }
        }
        Ok(BallotBox {
            file,
            capacity,
            election,
            key,
            occupied: vec![false; capacity as usize],
            count: 0,
            unreadable: 0,
            sync_each: true,
        })
    }

    /// Opens a box, checks that it belongs to this device and election, and clears any slot a
    /// crash left half-written.
    pub fn open(
        path: &Path,
        election: [u8; 32],
        key: SigningKey,
    ) -> Result<(BallotBox, Opened), BoxError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io("opened", e))?;
        let mut header = [0u8; SLOT_BYTES];
        file.read_exact_at(&mut header, 0)
            .map_err(|e| io("read", e))?;
        if &header[0..8] != HEADER_MAGIC || header[CHECKSUM_AT..] != checksum(&header) {
            return Err(error(
                "not_a_ballot_box",
                "this file is not a sandoq ballot box",
                "این پرونده صندوق رأی صندوق نیست",
            ));
        }
        if &header[16..48] != key.verifying_key().as_bytes() || header[48..80] != election {
            return Err(error(
                "ballot_box_mismatch",
                "this ballot box belongs to another device or election",
                "این صندوق از آنِ دستگاه یا انتخابات دیگری است",
            ));
        }
        let capacity = u64::from_le_bytes(header[8..16].try_into().unwrap_or([0; 8]));
        let mut ballot_box = BallotBox {
            file,
            capacity,
            election,
            key,
            occupied: vec![false; capacity as usize],
            count: 0,
            unreadable: 0,
            sync_each: true,
        };
        let mut unreadable = 0;
        let zero = [0u8; SLOT_BYTES];
        let per_chunk = 2048u64;
        let mut chunk = vec![0u8; per_chunk as usize * SLOT_BYTES];
        for index in 0..capacity {
            let within = index % per_chunk;
            if within == 0 {
                let n = (capacity - index).min(per_chunk) as usize * SLOT_BYTES;
                ballot_box
                    .file
                    .read_exact_at(&mut chunk[..n], (index + 1) * SLOT_BYTES as u64)
                    .map_err(|e| io("read", e))?;
            }
            let at = within as usize * SLOT_BYTES;
            let slot: [u8; SLOT_BYTES] = chunk[at..at + SLOT_BYTES]
                .try_into()
                .unwrap_or([0xff; SLOT_BYTES]);
            if slot == zero {
                continue;
            }
            ballot_box.occupied[index as usize] = true;
            if BallotRecord::decode(&slot).is_some() {
                ballot_box.count += 1;
            } else {
                unreadable += 1;
            }
        }
        ballot_box.unreadable = unreadable;
        Ok((ballot_box, Opened { unreadable }))
    }

    fn read_slot(&self, index: u64) -> Result<[u8; SLOT_BYTES], BoxError> {
        let mut slot = [0u8; SLOT_BYTES];
        self.file
            .read_exact_at(&mut slot, (index + 1) * SLOT_BYTES as u64)
            .map_err(|e| io("read", e))?;
        Ok(slot)
    }

    fn write_slot(&self, index: u64, slot: &[u8; SLOT_BYTES]) -> Result<(), BoxError> {
        self.file
            .write_all_at(slot, (index + 1) * SLOT_BYTES as u64)
            .map_err(|e| io("written", e))
    }

    /// How many ballots the box holds.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Casts a checked ballot under a fresh random id. Returns once the ballot is on disk.
    pub fn cast(&mut self, ballot: &Ballot) -> Result<BallotRecord, BoxError> {
        let mut id = [0u8; 16];
        OsRng.fill_bytes(&mut id);
        self.cast_with_id(ballot, id)
    }

    /// Casts under a given id (tests use it to cast the same ballots in different orders).
    pub fn cast_with_id(
        &mut self,
        ballot: &Ballot,
        id: [u8; 16],
    ) -> Result<BallotRecord, BoxError> {
        let content = ballot.canonical();
        if content.len() > MAX_CONTENT {
            return Err(error(
                "ballot_too_long",
                "this ballot does not fit a slot of the ballot box",
                "این برگ رأی در خانهٔ صندوق جا نمی‌شود",
            ));
        }
        if self.count + self.unreadable >= self.capacity {
            return Err(error(
                "ballot_box_full",
                "the ballot box is full",
                "صندوق پر است",
            ));
        }
        let text = BallotRecord::signed_text(&self.election, &id, &content);
        let record = BallotRecord {
            id,
            content,
            signature: self.key.sign(text.as_bytes()).to_bytes(),
        };
        let mut index = u64::from_le_bytes(id[0..8].try_into().unwrap_or([0; 8])) % self.capacity;
        while self.occupied[index as usize] {
            index = (index + 1) % self.capacity;
        }
        self.write_slot(index, &record.encode())?;
        if self.sync_each {
            self.file.sync_data().map_err(|e| io("flushed", e))?;
        }
        self.occupied[index as usize] = true;
        self.count += 1;
        Ok(record)
    }

    /// Stops flushing each ballot as it is cast; [`BallotBox::flush`] flushes them all. Only for
    /// the simulator at full scale (millions of ballots on one machine, where a flush each would
    /// take longer than the whole run): a box whose confirmations a voter sees always flushes each.
    pub fn defer_sync(&mut self) {
        self.sync_each = false;
    }

    /// Flushes every ballot written so far to disk.
    pub fn flush(&self) -> Result<(), BoxError> {
        self.file.sync_data().map_err(|e| io("flushed", e))
    }

    /// Every ballot, in the order of the file (which is the order of their random ids' hashes).
    pub fn records(&self) -> Result<Vec<BallotRecord>, BoxError> {
        let mut records = Vec::with_capacity(self.count as usize);
        for index in 0..self.capacity {
            if self.occupied[index as usize] {
                let slot = self.read_slot(index)?;
                if let Some(record) = BallotRecord::decode(&slot) {
                    records.push(record);
                }
            }
        }
        Ok(records)
    }

    /// The commitment to every ballot: how many, and the Merkle root over their records.
    pub fn commitment(&self) -> Result<(u64, [u8; 32]), BoxError> {
        let records = self.records()?;
        let leaves = records
            .iter()
            .map(|r| merkle::leaf(&r.leaf_bytes()))
            .collect();
        Ok((records.len() as u64, merkle::root(leaves)))
    }

    /// Slots found neither empty nor valid when the box was opened (see [`Opened`]).
    pub fn unreadable(&self) -> u64 {
        self.unreadable
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }
}

/// Whether `key` signed every one of `records` for `election`, in one batch: Ed25519's batch
/// equation as `ed25519_dalek::verify_batch` checks it (a random 128-bit weight `z` per
/// signature, every `s` required canonical, every `R` a point), with the terms of the one key
/// gathered into one:
///
/// `[-Σ z·s]B + Σ [z]R + [Σ z·H(R‖A‖M)]A = 0`
///
/// so the multiscalar multiplication has n + 2 points where the general batch, a key per
/// signature, has 2n + 1. Given the same weights it accepts exactly the batches `verify_batch`
/// accepts: the same sum, the key's n terms added before they are multiplied.
fn signed_by_one_key(records: &[BallotRecord], key: &VerifyingKey, election: &[u8; 32]) -> bool {
    use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
    use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
    use curve25519_dalek::scalar::Scalar;
    use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
    use sha2::Sha512;

    let mut weights = vec![0u8; 16 * records.len()];
    if OsRng.try_fill_bytes(&mut weights).is_err() {
        return false;
    }
    let election_hex = merkle::hex(election);
    let key_bytes = key.as_bytes();
    let mut of_basepoint = Scalar::ZERO;
    let mut of_key = Scalar::ZERO;
    let mut scalars = Vec::with_capacity(records.len() + 2);
    let mut points = Vec::with_capacity(records.len() + 2);
    for (record, weight) in records.iter().zip(weights.chunks_exact(16)) {
        let mut r = [0u8; 32];
        r.copy_from_slice(&record.signature[..32]);
        let mut s = [0u8; 32];
        s.copy_from_slice(&record.signature[32..]);
        let Some(s) = Option::<Scalar>::from(Scalar::from_canonical_bytes(s)) else {
            return false;
        };
        let Some(point) = CompressedEdwardsY(r).decompress() else {
            return false;
        };
        // H(R ‖ A ‖ M), M being `BallotRecord::signed_text`, hashed piece by piece.
        let mut hash = Sha512::new();
        hash.update(r);
        hash.update(key_bytes);
        hash.update(b"sandoq-ballot-v1\n");
        hash.update(election_hex.as_bytes());
        hash.update(b"\n");
        hash.update(merkle::hex(&record.id).as_bytes());
        hash.update(b"\n");
        hash.update(record.content.as_bytes());
        let hram = Scalar::from_bytes_mod_order_wide(&hash.finalize().into());
        let mut z = [0u8; 16];
        z.copy_from_slice(weight);
        let z = Scalar::from(u128::from_le_bytes(z));
        of_basepoint += z * s;
        of_key += z * hram;
        scalars.push(z);
        points.push(point);
    }
    scalars.push(-of_basepoint);
    points.push(ED25519_BASEPOINT_POINT);
    scalars.push(of_key);
    points.push(key.to_edwards());
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points).is_identity()
}
