//! Streaming ballots from a JSONL file (one JSON ballot per line), for files of
//! millions of ballots: memory stays bounded by a few chunks whatever the file
//! size, and the chunks are parsed and counted on every core.
//!
//! The reader cuts the input into chunks ending at a newline; workers each
//! count into their own [`Tally`]; tallies are merged at the end (counting is
//! order-independent, so the result is the same as one pass). The first error
//! by line number is reported, and nothing is counted when there is one.

use crate::error::InputError;
use sandoq_count::{BallotReader, Contest, ExcessCandidates, Tally, Vote};
use serde::Deserialize;
use std::borrow::Cow;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// How much of the file one chunk holds.
pub const CHUNK_BYTES: usize = 1 << 20;
/// The longest line accepted; a longer one is not a ballot.
pub const MAX_LINE_BYTES: usize = 1 << 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LineBallot<'a> {
    #[serde(borrow, default)]
    list: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    candidates: Option<Vec<Cow<'a, str>>>,
    #[serde(default)]
    blank: Option<bool>,
    #[serde(borrow, default)]
    raw: Option<Vec<Cow<'a, str>>>,
}

fn line_error(error: &serde_json::Error) -> InputError {
    let message = error.to_string();
    let code = if message.starts_with("unknown field") {
        "unknown_field"
    } else if message.starts_with("duplicate field") {
        "duplicate_key"
    } else if message.starts_with("invalid type") {
        "wrong_type"
    } else {
        "invalid_json"
    };
    InputError::new(
        code,
        format!("not a ballot: {message}"),
        format!("برگ رأی معتبر نیست: {message}"),
    )
}

/// Reads and counts one line. Empty lines (only white space) are skipped.
pub fn count_line(
    reader: &mut BallotReader<'_>,
    tally: &mut Tally,
    line: &[u8],
) -> Result<(), InputError> {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    let ballot: LineBallot<'_> = serde_json::from_slice(line).map_err(|e| line_error(&e))?;
    let present = usize::from(ballot.list.is_some())
        + usize::from(ballot.candidates.is_some())
        + usize::from(ballot.blank.is_some())
        + usize::from(ballot.raw.is_some());
    if present != 1 {
        return Err(InputError::new(
            "ballot_shape",
            "a ballot holds exactly one of list, candidates, blank or raw",
            "برگ رأی دقیقاً یکی از list، candidates، blank یا raw را دارد",
        ));
    }
    let to_error = |e: sandoq_count::BallotError| InputError::new(e.code, e.en, e.fa);
    let vote = if let Some(code) = &ballot.list {
        reader.clean_list(code).map_err(to_error)?
    } else if let Some(codes) = &ballot.candidates {
        reader
            .clean_candidates(codes.iter().map(|c| c.as_ref()))
            .map_err(to_error)?
    } else if let Some(blank) = ballot.blank {
        if !blank {
            return Err(InputError::new(
                "ballot_shape",
                "a blank ballot is {\"blank\": true}",
                "رأی سفید {\"blank\": true} است",
            ));
        }
        Vote::Blank
    } else {
        let codes = ballot.raw.as_deref().unwrap_or_default();
        reader.raw(codes.iter().map(|c| c.as_ref()))
    };
    tally.add_one(vote);
    Ok(())
}

struct Chunk {
    first_line: u64,
    bytes: Vec<u8>,
}

/// Counts a JSONL stream with `threads` workers (at least 1).
pub fn count_jsonl<R: Read>(
    contest: &Contest,
    excess: ExcessCandidates,
    mut input: R,
    threads: usize,
) -> Result<Tally, InputError> {
    let threads = threads.max(1);
    let (sender, receiver) = mpsc::sync_channel::<Chunk>(threads * 2);
    let receiver = Arc::new(Mutex::new(receiver));
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let receiver = Arc::clone(&receiver);
                let stop = &stop;
                scope.spawn(move || -> Result<Tally, (u64, InputError)> {
                    let mut tally = Tally::new(contest);
                    let mut reader = BallotReader::new(contest, excess);
                    loop {
                        let chunk = match receiver.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => {
                                return Err((
                                    0,
                                    InputError::new(
                                        "internal",
                                        "a worker failed",
                                        "یک کارگر شکست خورد",
                                    ),
                                ))
                            }
                        };
                        let Ok(chunk) = chunk else { return Ok(tally) };
                        if stop.load(Ordering::Relaxed) {
                            continue;
                        }
                        for (i, line) in chunk.bytes.split(|&b| b == b'\n').enumerate() {
                            let line = line.strip_suffix(b"\r").unwrap_or(line);
                            if let Err(error) = count_line(&mut reader, &mut tally, line) {
                                stop.store(true, Ordering::Relaxed);
                                let number = chunk.first_line + i as u64;
                                return Err((number, error.at(format!("line {number}"))));
                            }
                        }
                    }
                })
            })
            .collect();
        let read_result = feed(&mut input, &sender, &stop);
        drop(sender);
        let mut tallies = Vec::new();
        let mut first_error: Option<(u64, InputError)> = None;
        for worker in workers {
            match worker.join() {
                Ok(Ok(tally)) => tallies.push(tally),
                Ok(Err((line, error))) => {
                    if first_error.as_ref().is_none_or(|(l, _)| line < *l) {
                        first_error = Some((line, error));
                    }
                }
                Err(_) => {
                    first_error = Some((
                        0,
                        InputError::new("internal", "a worker panicked", "یک کارگر از کار افتاد"),
                    ))
                }
            }
        }
        if let Some((_, error)) = first_error {
            return Err(error);
        }
        read_result?;
        let mut total = Tally::new(contest);
        for tally in &tallies {
            total.merge(tally).map_err(|_| {
                InputError::new("count_overflow", "the counts overflow", "شمارش سرریز شد")
            })?;
        }
        Ok(total)
    })
}

/// Reads the input in chunks cut at newlines and hands them to the workers.
fn feed<R: Read>(
    input: &mut R,
    sender: &mpsc::SyncSender<Chunk>,
    stop: &AtomicBool,
) -> Result<(), InputError> {
    let mut carry: Vec<u8> = Vec::new();
    let mut line_number: u64 = 1;
    let mut buffer = vec![0u8; CHUNK_BYTES];
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let n = input.read(&mut buffer).map_err(|e| {
            InputError::new(
                "read_failed",
                format!("cannot read the ballots: {e}"),
                format!("خواندن برگ‌های رأی ممکن نشد: {e}"),
            )
        })?;
        if n == 0 {
            if !carry.is_empty() {
                let _ = sender.send(Chunk {
                    first_line: line_number,
                    bytes: std::mem::take(&mut carry),
                });
            }
            return Ok(());
        }
        carry.extend_from_slice(&buffer[..n]);
        match carry.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                let rest = carry.split_off(last + 1);
                let mut bytes = std::mem::replace(&mut carry, rest);
                bytes.pop();
                let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
                if sender
                    .send(Chunk {
                        first_line: line_number,
                        bytes,
                    })
                    .is_err()
                {
                    return Ok(());
                }
                line_number += lines;
            }
            None if carry.len() > MAX_LINE_BYTES => {
                return Err(InputError::new(
                    "line_too_long",
                    format!("line {line_number} is longer than {MAX_LINE_BYTES} bytes"),
                    format!("سطر {line_number} از {MAX_LINE_BYTES} بایت بلندتر است"),
                )
                .at(format!("line {line_number}")));
            }
            None => {}
        }
    }
}
