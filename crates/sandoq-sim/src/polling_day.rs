//! A polling day at one station, driven through the station agent's own local API exactly as the
//! desk and ballot box pages drive it: three officials sign in and open the station, each voter is
//! checked in at the desk (the centre decides), types the token at a ballot box and casts a ballot,
//! then the officials close the station and co-sign the report, which the agent sends to the
//! centre. The simulated voters' choices are kept as ground truth.

use crate::http::{request, Answer};
use crate::training::{StationInfo, Training};
use sandoq_registry::synthetic::Rng;
use sandoq_registry::NationalCode;
use sandoq_station::Ballot;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Makes voters' choices: about half vote for a list, four in ten name candidates, a few are blank;
/// lists and candidates are not equally popular, so the seats come out uneven.
#[derive(Debug, Clone)]
pub struct Chooser {
    seed: u64,
    rng: Rng,
    lists: Vec<(String, Vec<String>)>,
    independents: Vec<String>,
    seats: usize,
}

impl Chooser {
    pub fn new(training: &Training, seats: u32, seed: u64) -> Chooser {
        Chooser {
            seed,
            rng: Rng::new(seed),
            lists: training.lists.clone(),
            independents: training.independents.clone(),
            seats: seats as usize,
        }
    }

    /// A list index, the first lists more popular (weights n, n-1, …, 1).
    fn popular_list(&mut self) -> usize {
        let n = self.lists.len() as u64;
        let total = n * (n + 1) / 2;
        let mut pick = self.rng.below(total.max(1));
        for i in 0..n {
            let weight = n - i;
            if pick < weight {
                return i as usize;
            }
            pick -= weight;
        }
        0
    }

    /// This voter's ballot: a function of the seed and the voter alone, so a voter who tries at two
    /// stations would cast the same choice at whichever admits them first, and a run's ballots do
    /// not depend on which attempt the scheduler happened to run first.
    pub fn ballot_for(&mut self, voter: &NationalCode) -> Value {
        json_of(&self.choice_for(voter))
    }

