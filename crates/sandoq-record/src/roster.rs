//! The sealed roster (issue 18 §1): who may sign anything that counts in this election, fixed
//! before voting opens and signed by k of its n supervisors.
//!
//! The roster names the election (its code, kind and content hash), the number of supervisors'
//! signatures its seal and the closing of the count need (k), every supervisor's co-signing key,
//! and for every station its devices' keys and its officials' co-signing keys. Its text is
//! canonical (serde_json pretty print, keys in the order below, a final newline), and the
//! SHA-256 of that text is the *roster hash*: what headquarters publishes, a newspaper prints and
//! every station's minutes carry before and on polling day. Each supervisor seals it by signing
//! (Ed25519) `sandoq-roster-seal-v1\n{roster hash}`; it is sealed with k distinct valid signatures
//! of its own supervisors.
//!
//! A device replaced on polling day, or an official added, is an *amendment*: a compact JSON text
//! `{"format": "sandoq-amendment-v1", "roster_sha256", "number", "stations": [{"code", "devices",
//! "officials"}]}` (numbers from 1, in order) signed over `sandoq-amendment-v1\n{text}` by k of the
//! roster's supervisors. Nothing signed by a key outside the sealed roster and its sealed
//! amendments counts: [`Chain`] answers whether a key belongs.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sandoq_station::merkle::{hex, unhex};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};

pub const FORMAT: &str = "sandoq-roster-v1";
pub const AMENDMENT_FORMAT: &str = "sandoq-amendment-v1";
const SEAL: &str = "sandoq-roster-seal-v1";

/// One station of the roster: its devices (kind, public key) and officials (username, key).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RosterStation {
    pub code: String,
    pub devices: Vec<(String, String)>,
    pub officials: Vec<(String, String)>,
}

/// The roster's content.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Roster {
    pub election_code: String,
    pub election_kind: String,
    pub election_sha256: String,
    pub required_signatures: usize,
    /// Username and co-signing public key (hex), sorted by username.
    pub supervisors: Vec<(String, String)>,
    /// Sorted by code; each station's devices by key, officials by username.
    pub stations: Vec<RosterStation>,
}

fn pairs(list: &[(String, String)], first: &str, second: &str) -> Value {
    Value::Array(
        list.iter()
            .map(|(a, b)| json!({first: a, second: b}))
            .collect(),
    )
}

fn stations_json(stations: &[RosterStation]) -> Value {
    Value::Array(
        stations
            .iter()
            .map(|s| {
                json!({
                    "code": s.code,
                    "devices": pairs(&s.devices, "kind", "public_key"),
                    "officials": pairs(&s.officials, "username", "signing_key"),
                })
            })
            .collect(),
    )
}

fn string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn list(v: &Value, a: &str, b: &str) -> Option<Vec<(String, String)>> {
    v.as_array()?
        .iter()
        .map(|e| Some((string(&e[a])?, string(&e[b])?)))
        .collect()
}

fn parse_stations(v: &Value) -> Option<Vec<RosterStation>> {
    v.as_array()?
        .iter()
        .map(|s| {
            Some(RosterStation {
                code: string(&s["code"])?,
                devices: list(&s["devices"], "kind", "public_key")?,
                officials: list(&s["officials"], "username", "signing_key")?,
            })
        })
        .collect()
}

impl Roster {
    /// Puts every list in its order (the text must not depend on the order things were read).
    pub fn sorted(mut self) -> Roster {
        self.supervisors.sort();
        self.stations.sort_by(|a, b| a.code.cmp(&b.code));
        for station in &mut self.stations {
            station.devices.sort_by(|a, b| a.1.cmp(&b.1));
            station.officials.sort();
        }
        self
    }

    /// The canonical text; its SHA-256 is the roster hash.
    pub fn text(&self) -> String {
        crate::canonical(&json!({
            "format": FORMAT,
            "election": {
                "code": self.election_code,
                "kind": self.election_kind,
                "sha256": self.election_sha256,
            },
            "required_signatures": self.required_signatures,
            "supervisors": pairs(&self.supervisors, "username", "signing_key"),
            "stations": stations_json(&self.stations),
        }))
    }

    /// Reads a roster's text; it must be exactly in canonical form.
    pub fn parse(text: &str) -> Result<Roster, String> {
        let value = sandoq_json::value::parse_document(text.as_bytes())
            .map_err(|e| format!("the roster is not JSON: {}", e.en))?;
        if value["format"] != FORMAT {
            return Err(format!("the roster is not {FORMAT}"));
        }
        let bad = || "the roster's fields are not as sandoq-roster-v1 says".to_string();
        let stations = parse_stations(&value["stations"]).ok_or_else(bad)?;
        let roster = Roster {
            election_code: string(&value["election"]["code"]).ok_or_else(bad)?,
            election_kind: string(&value["election"]["kind"]).ok_or_else(bad)?,
            election_sha256: string(&value["election"]["sha256"]).ok_or_else(bad)?,
            required_signatures: value["required_signatures"]
                .as_u64()
                .and_then(|k| usize::try_from(k).ok())
                .ok_or_else(bad)?,
            supervisors: list(&value["supervisors"], "username", "signing_key").ok_or_else(bad)?,
            stations,
        };
        if roster.text() != text {
            return Err("the roster is not in its canonical form".into());
        }
        Ok(roster)
    }

