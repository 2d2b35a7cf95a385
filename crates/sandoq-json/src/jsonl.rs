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
    input: R,
    threads: usize,
) -> Result<Tally, InputError> {
    count_jsonl_chunked(contest, excess, input, threads, CHUNK_BYTES)
}

/// [`count_jsonl`] with a chosen chunk size (tests use tiny chunks to exercise every boundary).
pub fn count_jsonl_chunked<R: Read>(
    contest: &Contest,
    excess: ExcessCandidates,
    mut input: R,
    threads: usize,
    chunk_bytes: usize,
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
        let read_result = feed(&mut input, &sender, &stop, chunk_bytes.max(1));
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
    chunk_bytes: usize,
) -> Result<(), InputError> {
    let mut carry: Vec<u8> = Vec::new();
    let mut line_number: u64 = 1;
    let mut buffer = vec![0u8; chunk_bytes];
    let mut at_start = true;
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
        if at_start {
            // A UTF-8 byte-order mark, as some editors write, is not part of the first ballot.
            if carry.len() < 3 && b"\xEF\xBB\xBF".starts_with(&carry) {
                continue;
            }
            if carry.starts_with(b"\xEF\xBB\xBF") {
                carry.drain(..3);
            }
            at_start = false;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use sandoq_count::{ElectionDefinition, ListDefinition};

    fn contest() -> Contest {
        ElectionDefinition {
            seats: 3,
            lists: vec![ListDefinition {
                code: "101".into(),
                name: "L".into(),
                candidates: vec!["1001".into(), "1002".into()],
            }],
            independents: vec!["9001".into(), "9002".into()],
        }
        .validate()
        .unwrap()
    }

    const BALLOTS: &str = "{\"list\":\"101\"}\n{\"candidates\":[\"9001\",\"1002\"]}\r\n\n{\"blank\":true}\n{\"raw\":[\"777\",\"9002\",\"101\"]}\n{\"candidates\":[\"۹۰۰۲\"]}\n{\"raw\":[\"777\"]}";

    fn one_by_one(text: &str) -> Tally {
        let contest = contest();
        let mut tally = Tally::new(&contest);
        let mut reader = BallotReader::new(&contest, ExcessCandidates::Ignore);
        for line in text.split('\n') {
            count_line(
                &mut reader,
                &mut tally,
                line.trim_end_matches('\r').as_bytes(),
            )
            .unwrap();
        }
        tally
    }

    #[test]
    fn every_chunk_size_and_thread_count_gives_the_same_tally() {
        let expected = one_by_one(BALLOTS);
        assert_eq!(expected.ballots().unwrap().cast, 6);
        for chunk in 1..=64 {
            for threads in [1, 3] {
                let tally = count_jsonl_chunked(
                    &contest(),
                    ExcessCandidates::Ignore,
                    BALLOTS.as_bytes(),
                    threads,
                    chunk,
                )
                .unwrap();
                assert_eq!(tally, expected, "chunk {chunk}, threads {threads}");
            }
        }
    }

    #[test]
    fn a_byte_order_mark_is_skipped_and_line_numbers_hold_across_chunks() {
        let with_bom = format!("\u{feff}{BALLOTS}");
        for chunk in [1, 2, 3, 5, 1 << 20] {
            let tally = count_jsonl_chunked(
                &contest(),
                ExcessCandidates::Ignore,
                with_bom.as_bytes(),
                2,
                chunk,
            )
            .unwrap();
            assert_eq!(tally, one_by_one(BALLOTS), "chunk {chunk}");
        }
        let bad = format!("{BALLOTS}\n{{\"list\":\"999\"}}\n{{\"blank\":true}}\n");
        for chunk in [1, 7, 1 << 20] {
            let error = count_jsonl_chunked(
                &contest(),
                ExcessCandidates::Ignore,
                bad.as_bytes(),
                2,
                chunk,
            )
            .unwrap_err();
            assert_eq!(
                (error.code, error.at.as_deref()),
                ("unknown_code", Some("line 8")),
                "chunk {chunk}"
            );
        }
    }
}
