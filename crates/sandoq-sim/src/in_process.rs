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
use sandoq_count::{BallotReader, Contest, ExcessCandidates, Tally, Vote};
use sandoq_registry::NationalCode;
use sandoq_station::lifecycle::State;
use sandoq_station::Ballot;
use sandoq_station_agent::Agent;
use sandoq_store::{CheckInOutcome, CheckInRequest, Election, Store, Timestamp};
use std::time::{Duration, Instant};

/// Adds the time since `clock` to `slot` and starts the clock again.
fn lap(clock: &mut Instant, slot: &mut Duration) {
    *slot += clock.elapsed();
    *clock = Instant::now();
}

/// Voters checked in per call to the store.
pub const CHUNK: usize = 500;

/// What goes wrong at a station during its day (scenarios), as positions in its queue of voters.
#[derive(Debug, Clone, Default)]
pub struct StationEvents {
    /// The device dies before this voter; a replacement opens the same data directory.
    pub replace_at: Option<usize>,
    /// The network is gone for these voters (`start..end`).
    pub offline: Option<(usize, usize)>,
    /// The election's policy for offline stations lets the desk take provisional check-ins.
    pub provisional: bool,
    /// The device's clock is this many seconds off when the day starts; the officials set it
    /// right once the desk shows the centre's refusal.
    pub clock_skew: Option<i64>,
    /// Every check-in goes through the agent's desk to the centre's HTTP API, one voter at a
    /// time, as at a real desk (the centre may die under this load: scenario `centre_restart`);
    /// otherwise voters are checked in at the store in chunks.
    pub through_centre: bool,
}

/// How long a station waits for the centre (its package, the acknowledgement of its report)
/// before the simulator gives up on it.
pub const PATIENCE: Duration = Duration::from_secs(90);

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
    pub steps: [Duration; 5],
    /// The device died and was replaced.
    pub replaced: bool,
    /// Check-ins taken while offline (provisional), and voters turned away to come back later.
    pub provisional: u64,
    pub came_back: u64,
    /// The centre refused the device while its clock was off, and the desk said why.
    pub clock_skew_refused: bool,
    /// Check-ins the desk sent to the centre that got no answer from it (the voter was taken
    /// provisionally or asked to come back).
    pub centre_unanswered: u64,
    /// When the station opened, from its signed event log (the day on the clock).
    pub opened_at: Option<i64>,
    /// Its officials extended the hours.
    pub extended: bool,
    /// People the desk turned away because polling hours were over.
    pub turned_away_after_hours: u64,
}

impl StationRun {
    /// Nothing done yet.
    pub fn new(station: &str, truth: &Truth<'_>) -> StationRun {
        StationRun {
            station: station.to_string(),
            checked_in: 0,
            refused: 0,
            admitted: Vec::new(),
            truth: Tally::new(truth.contest),
            ballots: 0,
            reported: false,
            steps: [Duration::ZERO; 5],
            replaced: false,
            provisional: 0,
            came_back: 0,
            clock_skew_refused: false,
            centre_unanswered: 0,
            opened_at: None,
            extended: false,
            turned_away_after_hours: 0,
        }
    }
}

/// The package, as the agent's background round fetches it (waiting a while for the centre).
async fn fetch_package(agent: &Agent) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        agent.tick().await;
        if agent.with_station(|_| Ok(())).await.is_ok() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The station's three officials sign in and open it at `at` (the box and book flushed at
/// closing, see the module's note).
async fn open(
    agent: &Agent,
    station: &StationInfo,
    at: i64,
) -> Result<(), sandoq_station_agent::station::Refusal> {
    let officials = station.officials.clone();
    agent
        .with_station(move |s| {
            seat_officials(s, &officials);
            let hash = s.package.hash;
            s.open(at, &hash)
        })
        .await
}

/// The station's officials signed in on a device that flushes its box and book at closing (see
/// the module's note): at the opening, and on a replacement device.
fn seat_officials(s: &mut sandoq_station_agent::station::Station, officials: &[String]) {
    s.defer_syncs();
    for username in officials {
        s.sign_in(username);
    }
}

