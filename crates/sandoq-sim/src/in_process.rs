//! A polling day at one station without HTTP between the desk and the agent, for the simulator at
//! full scale (5,000 stations, 3.5 million voters on one machine): the station is a real
//! [`sandoq_station_agent::Agent`], which fetches its package from the centre and sends its report
//! and ballot records over the centre's HTTP API exactly as in a polling station; the desk and
//! the ballot box are driven through the agent's own `Station` (the code behind the desk and box
//! pages), and check-ins go to the centre's store through [`sandoq_store::check_in_many`], the
//! same rules as one check-in, decided for a chunk of voters in one commit.
//!
//! What differs from a real station, and why (each said where it happens): the officials are
//! marked present without typing a password (their co-signing keys come from the seed,
//! [`crate::training::Officials::Seeded`]); the ballot box and token book are flushed once at
//! closing rather than after each write ([`sandoq_station_agent::station::Station::defer_syncs`]);
//! photos are not fetched.

use crate::polling_day::Chooser;
use crate::training::{official_key, StationInfo};
use sandoq_count::{BallotReader, Contest, ExcessCandidates, Tally};
use sandoq_registry::NationalCode;
use sandoq_station::lifecycle::State;
use sandoq_station_agent::Agent;
use sandoq_store::{CheckInOutcome, CheckInRequest, Election, Store, Timestamp};

/// Voters checked in per call to the store.
pub const CHUNK: usize = 500;

/// What happened at a station.
#[derive(Debug)]
pub struct StationRun {
    pub station: String,
    pub checked_in: u64,
    pub refused: u64,
    /// Everyone the desk gave a token to.
    pub admitted: Vec<NationalCode>,
    /// The ballots the simulated voters cast here, counted by the counting engine (ground truth).
    pub truth: Tally,
    pub ballots: u64,
    /// The centre acknowledged the report and the ballot records.
    pub reported: bool,
    /// Time spent in each step ([`STEPS`]), for the benchmark.
    pub steps: [std::time::Duration; 5],
}

/// The steps of a station's day timed in [`StationRun::steps`].
pub const STEPS: [&str; 5] = ["package", "check_in", "vote", "close", "send"];

/// The counting engine's view of the contest, to keep the ground truth with.
#[derive(Debug, Clone, Copy)]
pub struct Truth<'c> {
    pub contest: &'c Contest,
    pub excess: ExcessCandidates,
}

/// Runs one station's day: fetch the package, open with its three officials, check in and vote
/// `voters` in chunks, close, co-sign, send the report and the records.
#[allow(clippy::too_many_arguments)]
pub async fn run_station<S: Store>(
    store: &S,
    election: &Election,
    agent: Agent,
    station: &StationInfo,
    voters: &[NationalCode],
    chooser: &mut Chooser,
    truth: &Truth<'_>,
    seed: u64,
    now: Timestamp,
) -> Result<StationRun, String> {
    let fail = |what: &str| {
        let what = what.to_string();
        let code = station.code.clone();
        move |e: sandoq_station_agent::station::Refusal| {
            format!("station {code}: {what}: [{}] {}", e.code, e.en)
        }
    };
    let mut steps = [std::time::Duration::ZERO; 5];
    let mut clock = std::time::Instant::now();
    let mut lap = |step: usize, steps: &mut [std::time::Duration; 5]| {
        steps[step] += clock.elapsed();
        clock = std::time::Instant::now();
    };
    // The package, as the agent's background round fetches it.
    for _ in 0..20 {
        agent.tick().await;
        if agent.with_station(|_| Ok(())).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let officials = station.officials.clone();
    let at = now.0;
    agent
        .with_station(move |s| {
            s.defer_syncs();
            for username in &officials {
                s.sign_in(username);
            }
            let hash = s.package.hash;
            s.open(at, &hash)
        })
        .await
        .map_err(fail("open"))?;
    lap(0, &mut steps);

    let mut run = StationRun {
        station: station.code.clone(),
        checked_in: 0,
        refused: 0,
        admitted: Vec::new(),
        truth: Tally::new(truth.contest),
        ballots: 0,
        reported: false,
        steps: [std::time::Duration::ZERO; 5],
    };
    let mut reader = BallotReader::new(truth.contest, truth.excess);
    for (c, chunk) in voters.chunks(CHUNK).enumerate() {
        let requests: Vec<CheckInRequest> = chunk
            .iter()
            .enumerate()
            .map(|(k, code)| CheckInRequest {
                election: election.id,
                national_code: code.to_string(),
                station: station.code.clone(),
                request_id: format!("{}-{c}-{k}", station.code),
                at: now,
                nonce: None,
            })
            .collect();
        let outcomes = sandoq_store::check_in_many(store, election, &requests)
            .await
            .map_err(|e| format!("station {}: check-in: {e}", station.code))?;
        lap(1, &mut steps);
        let mut ballots = Vec::new();
        for (code, outcome) in chunk.iter().zip(outcomes) {
            match outcome {
                Ok(CheckInOutcome::Recorded { .. }) => {
                    let ballot = chooser.ballot_for(code);
                    let vote = sandoq_json::tally::read_ballot(&mut reader, &ballot, "ballot")
                        .map_err(|e| format!("ground truth: {}", e.en))?;
                    run.truth.add_one(vote);
                    run.admitted.push(*code);
                    run.checked_in += 1;
                    ballots.push(ballot);
                }
                Ok(_) => run.refused += 1,
                Err(e) => return Err(format!("station {}: check-in: {e}", station.code)),
            }
        }
        // At the desk a token for each; at the box, the token typed, the ballot cast.
        let cast = agent
            .with_station(move |s| {
                let mut cast = 0u64;
                for value in &ballots {
                    let token = s.issue_token()?;
                    let session = s.unlock(1, &token)?;
                    let ballot = sandoq_station_agent::ballot_of(value)?;
                    s.cast(1, &session, &ballot, at)?;
                    cast += 1;
                }
                Ok(cast)
            })
            .await
            .map_err(fail("vote"))?;
        run.ballots += cast;
        lap(2, &mut steps);
    }

    // Close, co-sign by the three officials, and let the agent send the report and the records.
    let officials = station.officials.clone();
    agent
        .with_station(move |s| {
            s.close(at)?;
            for username in &officials {
                s.cosign(username, &official_key(seed, username))?;
            }
            Ok(())
        })
        .await
        .map_err(fail("close"))?;
    lap(3, &mut steps);
    for _ in 0..20 {
        agent.tick().await;
        let done = agent
            .with_station(|s| Ok(s.state() == State::Reported && s.ballots_sent))
            .await
            .unwrap_or(false);
        if done {
            run.reported = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    lap(4, &mut steps);
    run.steps = steps;
    if !run.reported {
        let why = agent
            .with_station(|s| Ok(s.last_refusal.clone()))
            .await
            .ok()
            .flatten()
            .map(|r| format!("[{}] {}", r.code, r.en))
            .unwrap_or_default();
        return Err(format!(
            "station {}: the centre did not take the report and the ballots {why}",
            station.code
        ));
    }
    Ok(run)
}
