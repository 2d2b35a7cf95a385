//! Live results (issue 5 §1): the accepted station reports added up with the counting engine.
//!
//! The sum is kept per election and grows by one report at a time as reports are accepted (so
//! accepting a report costs one addition and one seat computation, not a re-read of every
//! report); it is rebuilt from the store when older than [`REBUILD_SECONDS`], so that reports
//! accepted by another process of the service are seen too. The result stays "provisional" until
//! the count is closed (issue 5, still to come).
//!
//! Only the reports that count are summed (`sandoq_store::counted_reports`): a quarantined report
//! (issue 18 §3) drops the sum, which is then rebuilt without it, here at once and in another
//! process at its next rebuild.

use sandoq_count::{Contest, Rules, Tally};
use sandoq_station::merkle;
use sandoq_store::{Election, ElectionId, Store, StoreError};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How long a sum is trusted before it is rebuilt from the store.
pub const REBUILD_SECONDS: u64 = 10;

#[derive(Debug)]
struct Sum {
    contest: Contest,
    rules: Rules,
    stations: Vec<String>,
    tally: Tally,
    /// Merkle leaves of the reports (their canonical bytes), by station.
    leaves: BTreeMap<String, [u8; 32]>,
    ballots: u64,
    /// What the results page shows of each report (station, summary), kept as reports arrive.
    rows: BTreeMap<String, Arc<Value>>,
    answer: Arc<Value>,
    built: Instant,
}

/// The sums of every election, shared by the service's handlers.
#[derive(Debug, Default)]
pub struct Results {
    sums: Mutex<HashMap<ElectionId, Sum>>,
}

fn invalid(what: String) -> StoreError {
    StoreError::Database(what)
}

impl Sum {
    fn add(
        &mut self,
        station: &str,
        report: &Value,
        at: sandoq_store::Timestamp,
    ) -> Result<(), StoreError> {
        if self.leaves.contains_key(station) {
            return Ok(());
        }
        let cosigners: Vec<&str> = report["cosignatures"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c["official"].as_str())
            .collect();
        self.rows.insert(
            station.to_string(),
            Arc::new(
                json!({"ballots": report["ballots"], "blank": report["blank"],
                "device_key": report["device_key"], "signature": report["signature"],
                "cosigners": cosigners, "received_at": at.0}),
            ),
        );
        let one = sandoq_record::aggregate(&self.contest, std::slice::from_ref(report))
            .map_err(invalid)?;
        self.tally
            .merge(&one)
            .map_err(|_| invalid("the reports add up to more than 2^64".into()))?;
        self.ballots = self
            .ballots
            .saturating_add(report["ballots"].as_u64().unwrap_or(0));
        self.leaves.insert(
            station.to_string(),
            merkle::leaf(sandoq_record::canonical(report).as_bytes()),
        );
        Ok(())
    }

    fn answer(&mut self, election: ElectionId) {
        let result = sandoq_record::result_json(&self.contest, &self.tally, &self.rules);
        let root = merkle::root(self.leaves.values().copied().collect());
        let missing: Vec<&String> = self
            .stations
            .iter()
            .filter(|s| !self.leaves.contains_key(*s))
            .collect();
        self.answer = Arc::new(json!({
            "election": election.0,
            "status": "provisional",
            "stations": {"total": self.stations.len(), "reported": self.leaves.len(), "missing": missing},
            "reports_root": merkle::hex(&root),
            "ballots": self.ballots,
            "result": result,
        }));
    }
}