    /// A supervisor's key, by username.
    pub fn supervisor(&self, username: &str) -> Option<VerifyingKey> {
        self.supervisors
            .iter()
            .find(|(name, _)| name == username)
            .and_then(|(_, key)| key_of(key))
    }
}

fn key_of(text: &str) -> Option<VerifyingKey> {
    VerifyingKey::from_bytes(&unhex::<32>(text)?).ok()
}

/// The roster hash: SHA-256 of the roster's text, hex.
pub fn hash(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn seal_text(roster_sha256: &str) -> String {
    format!("{SEAL}\n{roster_sha256}")
}

fn amendment_signed_text(amendment: &str) -> String {
    format!("{AMENDMENT_FORMAT}\n{amendment}")
}

/// A supervisor's seal of the roster (hex signature).
pub fn seal(key: &SigningKey, roster_sha256: &str) -> String {
    hex(&key.sign(seal_text(roster_sha256).as_bytes()).to_bytes())
}

/// A supervisor's signature of an amendment (hex).
pub fn sign_amendment(key: &SigningKey, amendment: &str) -> String {
    hex(&key
        .sign(amendment_signed_text(amendment).as_bytes())
        .to_bytes())
}

/// Checks signatures (username, hex) of `text` by the roster's supervisors: each by a distinct
/// listed supervisor and valid. Returns how many signed.
fn check_signatures(
    roster: &Roster,
    signed: &str,
    signatures: &[(String, String)],
    what: &str,
) -> Result<usize, String> {
    let mut seen = BTreeSet::new();
    for (name, signature) in signatures {
        let Some(key) = roster.supervisor(name) else {
            return Err(format!(
                "{what} is signed by {name:?}, who is not a supervisor of the sealed roster"
            ));
        };
        let good = unhex::<64>(signature).is_some_and(|s| {
            key.verify(signed.as_bytes(), &Signature::from_bytes(&s))
                .is_ok()
        });
        if !good {
            return Err(format!("{name}'s signature of {what} does not verify"));
        }
        if !seen.insert(name.clone()) {
            return Err(format!("{name} signed {what} twice"));
        }
    }
    Ok(seen.len())
}

/// How many valid signatures of the roster's own supervisors seal `roster_text`.
pub fn check_seal(
    roster: &Roster,
    roster_text: &str,
    signatures: &[(String, String)],
) -> Result<usize, String> {
    check_signatures(
        roster,
        &seal_text(&hash(roster_text)),
        signatures,
        "the roster",
    )
}

/// An amendment: the stations' devices and officials added after the roster was sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amendment {
    pub roster_sha256: String,
    pub number: u64,
    pub stations: Vec<RosterStation>,
}

impl Amendment {
    /// The compact text the supervisors sign.
    pub fn text(&self) -> String {
        json!({
            "format": AMENDMENT_FORMAT,
            "roster_sha256": self.roster_sha256,
            "number": self.number,
            "stations": stations_json(&self.stations),
        })
        .to_string()
    }

    pub fn parse(text: &str) -> Result<Amendment, String> {
        let value = sandoq_json::value::parse_document(text.as_bytes())
            .map_err(|e| format!("an amendment is not JSON: {}", e.en))?;
        let bad = || "an amendment's fields are not as sandoq-amendment-v1 says".to_string();
        if value["format"] != AMENDMENT_FORMAT {
            return Err(bad());
        }
        let stations = parse_stations(&value["stations"]).ok_or_else(bad)?;
        let amendment = Amendment {
            roster_sha256: string(&value["roster_sha256"]).ok_or_else(bad)?,
            number: value["number"].as_u64().ok_or_else(bad)?,
            stations,
        };
        if amendment.text() != text {
            return Err("an amendment is not in its compact form".into());
        }
        Ok(amendment)
    }
}

/// How many valid signatures of the roster's supervisors an amendment's text carries.
pub fn check_amendment(
    roster: &Roster,
    text: &str,
    signatures: &[(String, String)],
) -> Result<usize, String> {
    check_signatures(
        roster,
        &amendment_signed_text(text),
        signatures,
        "an amendment",
    )
}

/// The keys that count, per station: the sealed roster's and its sealed amendments'.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    devices: BTreeMap<String, BTreeSet<String>>,
    officials: BTreeMap<String, BTreeMap<String, String>>,
}

impl Chain {
    pub fn new(roster: &Roster) -> Chain {
        let mut chain = Chain::default();
        chain.add(&roster.stations);
        chain
    }

