//! The key ceremony (issue 18 §1): headquarters prepares the roster of the election from what it
//! set up (the election's content hash, every station's devices and officials, the supervisors
//! with their co-signing keys) and chooses k; the supervisors seal it by signing its hash with
//! their own keys (which only their passwords open); a device or an official added after the seal
//! is an amendment, sealed the same way. The documents are `sandoq_record::roster`'s, kept
//! append-only in the store; the record publishes them and `sandoq verify` checks that every
//! report, co-signature and closing signature chains to them.

use crate::http::AppError;
use axum::http::StatusCode;
use sandoq_record::roster::{self, Amendment, Chain, Roster, RosterStation};
use sandoq_store::{
    DeviceStatus, Election, ElectionId, ElectionStatus, Role, Store, Timestamp, User,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub const ROSTER: &str = "roster";
pub const AMENDMENT: &str = "amendment";

fn refused(status: StatusCode, code: &'static str, en: &str, fa: &str) -> AppError {
    AppError::new(status, code, en, fa)
}

/// One document of the ceremony with its signatures.
#[derive(Debug, Clone)]
pub struct Signed {
    pub number: i64,
    pub text: String,
    pub signatures: Vec<(String, String)>,
    /// Signed by at least k of the (sealed) roster's supervisors, each signature valid.
    pub sealed: bool,
}

/// Where the ceremony stands: the latest roster version and the amendments, in order.
#[derive(Debug, Clone, Default)]
pub struct Ceremony {
    pub roster: Option<Signed>,
    pub amendments: Vec<Signed>,
}

impl Ceremony {
    /// The sealed roster, read.
    pub fn sealed(&self) -> Option<Roster> {
        let signed = self.roster.as_ref().filter(|r| r.sealed)?;
        Roster::parse(&signed.text).ok()
    }

    /// The roster hash, once there is a roster.
    pub fn roster_sha256(&self) -> Option<String> {
        self.roster.as_ref().map(|r| roster::hash(&r.text))
    }

    /// The keys that count: the sealed roster's and its sealed amendments'.
    pub fn chain(&self) -> Option<Chain> {
        let sealed = self.sealed()?;
        let mut chain = Chain::new(&sealed);
        for amendment in self.amendments.iter().filter(|a| a.sealed) {
            if let Ok(read) = Amendment::parse(&amendment.text) {
                chain.add(&read.stations);
            }
        }
        Some(chain)
    }

    pub fn json(&self) -> Value {
        let signed = |s: &Signed| {
            json!({
                "number": s.number,
                "text": s.text,
                "signatures": s.signatures.iter().map(|(u, sig)| json!({"username": u, "signature": sig})).collect::<Vec<_>>(),
                "sealed": s.sealed,
            })
        };
        json!({
            "roster_sha256": self.roster_sha256(),
            "sealed": self.sealed().is_some(),
            "roster": self.roster.as_ref().map(signed),
            "amendments": self.amendments.iter().map(signed).collect::<Vec<_>>(),
        })
    }
}

/// The ceremony as the store holds it, every signature checked.
pub async fn ceremony<S: Store>(store: &S, id: ElectionId) -> Result<Ceremony, AppError> {
    let documents = store.roster_documents(id).await?;
    let mut signatures: BTreeMap<(String, i64), Vec<(String, String)>> = BTreeMap::new();
    for (kind, number, username, signature) in store.roster_signatures(id).await? {
        signatures
            .entry((kind, number))
            .or_default()
            .push((username, signature));
    }
    let mut found = Ceremony::default();
    let mut latest: Option<(i64, String)> = None;
    for (kind, number, text) in &documents {
        if kind == ROSTER && latest.as_ref().is_none_or(|(n, _)| number > n) {
            latest = Some((*number, text.clone()));
        }
    }
    let Some((number, text)) = latest else {
        return Ok(found);
    };
    let Ok(read) = Roster::parse(&text) else {
        return Ok(found);
    };
    let signed_by = |kind: &str, number: i64| {
        signatures
            .get(&(kind.to_string(), number))
            .cloned()
            .unwrap_or_default()
    };
    let roster_signatures = signed_by(ROSTER, number);
    let sealed = roster::check_seal(&read, &text, &roster_signatures)
        .is_ok_and(|n| n >= read.required_signatures && read.required_signatures > 0);
    found.roster = Some(Signed {
        number,
        text: text.clone(),
        signatures: roster_signatures,
        sealed,
    });
    let sha = roster::hash(&text);
    for (kind, number, text) in &documents {
        if kind != AMENDMENT {
            continue;
        }
        let belongs = Amendment::parse(text).is_ok_and(|a| a.roster_sha256 == sha);
        if !belongs {
            continue;
        }
        let signatures = signed_by(AMENDMENT, *number);
        let sealed = sealed
            && roster::check_amendment(&read, text, &signatures)
                .is_ok_and(|n| n >= read.required_signatures);
        found.amendments.push(Signed {
            number: *number,
            text: text.clone(),
            signatures,
            sealed,
        });
    }
    Ok(found)
}

/// The roster of the election as it is set up now, with `k` signatures required.
pub async fn current<S: Store>(
    store: &S,
    election: &Election,
    k: usize,
) -> Result<Roster, AppError> {
    let (_, hash) = crate::definition::export(store, election)
        .await?
        .ok_or_else(|| {
            refused(
                StatusCode::CONFLICT,
                "no_definition",
                "this election has no definition yet",
                "این انتخابات هنوز تعریفی ندارد",
            )
        })?;
    let mut stations: BTreeMap<String, RosterStation> = store
        .stations(election.id)
        .await?
        .into_iter()
        .map(|s| {
            (
                s.code.clone(),
                RosterStation {
                    code: s.code,
                    ..RosterStation::default()
                },
            )
        })
        .collect();
    for device in store.devices(election.id).await? {
        if device.status != DeviceStatus::Active {
            continue;
        }
        if let Some(station) = stations.get_mut(&device.station) {
            station
                .devices
                .push((device.kind.name().to_string(), device.public_key));
        }
    }
    let mut supervisors = Vec::new();
    for user in store.users().await? {
        if user.signing_key.is_empty() {
            continue;
        }
        match user.role {
            Role::Supervisor => supervisors.push((user.username, user.signing_key)),
            Role::Station => {
                if let Some(station) = stations.get_mut(&user.scope) {
                    station.officials.push((user.username, user.signing_key));
                }
            }
            _ => {}
        }
    }
    Ok(Roster {
        election_code: election.spec.code.clone(),
        election_kind: election.spec.kind.name().to_string(),
        election_sha256: hash,
        required_signatures: k,
        supervisors,
        stations: stations.into_values().collect(),
    }
    .sorted())
}

/// Headquarters prepares the roster (a new version while the election is being set up), with k
/// the supervisors' signatures its seal and the closing of the count need.
pub async fn prepare<S: Store>(
    store: &S,
    election: &Election,
    k: usize,
    actor: &str,
    now: Timestamp,
) -> Result<Value, AppError> {
    if election.status != ElectionStatus::Setup {
        return Err(refused(
            StatusCode::CONFLICT,
            "election_not_in_setup",
            "the roster is prepared before voting opens; a change on polling day is an amendment",
            "فهرست کلیدها پیش از آغاز رأی‌گیری آماده می‌شود؛ تغییر در روز رأی‌گیری الحاقیه است",
        ));
    }
    let roster = current(store, election, k).await?;
    if k == 0 || k > roster.supervisors.len() {
        return Err(refused(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_required_signatures",
            &format!(
                "k must be between 1 and the {} supervisors with keys",
                roster.supervisors.len()
            ),
            &format!(
                "k باید میان ۱ و شمار ناظران دارای کلید ({}) باشد",
                roster.supervisors.len()
            ),
        ));
    }
    let text = roster.text();
    let found = ceremony(store, election.id).await?;
    if found.roster.as_ref().is_some_and(|r| r.text == text) {
        return Ok(json!({"roster_sha256": roster::hash(&text), "again": true}));
    }
    let number = found.roster.as_ref().map_or(1, |r| r.number + 1);
    store
        .put_roster_document(election.id, ROSTER, number, &text, actor, now)
        .await?;
    Ok(json!({"roster_sha256": roster::hash(&text), "version": number, "again": false}))
}

/// A supervisor signs, with the key their password opens, the roster if it is not sealed yet and
/// every amendment not sealed yet. Returns what they signed.
pub async fn sign<S: Store>(
    store: &S,
    id: ElectionId,
    user: &User,
    password: &str,
    now: Timestamp,
) -> Result<Value, AppError> {
    let found = ceremony(store, id).await?;
    let Some(signed) = found.roster.as_ref() else {
        return Err(refused(
            StatusCode::CONFLICT,
            "no_roster",
            "headquarters has not prepared the roster yet",
            "ستاد هنوز فهرست کلیدها را آماده نکرده است",
        ));
    };
    let read = Roster::parse(&signed.text).map_err(|e| {
        refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "bad_roster",
            &e,
            "فهرست کلیدها خوانده نشد",
        )
    })?;
    let key = sandoq_station::officials::unwrap(&user.wrapped_key, &user.username, password)
        .filter(|k| Some(k.verifying_key()) == read.supervisor(&user.username))
        .ok_or_else(|| {
            refused(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "the password does not open the key this roster names for this supervisor",
                "گذرواژه کلیدی را که فهرست برای این ناظر نام برده نمی‌گشاید",
            )
        })?;
    let mut done = Vec::new();
    let sha = roster::hash(&signed.text);
    if !signed.sealed {
        store
            .add_roster_signature(
                id,
                ROSTER,
                signed.number,
                &user.username,
                &roster::seal(&key, &sha),
                now,
            )
            .await?;
        done.push(json!({"kind": ROSTER, "number": signed.number}));
    }
    for amendment in found.amendments.iter().filter(|a| !a.sealed) {
        let signature = roster::sign_amendment(&key, &amendment.text);
        store
            .add_roster_signature(
                id,
                AMENDMENT,
                amendment.number,
                &user.username,
                &signature,
                now,
            )
            .await?;
        done.push(json!({"kind": AMENDMENT, "number": amendment.number}));
    }
    let after = ceremony(store, id).await?;
    Ok(
        json!({"signed": done, "roster_sha256": sha, "sealed": after.sealed().is_some(),
              "amendments_sealed": after.amendments.iter().filter(|a| a.sealed).count()}),
    )
}

