//! What the central store holds.

use sandoq_registry::{Date, NationalCode, RegistryEntry};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ElectionId(pub i64);

/// A live election, or a training one that can never be mistaken for or merged into a live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionKind {
    Live,
    Training,
}

impl ElectionKind {
    pub fn name(self) -> &'static str {
        match self {
            ElectionKind::Live => "live",
            ElectionKind::Training => "training",
        }
    }

    pub fn from_name(name: &str) -> Option<ElectionKind> {
        match name {
            "live" => Some(ElectionKind::Live),
            "training" => Some(ElectionKind::Training),
            _ => None,
        }
    }
}

/// What a station that cannot reach the centre may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfflinePolicy {
    /// Check-in waits for the centre.
    Refuse,
    /// The station records the check-in locally and syncs later; conflicts become incidents.
    Provisional,
}

impl OfflinePolicy {
    pub fn name(self) -> &'static str {
        match self {
            OfflinePolicy::Refuse => "refuse",
            OfflinePolicy::Provisional => "provisional",
        }
    }

    pub fn from_name(name: &str) -> Option<OfflinePolicy> {
        match name {
            "refuse" => Some(OfflinePolicy::Refuse),
            "provisional" => Some(OfflinePolicy::Provisional),
            _ => None,
        }
    }
}

/// Polling hours in Tehran time, as minutes after midnight (08:00 is 480).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollingHours {
    pub opens: u16,
    pub closes: u16,
}

impl Default for PollingHours {
    /// 08:00 to 18:00.
    fn default() -> PollingHours {
        PollingHours {
            opens: 8 * 60,
            closes: 18 * 60,
        }
    }
}

impl PollingHours {
    /// `HH:MM` to `HH:MM` (any digits), opening before closing.
    pub fn parse(opens: &str, closes: &str) -> Result<PollingHours, crate::StoreError> {
        let minutes = |text: &str| -> Option<u16> {
            let text = sandoq_i18n::ascii_digits(text.trim());
            let (h, m) = text.split_once(':')?;
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (h < 24 && m < 60 && m.to_string().len() <= 2).then_some(h * 60 + m)
        };
        match (minutes(opens), minutes(closes)) {
            (Some(opens), Some(closes)) if opens < closes => Ok(PollingHours { opens, closes }),
            _ => Err(crate::StoreError::invalid(
                "bad_polling_hours",
                "polling hours are HH:MM to HH:MM, opening before closing",
                "ساعت رأی‌گیری به شکل HH:MM تا HH:MM است و آغاز پیش از پایان",
            )),
        }
    }

    /// `HH:MM`.
    pub fn text(minutes: u16) -> String {
        format!("{:02}:{:02}", minutes / 60, minutes % 60)
    }
}

/// Where an election is in its life. Setup data (areas, stations, lists, candidates, photos,
/// the registry) changes only in `setup`; check-ins are taken only in `voting`; stations that
/// were offline may still sync their provisional check-ins after `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElectionStatus {
    Setup,
    Voting,
    Closed,
}

impl ElectionStatus {
    pub fn name(self) -> &'static str {
        match self {
            ElectionStatus::Setup => "setup",
            ElectionStatus::Voting => "voting",
            ElectionStatus::Closed => "closed",
        }
    }

    pub fn from_name(name: &str) -> Option<ElectionStatus> {
        match name {
            "setup" => Some(ElectionStatus::Setup),
            "voting" => Some(ElectionStatus::Voting),
            "closed" => Some(ElectionStatus::Closed),
            _ => None,
        }
    }

    /// The one step forward from here, if any: setup → voting → closed.
    pub fn next(self) -> Option<ElectionStatus> {
        match self {
            ElectionStatus::Setup => Some(ElectionStatus::Voting),
            ElectionStatus::Voting => Some(ElectionStatus::Closed),
            ElectionStatus::Closed => None,
        }
    }
}

