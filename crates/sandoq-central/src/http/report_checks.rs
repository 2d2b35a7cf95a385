//! What checking a station report needs, kept for a while (issue 5 §7: a report accepted in
//! well under 50 ms at 5,000 stations): the election's contest and content hash (setup data is
//! frozen once voting starts), and every station's officials with their keys (read once, not per
//! report). Kept for [`CHECKS_CACHE_SECONDS`]; an election still in setup is never cached. The
//! station package is served from the same cache (5,000 stations fetch it as voting opens).

use super::AppError;
use ed25519_dalek::VerifyingKey;
use sandoq_count::Contest;
use sandoq_record::roster::Chain;
use sandoq_station::merkle::unhex;
use sandoq_store::{Election, ElectionId, ElectionStatus, Role, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How long the contest, hash and officials are trusted before they are read again.
pub const CHECKS_CACHE_SECONDS: u64 = 30;

/// The contest and the election hash of one election.
#[derive(Debug)]
pub struct ElectionChecks {
    pub contest: Contest,
    pub hash: [u8; 32],
    /// The export document, as the exact text the hash is over (what stations receive, embedded
    /// as raw JSON in their package).
    pub export: Arc<String>,
}

/// A station official: username, co-signing public key, and that key wrapped under their password
/// (for the station's package only; empty for an account nobody signs in with).
#[derive(Debug, Clone)]
pub struct Official {
    pub username: String,
    pub key: VerifyingKey,
    pub wrapped: String,
}

impl Official {
    /// Username and key, as report checks take them.
    pub fn pairs(officials: Vec<Official>) -> Vec<(String, VerifyingKey)> {
        officials.into_iter().map(|o| (o.username, o.key)).collect()
    }

    /// The official behind a stored user, if they have a usable co-signing key.
    pub fn of(user: sandoq_store::User) -> Option<Official> {
        let key = unhex::<32>(&user.signing_key).and_then(|k| VerifyingKey::from_bytes(&k).ok())?;
        Some(Official {
            username: user.username,
            key,
            wrapped: user.wrapped_key,
        })
    }
}

type Officials = HashMap<String, Vec<Official>>;

/// An election's chain of keys and when it was read.
type KeptChain = (Instant, Arc<Option<Chain>>);

#[derive(Debug, Default)]
pub struct ReportChecks {
    elections: Mutex<HashMap<ElectionId, (Instant, Arc<ElectionChecks>)>>,
    officials: Mutex<Option<(Instant, Arc<Officials>)>>,
    /// The keys that count (the sealed roster's and its sealed amendments'), per election; `None`
    /// inside while the roster is not sealed.
    chains: Mutex<HashMap<ElectionId, KeptChain>>,
    /// Held while either is read afresh: when the kept copy expires under load, the requests
    /// that find it stale wait for one reading instead of each reading every station's export or
    /// every user again (5,000 stations' reports arriving together).
    reloading: tokio::sync::Mutex<()>,
}

fn fresh(at: Instant) -> bool {
    at.elapsed().as_secs() < CHECKS_CACHE_SECONDS
}

impl ReportChecks {
    /// The contest and hash of `election`, or `None` if it has no definition.
    pub async fn election<S: Store>(
        &self,
        store: &S,
        election: &Election,
    ) -> Result<Option<Arc<ElectionChecks>>, AppError> {
        let kept = || {
            self.elections
                .lock()
                .ok()
                .and_then(|m| m.get(&election.id).cloned())
                .filter(|(at, _)| fresh(*at))
                .map(|(_, found)| found)
        };
        if let Some(found) = kept() {
            return Ok(Some(found));
        }
        let _reloading = self.reloading.lock().await;
        if let Some(found) = kept() {
            return Ok(Some(found));
        }
        let Some((canonical, _)) = store.definition(election.id).await? else {
            return Ok(None);
        };
        let Some(contest) = crate::definition::contest_from_canonical(&canonical) else {
            return Ok(None);
        };
        let Some((export, hash)) = crate::definition::export(store, election).await? else {
            return Ok(None);
        };
        let Some(hash) = unhex::<32>(&hash) else {
            return Ok(None);
        };
        let found = Arc::new(ElectionChecks {
            contest,
            hash,
            export: Arc::new(export),
        });
        if election.status != ElectionStatus::Setup {
            if let Ok(mut map) = self.elections.lock() {
                map.insert(election.id, (Instant::now(), found.clone()));
            }
        }
        Ok(Some(found))
    }

    /// The officials of `station` (role `station`, scoped to it) with their co-signing keys.
    pub async fn officials<S: Store>(
        &self,
        store: &S,
        station: &str,
    ) -> Result<Vec<Official>, AppError> {
        let kept = || {
            self.officials
                .lock()
                .ok()
                .and_then(|o| o.clone())
                .filter(|(at, _)| fresh(*at))
                .map(|(_, all)| all)
        };
        let mut cached = kept();
        let _reloading = match cached {
            Some(_) => None,
            None => {
                let held = self.reloading.lock().await;
                cached = kept();
                Some(held)
            }
        };
        let all = match cached {
            Some(all) => all,
            None => {
                let mut all: Officials = HashMap::new();
                for user in store.users().await? {
                    if user.role != Role::Station {
                        continue;
                    }
                    let scope = user.scope.clone();
                    if let Some(official) = Official::of(user) {
                        all.entry(scope).or_default().push(official);
                    }
                }
                let all = Arc::new(all);
                if let Ok(mut slot) = self.officials.lock() {
                    *slot = Some((Instant::now(), all.clone()));
                }
                all
            }
        };
        Ok(all.get(station).cloned().unwrap_or_default())
    }

    /// The keys that count in `election`: the sealed roster's and its sealed amendments' (`None`
    /// while the roster is not sealed).
    pub async fn chain<S: Store>(
        &self,
        store: &S,
        election: ElectionId,
    ) -> Result<Arc<Option<Chain>>, AppError> {
        let kept = || {
            self.chains
                .lock()
                .ok()
                .and_then(|m| m.get(&election).cloned())
                .filter(|(at, _)| fresh(*at))
                .map(|(_, chain)| chain)
        };
        if let Some(chain) = kept() {
            return Ok(chain);
        }
        let _reloading = self.reloading.lock().await;
        if let Some(chain) = kept() {
            return Ok(chain);
        }
        let chain = Arc::new(crate::roster::ceremony(store, election).await?.chain());
        if let Ok(mut map) = self.chains.lock() {
            map.insert(election, (Instant::now(), chain.clone()));
        }
        Ok(chain)
    }

    /// Forgets the chains (a roster or an amendment was signed here).
    pub fn roster_changed(&self) {
        if let Ok(mut map) = self.chains.lock() {
            map.clear();
        }
    }

    /// Forgets the officials (a user was created here).
    pub fn users_changed(&self) {
        if let Ok(mut slot) = self.officials.lock() {
            *slot = None;
        }
    }
}