/// Headquarters amends the sealed roster with the devices and officials set up since (a device
/// replaced on polling day, an official added); the supervisors then sign it.
pub async fn amend<S: Store>(
    store: &S,
    election: &Election,
    actor: &str,
    now: Timestamp,
) -> Result<Value, AppError> {
    let found = ceremony(store, election.id).await?;
    let (Some(sealed), Some(chain)) = (found.sealed(), found.chain()) else {
        return Err(refused(
            StatusCode::CONFLICT,
            "roster_not_sealed",
            "the roster is not sealed yet: prepare it again instead",
            "فهرست کلیدها هنوز مهر نشده است: آن را دوباره آماده کنید",
        ));
    };
    // Amendments waiting for signatures count as made: the same device is not added twice.
    let mut pending = chain.clone();
    for amendment in found.amendments.iter().filter(|a| !a.sealed) {
        if let Ok(read) = Amendment::parse(&amendment.text) {
            pending.add(&read.stations);
        }
    }
    let now_set = current(store, election, sealed.required_signatures).await?;
    let stations = pending.missing_from(&now_set.stations);
    if stations.is_empty() {
        return Err(refused(
            StatusCode::CONFLICT,
            "nothing_to_amend",
            "every device and official is already in the roster or an amendment",
            "همهٔ دستگاه‌ها و مسئولان در فهرست کلیدها یا الحاقیه‌ای هستند",
        ));
    }
    let number = found.amendments.iter().map(|a| a.number).max().unwrap_or(0) + 1;
    let amendment = Amendment {
        roster_sha256: roster::hash(&sealed.text()),
        number: u64::try_from(number).unwrap_or(0),
        stations,
    };
    store
        .put_roster_document(
            election.id,
            AMENDMENT,
            number,
            &amendment.text(),
            actor,
            now,
        )
        .await?;
    Ok(json!({"number": number, "amendment": amendment.text()}))
}