/// The agent's rounds until the centre has acknowledged the report and the ballot records.
async fn sent(agent: &Agent) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        agent.tick().await;
        let done = agent
            .with_station(|s| Ok(s.state() == State::Reported && s.ballots_sent))
            .await
            .unwrap_or(false);
        if done {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A simulated station's own work (signing ballots at its box, closing and co-signing) runs on
/// the thread it is given below the priority of the rest of the process: on election day a
/// station is its own computer and never takes a core from the centre, whose store has one
/// writer that every station's check-ins wait for. Threads keep the priority they are given (a
/// process may not raise it again), so the blocking threads that have served a station stay
/// below; the store's own threads, started by the runtime's workers, keep the normal one.
fn below_the_centre() {
    if let Ok(value) = thread_priority::ThreadPriorityValue::try_from(24u8) {
        // 24 of 0..=99 is niceness 9 on Linux; where the system refuses, the day runs all the same.
        let _ = thread_priority::set_current_thread_priority(
            thread_priority::ThreadPriority::Crossplatform(value),
        );
    }
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
    config: sandoq_station_agent::Config,
    station: &StationInfo,
    voters: &[NationalCode],
    chooser: &mut Chooser,
    truth: &Truth<'_>,
    events: &StationEvents,
    seed: u64,
    now: Timestamp,
) -> Result<StationRun, String> {
    // A device whose clock is off: the centre refuses its signed requests and the desk shows why;
    // the officials set the clock right and start it again.
    let mut clock_skew_refused = false;
    if let Some(skew) = events.clock_skew {
        let mut skewed = config.clone();
        let base = config.clock.clone();
        skewed.clock = std::sync::Arc::new(move || base() + skew);
        let agent = Agent::new(skewed).map_err(|e| format!("station {}: {e}", station.code))?;
        agent.tick().await;
        clock_skew_refused = agent
            .waiting()
            .is_some_and(|w| w.code == "centre_refused" && w.en.contains("stale_request"));
    }
    let mut agent =
        Agent::new(config.clone()).map_err(|e| format!("station {}: {e}", station.code))?;
    let fail = |what: &str| {
        let what = what.to_string();
        let code = station.code.clone();
        move |e: sandoq_station_agent::station::Refusal| {
            format!("station {code}: {what}: [{}] {}", e.code, e.en)
        }
    };
    let mut steps = [Duration::ZERO; 5];
    let mut clock = Instant::now();
    // The package, as the agent's background round fetches it (the centre may be down a while).
    fetch_package(&agent).await;
    let at = now.0;
    open(&agent, station, at).await.map_err(fail("open"))?;
    lap(&mut clock, &mut steps[0]);

    let mut run = StationRun::new(&station.code, truth);
    let mut reader = BallotReader::new(truth.contest, truth.excess);
    // The day in segments: split where the device dies and where the network goes and returns.
    let mut cuts = vec![0, voters.len()];
    cuts.extend(events.replace_at);
    if let Some((a, b)) = events.offline {
        cuts.extend([a, b]);
    }
    cuts.retain(|&c| c <= voters.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut later: Vec<NationalCode> = Vec::new();
    for pair in cuts.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if events.replace_at == Some(a) {
            // The device dies: everything in its memory is gone (officials signed in, sessions).
            // The replacement is started on the same data directory (the removable copy).
            drop(agent);
            agent = Agent::new(config.clone())
                .map_err(|e| format!("station {}: replacement: {e}", station.code))?;
            let officials = station.officials.clone();
            agent
                .with_station(move |s| {
                    seat_officials(s, &officials);
                    Ok(())
                })
                .await
                .map_err(fail("replacement"))?;
            run.replaced = true;
        }
        let offline = events.offline.is_some_and(|(x, y)| a >= x && b <= y);
        if offline {
            let _ = agent
                .with_station(move |s| {
                    s.set_online(false, at);
                    Ok(())
                })
                .await;
        }
        for chunk in voters[a..b].chunks(CHUNK) {
            if offline && !events.provisional {
                // The desk cannot reach the centre and may not take anyone provisionally: the
                // voters are asked to come back when the network is back.
                later.extend_from_slice(chunk);
                run.came_back += chunk.len() as u64;
                continue;
            }
            let mut desk = Desk {
                agent: &agent,
                station,
                chooser: &mut *chooser,
                reader: &mut reader,
                run: &mut run,
                at,
            };
            if offline {
                desk.provisional_chunk(chunk)
                    .await
                    .map_err(|e| format!("station {}: {e}", station.code))?;
                lap(&mut clock, &mut steps[2]);
                continue;
            }
            if events.through_centre {
                let turned_away = desk.at_the_desk(chunk).await?;
                later.extend(turned_away);
                lap(&mut clock, &mut steps[1]);
                continue;
            }
            desk.online_chunk(store, election, chunk, &mut clock, &mut steps)
                .await?;
        }
        if offline && events.offline.is_some_and(|(_, end)| b == end) {
            // The network is back: the agent's round notes it and syncs the provisional
            // check-ins; the voters turned away come back.
            agent.tick().await;
            let back = std::mem::take(&mut later);
            for chunk in back.chunks(CHUNK) {
                let mut desk = Desk {
                    agent: &agent,
                    station,
                    chooser: &mut *chooser,
                    reader: &mut reader,
                    run: &mut run,
                    at,
                };
                desk.online_chunk(store, election, chunk, &mut clock, &mut steps)
                    .await?;
            }
        }
    }

    // Voters the desk turned away while the centre could not be reached (policy refuse) come
    // back until it answers.
    if events.through_centre {
        let deadline = Instant::now() + PATIENCE;
        while !later.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let back = std::mem::take(&mut later);
            let mut desk = Desk {
                agent: &agent,
                station,
                chooser: &mut *chooser,
                reader: &mut reader,
                run: &mut run,
                at,
            };
            later = desk.at_the_desk(&back).await?;
        }
        if !later.is_empty() {
            return Err(format!(
                "station {}: {} voters could not be checked in: the centre did not come back",
                station.code,
                later.len()
            ));
        }
    }

    // Close, co-sign by the three officials, and let the agent send the report and the records.
    let officials = station.officials.clone();
    agent
        .with_station(move |s| {
            below_the_centre();
            s.close(at)?;
            for username in &officials {
                s.cosign(username, &official_key(seed, username))?;
            }
            Ok(())
        })
        .await
        .map_err(fail("close"))?;
    lap(&mut clock, &mut steps[3]);
    run.reported = sent(&agent).await;
    lap(&mut clock, &mut steps[4]);
    run.steps = steps;
    run.clock_skew_refused = clock_skew_refused;
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

/// The desk and the ballot box of one station, for a chunk of voters.
struct Desk<'a, 'c> {
    agent: &'a Agent,
    station: &'a StationInfo,
    chooser: &'a mut Chooser,
    reader: &'a mut BallotReader<'c>,
    run: &'a mut StationRun,
    at: i64,
}

impl Desk<'_, '_> {
    /// A voter the desk let in: the simulator's own record of their ballot (ground truth).
    fn admit(&mut self, code: &NationalCode) -> Result<Ballot, String> {
        let ballot = self.chooser.choice_for(code);
        let vote = match &ballot {
            Ballot::Blank => Ok(Vote::Blank),
            Ballot::List(code) => self.reader.clean_list(code),
            Ballot::Candidates(codes) => self
                .reader
                .clean_candidates(codes.iter().map(String::as_str)),
        }
        .map_err(|e| format!("ground truth: {}", e.en))?;
        self.run.truth.add_one(vote);
        self.run.admitted.push(*code);
        self.run.checked_in += 1;
        Ok(ballot)
    }

    /// Online: the chunk checked in at the centre in one call, then a token, the box unlocked
    /// and the ballot cast for each voter let in.
    async fn online_chunk<S: Store>(
        &mut self,
        store: &S,
        election: &Election,
        chunk: &[NationalCode],
        clock: &mut Instant,
        steps: &mut [Duration; 5],
    ) -> Result<(), String> {
        let code = self.station.code.clone();
        // The desk's own check first (the station open, polling hours not over).
        let at = self.at;
        self.agent
            .with_station(move |s| s.can_check_in(at))
            .await
            .map_err(|e| format!("station {code}: check-in: [{}] {}", e.code, e.en))?;
        let first = self.run.checked_in + self.run.refused;
        let requests: Vec<CheckInRequest> = chunk
            .iter()
            .enumerate()
            .map(|(k, national)| CheckInRequest {
                election: election.id,
                national_code: national.to_string(),
                station: code.clone(),
                request_id: format!("{code}-{}", first + k as u64),
                at: Timestamp(self.at),
                nonce: None,
            })
            .collect();
        let outcomes = sandoq_store::check_in_many(store, election, &requests)
            .await
            .map_err(|e| format!("station {code}: check-in: {e}"))?;
        lap(clock, &mut steps[1]);
        let mut ballots = Vec::new();
        for (national, outcome) in chunk.iter().zip(outcomes) {
            match outcome {
                Ok(CheckInOutcome::Recorded { .. }) => ballots.push(self.admit(national)?),
                Ok(_) => self.run.refused += 1,
                Err(e) => return Err(format!("station {code}: check-in: {e}")),
            }
        }
        let at = self.at;
        let cast = self
            .agent
            .with_station(move |s| {
                below_the_centre();
                let mut cast = 0u64;
                for ballot in &ballots {
                    let token = s.issue_token()?;
                    let session = s.unlock(1, &token)?;
                    s.cast(1, &session, ballot, at)?;
                    cast += 1;
                }
                Ok(cast)
            })
            .await
            .map_err(|e| format!("station {code}: vote: [{}] {}", e.code, e.en))?;
        self.run.ballots += cast;
        lap(clock, &mut steps[2]);
        Ok(())
    }

    /// Each voter checked in at the agent's desk, which asks the centre over its HTTP API (or,
    /// when the centre cannot be reached, follows the election's offline policy), then a token,
    /// the box unlocked and the ballot cast. Returns the voters the desk asked to come back
    /// later (the centre unreachable under the policy `refuse`).
    async fn at_the_desk(&mut self, chunk: &[NationalCode]) -> Result<Vec<NationalCode>, String> {
        let code = self.station.code.clone();
        let mut later = Vec::new();
        for national in chunk {
            let answer = self.agent.check_in(&national.to_string()).await;
            let outcome = answer.body["outcome"].as_str().unwrap_or("");
            let token = match (answer.status, outcome) {
                (200, "recorded" | "provisional") => answer.body["token"]
                    .as_str()
                    .ok_or_else(|| format!("station {code}: the desk gave no token"))?
                    .to_string(),
                (200, _) | (409, _) => {
                    self.run.refused += 1;
                    continue;
                }
                // The centre unreachable under the policy `refuse`, or failing: the officials
                // ask the voter to come back shortly.
                (status, _) if status >= 500 => {
                    later.push(*national);
                    self.run.came_back += 1;
                    self.run.centre_unanswered += 1;
                    continue;
                }
                (status, _) => {
                    return Err(format!(
                        "station {code}: check-in at the desk: {status} {}",
                        answer.body
                    ))
                }
            };
            let ballot = self.admit(national)?;
            if outcome == "provisional" {
                self.run.provisional += 1;
                self.run.centre_unanswered += 1;
            }
            let at = self.at;
            self.agent
                .with_station(move |s| {
                    let session = s.unlock(1, &token)?;
                    s.cast(1, &session, &ballot, at).map(|_| ())
                })
                .await
                .map_err(|e| format!("station {code}: vote: [{}] {}", e.code, e.en))?;
            self.run.ballots += 1;
        }
        Ok(later)
    }

    /// Offline under the provisional policy: the desk keeps each check-in to sync later and gives
    /// a token (a person already waiting here is refused); the voter casts as usual.
    async fn provisional_chunk(&mut self, chunk: &[NationalCode]) -> Result<(), String> {
        let at = self.at;
        let codes: Vec<String> = chunk.iter().map(|c| c.to_string()).collect();
        let ballots: Vec<Ballot> = chunk.iter().map(|c| self.chooser.choice_for(c)).collect();
        let taken = self
            .agent
            .with_station(move |s| {
                let mut taken = Vec::new();
                for (code, ballot) in codes.iter().zip(&ballots) {
                    let token = match s.provisional_check_in(code, "", at) {
                        Ok(token) => token,
                        Err(e) if e.code == "already_checked_in_here" => {
                            taken.push(false);
                            continue;
                        }
                        Err(e) => return Err(e),
                    };
                    let session = s.unlock(1, &token)?;
                    s.cast(1, &session, ballot, at)?;
                    taken.push(true);
                }
                Ok(taken)
            })
            .await
            .map_err(|e| format!("provisional check-in: [{}] {}", e.code, e.en))?;
        for (code, took) in chunk.iter().zip(taken) {
            if took {
                self.admit(code)?;
                self.run.ballots += 1;
                self.run.provisional += 1;
            } else {
                self.run.refused += 1;
            }
        }
        Ok(())
    }
}

/// The length of one step of the day on the clock.
pub const SLOT_SECONDS: i64 = 600;

/// The day on the clock (scenarios late opening, extension, surge, after hours): one clock for
/// the centre and every device, moved on ten minutes at a time once every station has done what
/// that step brought (a barrier of every station and the simulator).
#[derive(Clone, Debug)]
pub struct DayClock {
    pub now: std::sync::Arc<std::sync::atomic::AtomicI64>,
    pub barrier: std::sync::Arc<tokio::sync::Barrier>,
    /// The start of each step, seconds since 1970.
    pub slots: Vec<i64>,
}

impl DayClock {
    pub fn new(slots: Vec<i64>, stations: usize) -> DayClock {
        DayClock {
            now: std::sync::Arc::new(std::sync::atomic::AtomicI64::new(
                slots.first().copied().unwrap_or(0),
            )),
            barrier: std::sync::Arc::new(tokio::sync::Barrier::new(stations + 1)),
            slots,
        }
    }

    /// A device's clock that reads this one.
    pub fn device_clock(&self) -> sandoq_station_agent::Clock {
        let now = self.now.clone();
        std::sync::Arc::new(move || now.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// The simulator's side: after each step, once every station is done, the clock moves on.
    pub async fn drive(&self, mut each: impl FnMut(usize)) {
        for k in 0..self.slots.len() {
            self.barrier.wait().await;
            if let Some(&next) = self.slots.get(k + 1) {
                self.now.store(next, std::sync::atomic::Ordering::SeqCst);
            }
            each(k);
            self.barrier.wait().await;
        }
    }
}

/// How one station's day goes on the clock.
#[derive(Debug, Clone, Default)]
pub struct Timetable {
    /// When each voter of the station's queue comes (seconds since 1970), in queue order.
    pub arrivals: Vec<i64>,
    /// People who come once the station's hours are over: the desk must turn them away.
    pub after_hours: Vec<NationalCode>,
    /// When the officials open the station.
    pub opens_at: i64,
    /// How many voters the desk can check in per step.
    pub per_step: usize,
    /// The officials extend the hours to this instant if people are still waiting at closing.
    pub extend_to: Option<i64>,
}

/// Runs one station's day on the clock: at each step the officials open if it is time, the
/// people who came wait in the queue, the desk checks in as many as it can (the desk's own rule
/// for polling hours decides, on the shared clock), the officials extend the hours if people
/// still wait at closing time, and at closing the desk turns away whoever is left and whoever
/// comes late, the officials close, co-sign, and the agent sends the report. Every station takes
/// part in every step, whatever happens to it, so that the clock can move on.
#[allow(clippy::too_many_arguments)]
pub async fn run_timed_station<S: Store>(
    store: &S,
    election: &Election,
    config: sandoq_station_agent::Config,
    station: &StationInfo,
    voters: &[NationalCode],
    table: &Timetable,
    chooser: &mut Chooser,
    truth: &Truth<'_>,
    seed: u64,
    day: &DayClock,
) -> Result<StationRun, String> {
    let mut failure: Option<String> = None;
    let agent = Agent::new(config).map_err(|e| format!("station {}: {e}", station.code));
    let mut run = StationRun::new(&station.code, truth);
    let mut reader = BallotReader::new(truth.contest, truth.excess);
    let mut day_state = TimedDay {
        queue: std::collections::VecDeque::new(),
        next: 0,
        opened: false,
        closed: false,
    };
    if let Err(e) = &agent {
        failure = Some(e.clone());
    }
    for (k, &t) in day.slots.iter().enumerate() {
        if let (None, Ok(agent)) = (&failure, &agent) {
            let mut desk = Desk {
                agent,
                station,
                chooser: &mut *chooser,
                reader: &mut reader,
                run: &mut run,
                at: t,
            };
            if let Err(e) = day_state
                .step(&mut desk, store, election, voters, table, seed, k, t)
                .await
            {
                failure = Some(e);
            }
        }
        day.barrier.wait().await;
        day.barrier.wait().await;
    }
    if let Some(e) = failure {
        return Err(e);
    }
    let agent = agent?;
    run.reported = sent(&agent).await;
    if !run.reported {
        return Err(format!(
            "station {}: the centre did not take the report and the ballots",
            station.code
        ));
    }
    Ok(run)
}

/// Where a station is in its day on the clock.
struct TimedDay {
    queue: std::collections::VecDeque<NationalCode>,
    /// The next voter to come (an index into the queue of the day).
    next: usize,
    opened: bool,
    closed: bool,
}

impl TimedDay {
    #[allow(clippy::too_many_arguments)]
    async fn step<S: Store>(
        &mut self,
        desk: &mut Desk<'_, '_>,
        store: &S,
        election: &Election,
        voters: &[NationalCode],
        table: &Timetable,
        seed: u64,
        k: usize,
        t: i64,
    ) -> Result<(), String> {
        let code = desk.station.code.clone();
        let fail = |what: &'static str| {
            let code = code.clone();
            move |e: sandoq_station_agent::station::Refusal| {
                format!("station {code}: {what}: [{}] {}", e.code, e.en)
            }
        };
        let agent = desk.agent;
        if k == 0 {
            // The package, as the agent's background round fetches it.
            fetch_package(agent).await;
        } else {
            // The agent's round: the station's state to the centre, the report once signed.
            agent.tick().await;
        }
        if !self.opened && t >= table.opens_at {
            open(agent, desk.station, t).await.map_err(fail("open"))?;
            self.opened = true;
            desk.run.opened_at = agent
                .with_station(|s| Ok(s.opened_at()))
                .await
                .map_err(fail("open"))?;
        }
        while self.next < voters.len()
            && table
                .arrivals
                .get(self.next)
                .is_none_or(|&at| at < t + SLOT_SECONDS)
        {
            self.queue.push_back(voters[self.next]);
            self.next += 1;
        }
        if !self.opened || self.closed {
            return Ok(());
        }
        let closes = |agent: &Agent| {
            let agent = agent.clone();
            async move {
                agent
                    .with_station(|s| Ok(s.closes_at()))
                    .await
                    .ok()
                    .flatten()
                    .unwrap_or(i64::MAX)
            }
        };
        let mut closes_at = closes(agent).await;
        // People still waiting at closing time: the officials extend the hours.
        let waiting = !self.queue.is_empty() || self.next < voters.len();
        if let Some(until) = table.extend_to {
            if !desk.run.extended && waiting && t < closes_at && t + SLOT_SECONDS >= closes_at {
                agent
                    .with_station(move |s| {
                        s.extend(t, until, "people still waiting at closing time")
                    })
                    .await
                    .map_err(fail("extend"))?;
                desk.run.extended = true;
                closes_at = closes(agent).await;
            }
        }
        if t < closes_at {
            let take = self.queue.len().min(table.per_step);
            let chunk: Vec<NationalCode> = self.queue.drain(..take).collect();
            let mut clock = Instant::now();
            let mut steps = [Duration::ZERO; 5];
            for part in chunk.chunks(CHUNK) {
                desk.online_chunk(store, election, part, &mut clock, &mut steps)
                    .await?;
            }
            return Ok(());
        }
        // Polling hours are over: whoever still waits, and whoever comes now, is turned away by
        // the desk's own rule; then the officials close and co-sign.
        let late: Vec<NationalCode> = self
            .queue
            .drain(..)
            .chain(voters[self.next..].iter().copied())
            .chain(table.after_hours.iter().copied())
            .collect();
        self.next = voters.len();
        for person in late {
            let answer = agent.check_in(&person.to_string()).await;
            if answer.status == 409 && answer.body["error"]["code"] == "polling_hours_over" {
                desk.run.turned_away_after_hours += 1;
            } else {
                return Err(format!(
                    "station {code}: the desk took someone after hours: {} {}",
                    answer.status, answer.body
                ));
            }
        }
        let officials = desk.station.officials.clone();
        agent
            .with_station(move |s| {
                s.close(t)?;
                for username in &officials {
                    s.cosign(username, &official_key(seed, username))?;
                }
                Ok(())
            })
            .await
            .map_err(fail("close"))?;
        self.closed = true;
        Ok(())
    }
}