    /// The same ballot as [`Chooser::ballot_for`], as the ballot box takes it in process.
    pub fn choice_for(&mut self, voter: &NationalCode) -> Ballot {
        self.rng = Rng::new(
            self.seed
                .rotate_left(17)
                .wrapping_add(voter.as_u64().wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        );
        self.choice()
    }

    /// The next voter's ballot as the ballot box API takes it.
    pub fn ballot(&mut self) -> Value {
        json_of(&self.choice())
    }

    fn choice(&mut self) -> Ballot {
        let roll = self.rng.below(100);
        if roll < 3 || self.lists.is_empty() {
            return Ballot::Blank;
        }
        let list = self.popular_list();
        if roll < 55 {
            return Ballot::List(self.lists[list].0.clone());
        }
        // Candidates: mostly from one list's top, some independents.
        let count = 1 + self.rng.below(self.seats as u64) as usize;
        let mut chosen: Vec<String> = Vec::with_capacity(count);
        let members = &self.lists[list].1;
        while chosen.len() < count {
            let from_list = self.rng.below(100) < 75 || self.independents.is_empty();
            let code = if from_list {
                // Earlier places on the list are named more often.
                let a = self.rng.below(members.len() as u64);
                let b = self.rng.below(members.len() as u64);
                &members[a.min(b) as usize]
            } else {
                let a = self.rng.below(self.independents.len() as u64);
                let b = self.rng.below(self.independents.len() as u64);
                &self.independents[a.min(b) as usize]
            };
            if !chosen.contains(code) {
                chosen.push(code.clone());
            }
            if chosen.len() >= members.len() + self.independents.len() {
                break;
            }
        }
        Ballot::Candidates(chosen)
    }
}

/// A ballot as the ballot box API takes it: `{"list"}`, `{"candidates"}` or `{"blank": true}`.
pub fn json_of(ballot: &Ballot) -> Value {
    match ballot {
        Ballot::Blank => json!({"blank": true}),
        Ballot::List(code) => json!({ "list": code }),
        Ballot::Candidates(codes) => json!({ "candidates": codes }),
    }
}

/// What happened at a station.
#[derive(Debug, Clone, Default)]
pub struct StationDay {
    pub station: String,
    pub checked_in: u64,
    /// The ballots cast, as the box was asked to record them (the ground truth).
    pub ballots: Vec<Value>,
    pub refused: u64,
    /// Everyone the desk gave a token to (a person twice here would be a double vote).
    pub admitted: Vec<NationalCode>,
    pub reported: bool,
}

fn refused(what: &str, answer: &Answer) -> String {
    format!(
        "{what}: {} {}",
        answer.status,
        if answer.text.len() > 300 {
            &answer.text[..300]
        } else {
            &answer.text
        }
    )
}

async fn post(addr: SocketAddr, path: &str, cookie: &str, body: Value) -> Result<Answer, String> {
    request(addr, "POST", path, Some(cookie), Some(&body)).await
}

/// Waits until the agent at `addr` holds its election package.
pub async fn wait_until_set_up(addr: SocketAddr, limit: Duration) -> Result<(), String> {
    let start = std::time::Instant::now();
    loop {
        if let Ok(answer) = request(addr, "GET", "/api/status", None, None).await {
            let state = answer.body["state"].as_str().unwrap_or("");
            if !state.is_empty() && state != "unregistered" {
                return Ok(());
            }
        }
        if start.elapsed() > limit {
            return Err(format!("the station at {addr} did not receive its package"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The officials of `station` sign in and open it. Returns their desk cookies.
pub async fn open(
    addr: SocketAddr,
    station: &StationInfo,
    password: &str,
) -> Result<Vec<String>, String> {
    let mut cookies = Vec::new();
    for username in &station.officials {
        let answer = post(
            addr,
            "/api/desk/sign-in",
            "",
            json!({"username": username, "password": password}),
        )
        .await?;
        let cookie = answer
            .cookie
            .clone()
            .filter(|_| answer.status == 200)
            .ok_or_else(|| refused("sign-in", &answer))?;
        cookies.push(cookie);
    }
    for attempt in 0..20 {
        let answer = post(addr, "/api/desk/open", &cookies[0], json!({})).await?;
        if answer.status == 200 {
            break;
        }
        if answer.code() == "illegal_step" {
            // Already open (a restarted demo).
            break;
        }
        if attempt == 19 {
            return Err(refused("open", &answer));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    Ok(cookies)
}

/// Checks `voter` in at the desk and casts `ballot` at box 1. `Ok(false)` if the desk refused the
/// voter (already voted, not eligible…), with nothing cast.
pub async fn vote(
    addr: SocketAddr,
    cookie: &str,
    voter: &NationalCode,
    ballot: &Value,
) -> Result<bool, String> {
    let answer = post(
        addr,
        "/api/desk/check-in",
        cookie,
        json!({"national_code": voter.to_string()}),
    )
    .await?;
    let Some(token) = answer.body["token"].as_str().map(str::to_string) else {
        if answer.status == 200 || answer.status == 422 || answer.status == 409 {
            return Ok(false);
        }
        return Err(refused("check-in", &answer));
    };
    let answer = post(addr, "/api/box/1/unlock", "", json!({"token": token})).await?;
    let session = answer.body["session"]
        .as_str()
        .ok_or_else(|| refused("unlock", &answer))?
        .to_string();
    let answer = post(
        addr,
        "/api/box/1/cast",
        "",
        json!({"session": session, "ballot": ballot}),
    )
    .await?;
    if answer.body["recorded"] != json!(true) {
        return Err(refused("cast", &answer));
    }
    Ok(true)
}

/// The officials close the station and co-sign its report; then waits (up to `limit`) until the
/// agent has sent it and the centre acknowledged it.
pub async fn close_and_report(
    addr: SocketAddr,
    station: &StationInfo,
    cookies: &[String],
    password: &str,
    limit: Duration,
) -> Result<bool, String> {
    let answer = post(addr, "/api/desk/close", &cookies[0], json!({})).await?;
    if answer.status != 200 {
        return Err(refused("close", &answer));
    }
    for (username, cookie) in station.officials.iter().zip(cookies) {
        let answer = post(
            addr,
            "/api/desk/cosign",
            cookie,
            json!({"username": username, "password": password}),
        )
        .await?;
        if answer.status != 200 {
            return Err(refused("co-sign", &answer));
        }
    }
    let start = std::time::Instant::now();
    while start.elapsed() < limit {
        let answer = request(addr, "GET", "/api/status", Some(&cookies[0]), None).await?;
        if answer.body["state"] == json!("reported") {
            return Ok(true);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(false)
}

/// A whole day at one station: open, `voters` vote one after another (`pace` apart), close, report.
/// `cast` counts ballots cast across stations, for progress.
#[allow(clippy::too_many_arguments)]
pub async fn run_station(
    addr: SocketAddr,
    station: StationInfo,
    voters: Vec<NationalCode>,
    mut chooser: Chooser,
    password: String,
    pace: Duration,
    cast: Arc<AtomicU64>,
    report: bool,
) -> Result<StationDay, String> {
    wait_until_set_up(addr, Duration::from_secs(60)).await?;
    let cookies = open(addr, &station, &password).await?;
    let mut day = StationDay {
        station: station.code.clone(),
        ..StationDay::default()
    };
    for voter in &voters {
        let ballot = chooser.ballot_for(voter);
        if vote(addr, &cookies[0], voter, &ballot).await? {
            day.checked_in += 1;
            day.ballots.push(ballot);
            day.admitted.push(*voter);
            cast.fetch_add(1, Ordering::Relaxed);
        } else {
            day.refused += 1;
        }
        if !pace.is_zero() {
            tokio::time::sleep(pace).await;
        }
    }
    if report {
        day.reported = close_and_report(
            addr,
            &station,
            &cookies,
            &password,
            Duration::from_secs(120),
        )
        .await?;
    }
    Ok(day)
}