/// What HQ gives to create an election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElectionSpec {
    /// A short unique code, e.g. `tehran-1405`.
    pub code: String,
    pub name_fa: String,
    pub name_en: String,
    pub kind: ElectionKind,
    pub seats: u32,
    /// The constituency whose residents vote, e.g. `tehran-rey-tajrish`.
    pub constituency: String,
    pub polling_day: Date,
    pub hours: PollingHours,
    pub offline_policy: OfflinePolicy,
    /// Whether voters check a printed slip that goes into a sealed box.
    pub paper_record: bool,
    /// The rule set and its options as one compact JSON object,
    /// `{"rule_set":"tehran-1405","options":{…}}`, checked by the counting engine when set.
    pub rules: String,
}

impl ElectionSpec {
    /// The Tehran rule set with every option at its default.
    pub const DEFAULT_RULES: &'static str = r#"{"rule_set":"tehran-1405","options":{}}"#;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    pub id: ElectionId,
    pub spec: ElectionSpec,
    pub status: ElectionStatus,
}

/// One row of the registry of eligible voters (synthetic data only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Voter {
    pub national_code: NationalCode,
    pub entry: RegistryEntry,
}

/// A recorded check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInRecord {
    pub station: String,
    pub at: crate::Timestamp,
    pub request_id: String,
    /// Recorded at a station that could not reach the centre, and synced later.
    pub provisional: bool,
}

/// Check-ins of one station in one Tehran clock hour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnoutBucket {
    pub station: String,
    pub hour_start: crate::Timestamp,
    pub check_ins: u64,
}

/// One line of the append-only audit log: who did what, when. Never a ballot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: crate::Timestamp,
    pub actor: String,
    pub action: String,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceId(pub i64);

/// What a station device is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    CheckInDesk,
    BallotBox,
}

impl DeviceKind {
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::CheckInDesk => "check_in_desk",
            DeviceKind::BallotBox => "ballot_box",
        }
    }

    pub fn from_name(name: &str) -> Option<DeviceKind> {
        match name {
            "check_in_desk" => Some(DeviceKind::CheckInDesk),
            "ballot_box" => Some(DeviceKind::BallotBox),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Active,
    Revoked,
}

impl DeviceStatus {
    pub fn name(self) -> &'static str {
        match self {
            DeviceStatus::Active => "active",
            DeviceStatus::Revoked => "revoked",
        }
    }

    pub fn from_name(name: &str) -> Option<DeviceStatus> {
        match name {
            "active" => Some(DeviceStatus::Active),
            "revoked" => Some(DeviceStatus::Revoked),
            _ => None,
        }
    }
}

/// A station device registered by headquarters, with its Ed25519 public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub id: DeviceId,
    pub election: ElectionId,
    pub station: String,
    pub kind: DeviceKind,
    /// Lowercase hex of the 32-byte Ed25519 public key.
    pub public_key: String,
    pub status: DeviceStatus,
}

/// A nonce a signed device request carries, to be spent with the write it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceNonce {
    pub device: DeviceId,
    pub nonce: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// Who a person is to sandoq (issue 3 §3). The scope says where: a county or
/// district for an executive board, a station for a station official, empty otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Election headquarters: defines the election, imports, registers devices and users.
    Hq,
    /// An executive board, scoped to its county or district.
    Executive,
    /// A supervisory board: reads everything, co-signs.
    Supervisor,
    /// A station official, scoped to one station.
    Station,
    /// Parties, observers, media: public data only.
    Observer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Hq,
        Role::Executive,
        Role::Supervisor,
        Role::Station,
        Role::Observer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Role::Hq => "hq",
            Role::Executive => "executive",
            Role::Supervisor => "supervisor",
            Role::Station => "station",
            Role::Observer => "observer",
        }
    }

    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Whether this role needs a scope (an area or a station).
    pub fn scoped(self) -> bool {
        matches!(self, Role::Executive | Role::Station)
    }
}

/// What a station's agent last said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationStatus {
    pub station: String,
    /// The station's lifecycle state: `setup`, `open`, `voting`, `closed`, `reported`.
    pub state: String,
    pub ballots: u64,
    pub tokens_issued: u64,
    /// When the centre received it.
    pub received_at: crate::Timestamp,
}

/// A station report the centre no longer counts: the station's own ballot records (signed by its
/// device, exactly what the report committed to) count to something else (`code`), found `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantine {
    pub station: String,
    pub code: String,
    pub at: crate::Timestamp,
}