    /// Adds a sealed amendment's stations.
    pub fn add(&mut self, stations: &[RosterStation]) {
        for station in stations {
            let devices = self.devices.entry(station.code.clone()).or_default();
            devices.extend(station.devices.iter().map(|(_, key)| key.clone()));
            let officials = self.officials.entry(station.code.clone()).or_default();
            for (name, key) in &station.officials {
                officials.insert(name.clone(), key.clone());
            }
        }
    }

    /// Whether `key` (hex) is a device of `station` in the chain.
    pub fn has_device(&self, station: &str, key: &str) -> bool {
        self.devices
            .get(station)
            .is_some_and(|keys| keys.contains(key))
    }

    /// The station's officials in the chain, with their keys.
    pub fn officials(&self, station: &str) -> Vec<(String, VerifyingKey)> {
        self.officials
            .get(station)
            .into_iter()
            .flatten()
            .filter_map(|(name, key)| Some((name.clone(), key_of(key)?)))
            .collect()
    }

    /// The devices and officials of `current` that the chain does not hold yet, per station (what
    /// an amendment must add).
    pub fn missing_from(&self, current: &[RosterStation]) -> Vec<RosterStation> {
        current
            .iter()
            .filter_map(|station| {
                let devices: Vec<(String, String)> = station
                    .devices
                    .iter()
                    .filter(|(_, key)| !self.has_device(&station.code, key))
                    .cloned()
                    .collect();
                let known = self.officials.get(&station.code);
                let officials: Vec<(String, String)> = station
                    .officials
                    .iter()
                    .filter(|(name, key)| known.and_then(|k| k.get(name)) != Some(key))
                    .cloned()
                    .collect();
                (!devices.is_empty() || !officials.is_empty()).then(|| RosterStation {
                    code: station.code.clone(),
                    devices,
                    officials,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    fn public(n: u8) -> String {
        hex(key(n).verifying_key().as_bytes())
    }

    fn roster() -> Roster {
        Roster {
            election_code: "e".into(),
            election_kind: "training".into(),
            election_sha256: "00".repeat(32),
            required_signatures: 2,
            supervisors: vec![
                ("sup-b".into(), public(2)),
                ("sup-a".into(), public(1)),
                ("sup-c".into(), public(3)),
            ],
            stations: vec![RosterStation {
                code: "S-1".into(),
                devices: vec![("ballot_box".into(), public(10))],
                officials: vec![("s1-a".into(), public(11))],
            }],
        }
        .sorted()
    }

    #[test]
    fn a_roster_reads_back_and_is_sealed_by_k_of_its_supervisors() {
        let roster = roster();
        let text = roster.text();
        assert_eq!(Roster::parse(&text).unwrap(), roster);
        assert!(Roster::parse(&text.replace("  ", "   ")).is_err());
        let sha = hash(&text);
        let one = vec![("sup-a".to_string(), seal(&key(1), &sha))];
        assert_eq!(check_seal(&roster, &text, &one), Ok(1));
        let two = vec![one[0].clone(), ("sup-c".to_string(), seal(&key(3), &sha))];
        assert_eq!(check_seal(&roster, &text, &two), Ok(2));
        // A stranger's key under a supervisor's name, a signature twice, another roster.
        let forged = vec![("sup-b".to_string(), seal(&key(9), &sha))];
        assert!(check_seal(&roster, &text, &forged).is_err());
        let twice = vec![one[0].clone(), one[0].clone()];
        assert!(check_seal(&roster, &text, &twice).is_err());
        let other = roster.text().replace("S-1", "S-2");
        assert!(check_seal(&roster, &other, &one).is_err());
    }

    #[test]
    fn an_amendment_adds_keys_to_the_chain() {
        let roster = roster();
        let mut chain = Chain::new(&roster);
        assert!(chain.has_device("S-1", &public(10)));
        assert!(!chain.has_device("S-1", &public(12)));
        let mut current = roster.stations.clone();
        current[0].devices.push(("ballot_box".into(), public(12)));
        let missing = chain.missing_from(&current);
        assert_eq!(missing.len(), 1);
        assert_eq!(
            missing[0].devices,
            vec![("ballot_box".to_string(), public(12))]
        );
        assert!(missing[0].officials.is_empty());
        let amendment = Amendment {
            roster_sha256: hash(&roster.text()),
            number: 1,
            stations: missing.clone(),
        };
        let text = amendment.text();
        assert_eq!(Amendment::parse(&text).unwrap(), amendment);
        let signed = vec![("sup-a".to_string(), sign_amendment(&key(1), &text))];
        assert_eq!(check_amendment(&roster, &text, &signed), Ok(1));
        chain.add(&missing);
        assert!(chain.has_device("S-1", &public(12)));
        assert!(chain.missing_from(&current).is_empty());
    }
}