/// The whole ceremony for a training election, as drills and simulations practise it: prepared
/// with `k`, then sealed by its supervisors, each with `password` (training accounts share one).
/// Refused for a live election: there the supervisors sign themselves. Returns the roster hash.
pub async fn training_ceremony<S: Store>(
    store: &S,
    election: &Election,
    k: usize,
    password: &str,
    actor: &str,
    now: Timestamp,
) -> Result<String, AppError> {
    if election.spec.kind != sandoq_store::ElectionKind::Training {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "not_training",
            "only a training election's roster is sealed on its supervisors' behalf",
            "فقط فهرست کلیدهای انتخابات آموزشی از سوی ناظرانش مهر می‌شود",
        ));
    }
    let prepared = prepare(store, election, k, actor, now).await?;
    for user in store.users().await? {
        if ceremony(store, election.id).await?.sealed().is_some() {
            break;
        }
        if user.role == Role::Supervisor && !user.wrapped_key.is_empty() {
            sign(store, election.id, &user, password, now).await?;
        }
    }
    if ceremony(store, election.id).await?.sealed().is_none() {
        return Err(refused(
            StatusCode::CONFLICT,
            "roster_not_sealed",
            "the supervisors' signatures did not seal the roster",
            "امضای ناظران فهرست کلیدها را مهر نکرد",
        ));
    }
    Ok(prepared["roster_sha256"].as_str().unwrap_or("").to_string())
}

/// Moves an election one step on, as headquarters does it (API, command line, demo, simulation):
/// voting opens only with the roster sealed and still true to what is set up (issue 18 §1) — a
/// training election too, so that drills practise the ceremony.
pub async fn advance<S: Store>(
    store: &S,
    election: &Election,
    to: ElectionStatus,
    actor: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    if to == ElectionStatus::Voting && election.status == ElectionStatus::Setup {
        let found = ceremony(store, election.id).await?;
        let Some(sealed) = found.sealed() else {
            return Err(refused(
                StatusCode::CONFLICT,
                "roster_not_sealed",
                "voting cannot open before the roster is sealed: headquarters prepares it, and k supervisors sign it",
                "رأی‌گیری پیش از مهر شدن فهرست کلیدها آغاز نمی‌شود: ستاد آن را آماده می‌کند و k ناظر امضا می‌کنند",
            ));
        };
        let now_set = current(store, election, sealed.required_signatures).await?;
        if now_set.text() != sealed.text() {
            return Err(refused(
                StatusCode::CONFLICT,
                "roster_outdated",
                "devices, officials or supervisors changed after the roster was sealed: prepare it again and have it sealed",
                "پس از مهر فهرست کلیدها دستگاه، مسئول یا ناظری تغییر کرده است: فهرست را دوباره آماده و مهر کنید",
            ));
        }
    }
    sandoq_store::advance_status(store, election, to, actor, now).await?;
    Ok(())
}