impl Results {
    async fn build<S: Store>(store: &S, election: &Election) -> Result<Sum, StoreError> {
        let no_definition = || {
            StoreError::invalid(
                "no_definition",
                "this election has no definition yet",
                "این انتخابات هنوز تعریفی ندارد",
            )
        };
        let (text, _) = crate::definition::export(store, election)
            .await?
            .ok_or_else(no_definition)?;
        let (_, contest, rules, stations) = sandoq_record::read_election(&text).map_err(invalid)?;
        let mut sum = Sum {
            tally: Tally::new(&contest),
            contest,
            rules,
            stations,
            leaves: BTreeMap::new(),
            rows: BTreeMap::new(),
            ballots: 0,
            answer: Arc::new(Value::Null),
            built: Instant::now(),
        };
        for (station, report, at) in sandoq_store::counted_reports(store, election.id).await? {
            let report: Value =
                serde_json::from_str(&report).map_err(|e| invalid(e.to_string()))?;
            sum.add(&station, &report, at)?;
        }
        sum.answer(election.id);
        Ok(sum)
    }

    /// The provisional result of an election.
    pub async fn get<S: Store>(
        &self,
        store: &S,
        election: &Election,
    ) -> Result<Arc<Value>, StoreError> {
        let known: Option<std::collections::HashSet<String>> = match self.sums.lock() {
            Ok(sums) => match sums.get(&election.id) {
                Some(sum) if sum.built.elapsed().as_secs() < REBUILD_SECONDS => {
                    return Ok(sum.answer.clone())
                }
                Some(sum) => Some(sum.leaves.keys().cloned().collect()),
                None => None,
            },
            Err(_) => None,
        };
        // Stale: a report quarantined since (by any process of the service) means a rebuild;
        // otherwise only reports this process has not added yet (accepted by another process)
        // are read and added, and the others are not parsed again.
        let (known, quarantined) = match known {
            Some(known) => {
                let quarantined =
                    sandoq_store::quarantine::quarantined_stations(store, election.id).await?;
                (
                    known.is_disjoint(&quarantined).then_some(known),
                    quarantined,
                )
            }
            None => (None, Default::default()),
        };
        if let Some(known) = known {
            let mut new = Vec::new();
            let stored = store.count_station_reports(election.id).await?;
            let counted = known.len() as u64 + quarantined.len() as u64;
            let all = if stored == counted {
                Vec::new()
            } else {
                store.station_reports(election.id).await?
            };
            for (station, report, at) in all {
                if !known.contains(&station) && !quarantined.contains(&station) {
                    let report: Value =
                        serde_json::from_str(&report).map_err(|e| invalid(e.to_string()))?;
                    new.push((station, report, at));
                }
            }
            if let Ok(mut sums) = self.sums.lock() {
                if let Some(sum) = sums.get_mut(&election.id) {
                    for (station, report, at) in &new {
                        sum.add(station, report, *at)?;
                    }
                    if !new.is_empty() {
                        sum.answer(election.id);
                    }
                    sum.built = Instant::now();
                    return Ok(sum.answer.clone());
                }
            }
        }
        let sum = Results::build(store, election).await?;
        let answer = sum.answer.clone();
        if let Ok(mut sums) = self.sums.lock() {
            sums.insert(election.id, sum);
        }
        Ok(answer)
    }

    /// What the results page shows of every report so far (kept with the sum; `get` first).
    pub fn rows(&self, election: ElectionId) -> Vec<(String, Arc<Value>)> {
        self.sums
            .lock()
            .ok()
            .and_then(|sums| {
                sums.get(&election)
                    .map(|s| s.rows.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            })
            .unwrap_or_default()
    }

    /// A report was quarantined: the sum is dropped, and the next reader rebuilds it from the
    /// reports that count (a tally cannot take a report back out).
    pub fn forget(&self, election: ElectionId) {
        if let Ok(mut sums) = self.sums.lock() {
            sums.remove(&election);
        }
    }

    /// A report was accepted: added to the sum (if one is kept) and the seats computed again.
    pub fn accepted(
        &self,
        election: ElectionId,
        station: &str,
        report: &Value,
        at: sandoq_store::Timestamp,
    ) {
        if let Ok(mut sums) = self.sums.lock() {
            let drop = match sums.get_mut(&election) {
                Some(sum) => {
                    let added = sum.add(station, report, at);
                    sum.answer(election);
                    added.is_err()
                }
                None => false,
            };
            if drop {
                sums.remove(&election);
            }
        }
    }
}