/// An alert someone acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertAck {
    pub alert: String,
    pub note: String,
    pub by: String,
    pub at: crate::Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub role: Role,
    pub scope: String,
    pub password_hash: String,
    pub failed_attempts: u32,
    /// Sign-in is refused until this instant after too many failures.
    pub locked_until: crate::Timestamp,
    /// A station official's or supervisor's co-signing public key (hex), empty for other roles.
    pub signing_key: String,
    /// That key wrapped under the password (`sandoq_station::officials`); never published.
    pub wrapped_key: String,
}

/// A county, or a district within a county: what an executive board is scoped to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AreaKind {
    County,
    District,
}

impl AreaKind {
    pub fn name(self) -> &'static str {
        match self {
            AreaKind::County => "county",
            AreaKind::District => "district",
        }
    }

    pub fn from_name(name: &str) -> Option<AreaKind> {
        match name {
            "county" => Some(AreaKind::County),
            "district" => Some(AreaKind::District),
            _ => None,
        }
    }
}

/// A county (no parent) or a district (its parent is a county).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    pub code: String,
    pub kind: AreaKind,
    /// The county of a district; empty for a county.
    pub parent: String,
    pub name_fa: String,
    pub name_en: String,
}

/// A polling station, in a district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Station {
    pub code: String,
    pub district: String,
    pub name_fa: String,
    pub name_en: String,
    pub address: String,
}

/// A device to register: its station, kind and Ed25519 public key (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub station: String,
    pub kind: DeviceKind,
    pub public_key: String,
}

/// A candidate's photo as shown on the ballot box screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Photo {
    pub candidate: String,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Lowercase hex SHA-256 of the bytes: what stations check.
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// What went wrong with a check-in a station recorded while it could not reach the centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncidentKind {
    /// The person had already been checked in elsewhere (or at the same station earlier).
    DoubleVote,
    /// The centre would have refused the person (not in the registry, under age, ...).
    Ineligible,
}

impl IncidentKind {
    pub fn name(self) -> &'static str {
        match self {
            IncidentKind::DoubleVote => "double_vote",
            IncidentKind::Ineligible => "ineligible",
        }
    }

    pub fn from_name(name: &str) -> Option<IncidentKind> {
        match name {
            "double_vote" => Some(IncidentKind::DoubleVote),
            "ineligible" => Some(IncidentKind::Ineligible),
            _ => None,
        }
    }
}

/// A problem found when a provisional check-in was synced; supervisors see every one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub kind: IncidentKind,
    /// As the station sent it (it may not be a valid code, for an ineligible person).
    pub national_code: String,
    /// The station that synced, when its check-in happened, and its request id.
    pub station: String,
    pub at: crate::Timestamp,
    pub request_id: String,
    /// For a double vote: the check-in the centre already had. Empty and 0 otherwise.
    pub first_station: String,
    pub first_at: crate::Timestamp,
    /// For an ineligible person: the refusal's code (e.g. `not_in_registry`).
    pub detail: String,
}

/// An account made in bulk with its co-signing key ([`crate::Store::create_officials`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOfficial {
    pub username: String,
    pub role: Role,
    pub scope: String,
    pub password_hash: String,
    /// The Ed25519 public key the official co-signs with, lowercase hex.
    pub signing_key: String,
}

/// A drill for station officials on a training election (issue 6 §4), started by a trainer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drill {
    pub id: i64,
    pub station: String,
    /// The drill card as the centre made it when the drill started (JSON).
    pub card: String,
    pub started_by: String,
    pub started_at: crate::Timestamp,
}

/// One kind of step the centre saw during a drill (e.g. `check_in:not_in_registry`): when it
/// first happened and how often.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillStep {
    pub step: String,
    pub first_at: crate::Timestamp,
    pub count: u64,
}

/// Which registry entries [`crate::Store::sample_voters`] picks; never anyone who has checked in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoterSample {
    /// Of `constituency`, born by `born_by`, neither deceased nor barred.
    Eligible {
        constituency: String,
        born_by: sandoq_registry::Date,
    },
    /// Born after `born_after` (under eighteen on polling day), otherwise eligible.
    UnderAge {
        constituency: String,
        born_after: sandoq_registry::Date,
    },
    /// Registered in a constituency other than this one.
    OtherConstituency {
        constituency: String,
    },
    Deceased,
    Barred,
}
