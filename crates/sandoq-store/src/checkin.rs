//! Check-in: the heart of one person, one vote (issue 3 §4).
//!
//! The national code must be well formed with a valid check digit, in the
//! registry, 18 or older on polling day, resident in the constituency, not
//! deceased or barred, and not checked in anywhere. The last condition is
//! settled by the store in one atomic insert against a unique key, so two
//! stations checking in the same person at the same instant cannot both
//! succeed. A retried request (same request id) gets the same answer and never
//! a second record.

use crate::model::{
    CheckInRecord, DeviceNonce, Election, ElectionId, ElectionStatus, Incident, IncidentKind,
    OfflinePolicy,
};
use crate::{Store, StoreError, Timestamp};
use sandoq_i18n::{Bilingual, Lang};
use sandoq_registry::{
    eligibility, Date, Eligibility, NationalCode, NationalCodeError, RegistryEntry,
};

/// One check-in as asked by a station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInRequest {
    pub election: ElectionId,
    /// As typed or scanned.
    pub national_code: String,
    pub station: String,
    /// Chosen by the station, unique per attempt; a retry reuses it.
    pub request_id: String,
    pub at: Timestamp,
    /// The signed request's nonce, spent in the same statement as the check-in where the backend
    /// can (one round trip); a nonce spent before is a replay and changes nothing.
    pub nonce: Option<DeviceNonce>,
}

/// Why a person cannot be checked in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    InvalidCode(NationalCodeError),
    NotInRegistry,
    UnderAge { eighteen_on: Date },
    OtherConstituency { constituency: String },
    Deceased,
    Barred,
}

/// The answer to a check-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckInOutcome {
    Recorded { at: Timestamp },
    AlreadyVoted { station: String, at: Timestamp },
    Refused(Refusal),
}

impl CheckInOutcome {
    /// A stable code for every answer.
    pub fn code(&self) -> &'static str {
        match self {
            CheckInOutcome::Recorded { .. } => "recorded",
            CheckInOutcome::AlreadyVoted { .. } => "already_voted",
            CheckInOutcome::Refused(Refusal::InvalidCode(error)) => error.code,
            CheckInOutcome::Refused(Refusal::NotInRegistry) => "not_in_registry",
            CheckInOutcome::Refused(Refusal::UnderAge { .. }) => "under_age",
            CheckInOutcome::Refused(Refusal::OtherConstituency { .. }) => "other_constituency",
            CheckInOutcome::Refused(Refusal::Deceased) => "deceased",
            CheckInOutcome::Refused(Refusal::Barred) => "barred",
        }
    }

    /// What the official at the desk reads, in both languages.
    pub fn message(&self) -> Bilingual {
        let time = |at: &Timestamp| {
            let (date, hour, minute) = at.tehran();
            let fa = sandoq_i18n::persian_digits(&format!(
                "{} ساعت {hour:02}:{minute:02}",
                date.jalali_long(Lang::Fa)
            ));
            (
                fa,
                format!("{} {hour:02}:{minute:02}", date.jalali_long(Lang::En)),
            )
        };
        match self {
            CheckInOutcome::Recorded { at } => {
                let (fa, en) = time(at);
                Bilingual::new(
                    format!("ثبت شد ({fa}). برگ تعرفه صادر شود."),
                    format!("Recorded ({en}). Issue the voting token."),
                )
            }
            CheckInOutcome::AlreadyVoted { station, at } => {
                let (fa, en) = time(at);
                Bilingual::new(
                    format!(
                        "این شخص پیش‌تر در شعبهٔ {} در {fa} رأی داده است.",
                        sandoq_i18n::code(station, Lang::Fa)
                    ),
                    format!("This person already voted at station {station} on {en}."),
                )
            }
            CheckInOutcome::Refused(Refusal::InvalidCode(error)) => {
                Bilingual::new(error.fa.clone(), error.en.clone())
            }
            CheckInOutcome::Refused(Refusal::NotInRegistry) => Bilingual::new(
                "این کد ملی در فهرست واجدان شرایط نیست.",
                "This national code is not in the registry of eligible voters.",
            ),
            CheckInOutcome::Refused(Refusal::UnderAge { eighteen_on }) => Bilingual::new(
                format!(
                    "در روز رأی‌گیری کمتر از ۱۸ سال دارد (۱۸ساله در {}).",
                    eighteen_on.jalali_long(Lang::Fa)
                ),
                format!(
                    "Under 18 on polling day (turns 18 on {}).",
                    eighteen_on.jalali_long(Lang::En)
                ),
            ),
            CheckInOutcome::Refused(Refusal::OtherConstituency { constituency }) => Bilingual::new(
                format!("ساکن حوزهٔ انتخابیهٔ دیگری است ({constituency})."),
                format!("Resides in another constituency ({constituency})."),
            ),
            CheckInOutcome::Refused(Refusal::Deceased) => Bilingual::new(
                "در فهرست، این شخص فوت‌شده ثبت شده است.",
                "The registry records this person as deceased.",
            ),
            CheckInOutcome::Refused(Refusal::Barred) => Bilingual::new(
                "این شخص از رأی دادن محروم است.",
                "This person is barred from voting.",
            ),
        }
    }
}

/// What a store's atomic insert found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Insert {
    /// This request recorded the check-in.
    Inserted,
    /// The person was already checked in (by this request, if the request ids match).
    Existing(CheckInRecord),
    /// The request id was used before for another person.
    RequestIdTaken,
}

/// Checks in one person. Everything that is not atomic in the database is
/// decided here, once, for every backend.
pub async fn check_in<S: Store + ?Sized>(
    store: &S,
    election: &Election,
    request: &CheckInRequest,
) -> Result<CheckInOutcome, StoreError> {
    if request.election != election.id {
        return Err(StoreError::invalid(
            "election_mismatch",
            "the request names another election",
            "درخواست به انتخابات دیگری اشاره دارد",
        ));
    }
    if election.status != ElectionStatus::Voting {
        return Err(not_voting(election.status));
    }
    validate_request(request)?;
    let code = match NationalCode::parse(&request.national_code) {
        Ok(code) => code,
        Err(error) => {
            spend(store, request.nonce.as_ref()).await?;
            return Ok(CheckInOutcome::Refused(Refusal::InvalidCode(error)));
        }
    };
    let record = CheckInRecord {
        station: request.station.clone(),
        at: request.at,
        request_id: request.request_id.clone(),
        provisional: false,
    };
    match attempt(store, election, code, &record, request.nonce.as_ref()).await? {
        Err(refusal) => Ok(CheckInOutcome::Refused(refusal)),
        Ok(insert) => outcome(request, insert),
    }
}

/// How far ahead of the centre's clock a station's own clock may be, in seconds.
pub const MAX_CLOCK_AHEAD_SECONDS: i64 = 300;

/// What the centre made of a check-in a station recorded while offline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// Accepted: the person is now checked in, marked provisional, at the station's time.
    Recorded { at: Timestamp },
    /// A conflict or an ineligible person: the incident supervisors will see.
    Incident(Incident),
}

impl SyncOutcome {
    pub fn code(&self) -> &'static str {
        match self {
            SyncOutcome::Recorded { .. } => "recorded",
            SyncOutcome::Incident(incident) => incident.kind.name(),
        }
    }
}

/// Syncs one check-in that a station recorded under the `provisional` offline policy, at its
/// own time `request.at`. The person already has a ballot, so nothing is refused: a person
/// checked in elsewhere becomes a double-vote incident (with both stations and times), a person
/// the centre would have refused becomes an ineligible incident. A retried sync (same station and
/// request id) gives the same answer and records nothing twice.
pub async fn sync_provisional<S: Store + ?Sized>(
    store: &S,
    election: &Election,
    request: &CheckInRequest,
    now: Timestamp,
) -> Result<SyncOutcome, StoreError> {
    if election.spec.offline_policy != OfflinePolicy::Provisional {
        return Err(StoreError::invalid(
            "offline_policy_refuse",
            "this election does not allow provisional check-ins (its offline policy is refuse)",
            "این انتخابات پذیرش موقت را نمی‌پذیرد (سیاست برون‌خط آن «رد» است)",
        ));
    }
    if request.election != election.id {
        return Err(StoreError::invalid(
            "election_mismatch",
            "the request names another election",
            "درخواست به انتخابات دیگری اشاره دارد",
        ));
    }
    if election.status == ElectionStatus::Setup {
        return Err(not_voting(election.status));
    }
    validate_request(request)?;
    // A provisional check-in happened on polling day (hours may run late): anything more than a
    // day away is a broken clock, and is refused before the instant is used anywhere.
    let day_start = Timestamp::from_tehran(election.spec.polling_day, 0, 0);
    if request.at.0 < day_start.0 - 86_400 || request.at.0 > day_start.0 + 2 * 86_400 {
        return Err(StoreError::invalid(
            "time_not_on_polling_day",
            "the check-in time is not on polling day; check the station's clock",
            "زمان پذیرش در روز رأی‌گیری نیست؛ ساعت شعبه را بررسی کنید",
        ));
    }
    if request.at.0 > now.0 + MAX_CLOCK_AHEAD_SECONDS {
        return Err(StoreError::invalid(
            "time_in_future",
            "the check-in time is in the future; check the station's clock",
            "زمان پذیرش در آینده است؛ ساعت شعبه را بررسی کنید",
        ));
    }
    let incident = |kind: IncidentKind, first: Option<&CheckInRecord>, detail: &str| Incident {
        kind,
        national_code: request.national_code.trim().to_string(),
        station: request.station.clone(),
        at: request.at,
        request_id: request.request_id.clone(),
        first_station: first.map(|r| r.station.clone()).unwrap_or_default(),
        first_at: first.map(|r| r.at).unwrap_or(Timestamp(0)),
        detail: detail.to_string(),
    };
    let refused = |code: &str| incident(IncidentKind::Ineligible, None, code);
    let code = match NationalCode::parse(&request.national_code) {
        Ok(code) => code,
        Err(error) => {
            spend(store, request.nonce.as_ref()).await?;
            let incident = refused(error.code);
            store.record_incident(election.id, &incident).await?;
            return Ok(SyncOutcome::Incident(incident));
        }
    };
    let record = CheckInRecord {
        station: request.station.clone(),
        at: request.at,
        request_id: request.request_id.clone(),
        provisional: true,
    };
    let insert = match attempt(store, election, code, &record, request.nonce.as_ref()).await? {
        Err(refusal) => {
            let incident = refused(CheckInOutcome::Refused(refusal).code());
            store.record_incident(election.id, &incident).await?;
            return Ok(SyncOutcome::Incident(incident));
        }
        Ok(insert) => insert,
    };
    match insert {
        Insert::Inserted => Ok(SyncOutcome::Recorded { at: request.at }),
        Insert::Existing(existing)
            if existing.request_id == request.request_id && existing.station == request.station =>
        {
            Ok(SyncOutcome::Recorded { at: existing.at })
        }
        Insert::Existing(existing) => {
            let incident = incident(IncidentKind::DoubleVote, Some(&existing), "");
            store.record_incident(election.id, &incident).await?;
            Ok(SyncOutcome::Incident(incident))
        }
        Insert::RequestIdTaken => Err(request_id_reused()),
    }
}

/// Check-ins are taken only while the election is `voting` (provisional ones also after it closed).
pub fn not_voting(status: ElectionStatus) -> StoreError {
    match status {
        ElectionStatus::Closed => StoreError::invalid(
            "election_closed",
            "voting in this election has closed; no more check-ins",
            "رأی‌گیری این انتخابات پایان یافته است؛ پذیرش دیگری نیست",
        ),
        _ => StoreError::invalid(
            "election_not_voting",
            "voting in this election has not started (it is still being set up)",
            "رأی‌گیری این انتخابات هنوز آغاز نشده است (در حال آماده‌سازی است)",
        ),
    }
}

/// Moves an election one step forward in its life (setup → voting → closed), and only that.
pub async fn advance_status<S: Store + ?Sized>(
    store: &S,
    election: &Election,
    to: ElectionStatus,
    actor: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    if election.status.next() != Some(to) {
        return Err(StoreError::invalid(
            "bad_status_change",
            format!(
                "an election goes setup → voting → closed; it cannot go from {} to {}",
                election.status.name(),
                to.name()
            ),
            format!(
                "انتخابات از آماده‌سازی به رأی‌گیری و سپس به پایان می‌رود؛ از {} به {} نمی‌رود",
                election.status.name(),
                to.name()
            ),
        ));
    }
    if !store
        .set_election_status(election.id, election.status, to, actor, at)
        .await?
    {
        return Err(StoreError::invalid(
            "status_changed_meanwhile",
            "someone else changed this election's status meanwhile; look again",
            "وضعیت این انتخابات هم‌زمان به دست دیگری تغییر کرد؛ دوباره نگاه کنید",
        ));
    }
    Ok(())
}

/// A signed request received twice: refused, nothing changed.
pub fn replayed() -> StoreError {
    StoreError::invalid(
        "replayed_request",
        "this request was already received (replayed)",
        "این درخواست پیش‌تر دریافت شده است (تکراری)",
    )
}

/// Spends a request's nonce on its own, on paths that write nothing else.
async fn spend<S: Store + ?Sized>(
    store: &S,
    nonce: Option<&DeviceNonce>,
) -> Result<(), StoreError> {
    match nonce {
        Some(n) if !store.use_nonce(n.device, &n.nonce).await? => Err(replayed()),
        _ => Ok(()),
    }
}

fn request_id_reused() -> StoreError {
    StoreError::invalid(
        "request_id_reused",
        "this request id was already used for another person; a new check-in needs a new request id",
        "این شناسهٔ درخواست پیش‌تر برای شخص دیگری به کار رفته است؛ هر پذیرش شناسهٔ تازه می‌خواهد",
    )
}

/// Looks the person up and records the check-in if they may vote, in one call to the store (one
/// statement where the backend can): the refusal, or what the insert found.
async fn attempt<S: Store + ?Sized>(
    store: &S,
    election: &Election,
    code: NationalCode,
    record: &CheckInRecord,
    nonce: Option<&DeviceNonce>,
) -> Result<Result<Insert, Refusal>, StoreError> {
    let rule = CheckInRule::for_election(election);
    let found = store
        .try_check_in(election.id, code, record, &rule, nonce)
        .await?;
    judge(store, election, code, record, found).await
}

/// What an attempt found, as a refusal or an insert.
async fn judge<S: Store + ?Sized>(
    store: &S,
    election: &Election,
    code: NationalCode,
    record: &CheckInRecord,
    found: Attempt,
) -> Result<Result<Insert, Refusal>, StoreError> {
    if found.replayed {
        return Err(replayed());
    }
    let Some(entry) = found.entry else {
        return Ok(Err(Refusal::NotInRegistry));
    };
    // The refusal, and its precise reason, always come from the eligibility rules themselves.
    let refusal = match eligibility::check(
        &entry,
        &election.spec.constituency,
        election.spec.polling_day,
    ) {
        Eligibility::Eligible => None,
        Eligibility::UnderAge { eighteen_on } => Some(Refusal::UnderAge { eighteen_on }),
        Eligibility::OtherConstituency { constituency } => {
            Some(Refusal::OtherConstituency { constituency })
        }
        Eligibility::Deceased => Some(Refusal::Deceased),
        Eligibility::Barred => Some(Refusal::Barred),
    };
    if let Some(refusal) = refusal {
        return Ok(Err(refusal));
    }
    match found.insert {
        Some(insert) => Ok(Ok(insert)),
        // The rule and the eligibility check agree (a test holds them to it); should they ever
        // not, the person is still checked in by the plain atomic insert.
        None => Ok(Ok(store.insert_check_in(election.id, code, record).await?)),
    }
}

/// The answer to a request from what its insert found.
fn outcome(request: &CheckInRequest, insert: Insert) -> Result<CheckInOutcome, StoreError> {
    match insert {
        Insert::Inserted => Ok(CheckInOutcome::Recorded { at: request.at }),
        Insert::Existing(existing)
            if existing.request_id == request.request_id && existing.station == request.station =>
        {
            Ok(CheckInOutcome::Recorded { at: existing.at })
        }
        Insert::Existing(existing) => Ok(CheckInOutcome::AlreadyVoted {
            station: existing.station,
            at: existing.at,
        }),
        Insert::RequestIdTaken => Err(request_id_reused()),
    }
}

/// Checks in many people at once, for callers inside the service that hold no device nonce (the
/// simulator at full scale): every request gets exactly the answer [`check_in`] would have given
/// it had the requests come one after another, in order, but the store does the work in a few
/// statements and one commit where the backend can ([`Store::try_check_in_many`]). Nothing is
/// answered before that commit. A request that is itself wrong (bad station code, bad request id)
/// gets its error and changes nothing; the others go ahead.
pub async fn check_in_many<S: Store + ?Sized>(
    store: &S,
    election: &Election,
    requests: &[CheckInRequest],
) -> Result<Vec<Result<CheckInOutcome, StoreError>>, StoreError> {
    if election.status != ElectionStatus::Voting {
        return Err(not_voting(election.status));
    }
    let mut answers: Vec<Option<Result<CheckInOutcome, StoreError>>> =
        (0..requests.len()).map(|_| None).collect();
    let mut asked = Vec::new();
    let mut items = Vec::new();
    for (i, request) in requests.iter().enumerate() {
        if request.election != election.id {
            answers[i] = Some(Err(StoreError::invalid(
                "election_mismatch",
                "the request names another election",
                "درخواست به انتخابات دیگری اشاره دارد",
            )));
            continue;
        }
        if let Err(e) = validate_request(request) {
            answers[i] = Some(Err(e));
            continue;
        }
        match NationalCode::parse(&request.national_code) {
            Err(error) => {
                answers[i] = Some(Ok(CheckInOutcome::Refused(Refusal::InvalidCode(error))));
            }
            Ok(code) => {
                asked.push(i);
                items.push((
                    code,
                    CheckInRecord {
                        station: request.station.clone(),
                        at: request.at,
                        request_id: request.request_id.clone(),
                        provisional: false,
                    },
                ));
            }
        }
    }
    let rule = CheckInRule::for_election(election);
    let found = store.try_check_in_many(election.id, &items, &rule).await?;
    if found.len() != items.len() {
        return Err(StoreError::Database(
            "the store answered a different number of check-ins".into(),
        ));
    }
    for ((i, (code, record)), found) in asked.into_iter().zip(&items).zip(found) {
        let answer = match judge(store, election, *code, record, found).await? {
            Err(refusal) => Ok(CheckInOutcome::Refused(refusal)),
            Ok(insert) => outcome(&requests[i], insert),
        };
        answers[i] = Some(answer);
    }
    Ok(answers
        .into_iter()
        .map(|a| a.unwrap_or_else(|| Err(StoreError::Database("unanswered check-in".into()))))
        .collect())
}

/// Who may be checked in, in a form a database can test in the same statement as the insert:
/// derived from the eligibility rules (`eligibility::latest_eligible_birth`), never written anew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInRule {
    pub constituency: String,
    /// Born on or before this day: 18 on polling day.
    pub latest_birth: Date,
}

impl CheckInRule {
    pub fn for_election(election: &Election) -> CheckInRule {
        CheckInRule {
            constituency: election.spec.constituency.clone(),
            latest_birth: eligibility::latest_eligible_birth(election.spec.polling_day),
        }
    }

    pub fn admits(&self, entry: &RegistryEntry) -> bool {
        !entry.deceased
            && !entry.barred
            && entry.constituency == self.constituency
            && entry.birth_date <= self.latest_birth
    }
}

/// What one check-in attempt found: the registry entry, and, if the entry passed the rule,
/// what the atomic insert found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    /// The nonce had been spent before: nothing was looked up or written.
    pub replayed: bool,
    pub entry: Option<RegistryEntry>,
    pub insert: Option<Insert>,
}

/// Whether `text` is a well-formed code: 1-64 ASCII letters, digits or `-_.:`.
pub fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
}

/// Refuses a station code that check-in would refuse, so that no device is registered at one.
pub fn check_station_code(station: &str) -> Result<(), StoreError> {
    if is_code(station) {
        Ok(())
    } else {
        Err(StoreError::invalid(
            "bad_station_code",
            "a station code is 1-64 letters, digits or -_.:",
            "کد شعبه ۱ تا ۶۴ حرف، رقم یا -_.: است",
        ))
    }
}

/// Station codes and request ids are short printable text.
fn validate_request(request: &CheckInRequest) -> Result<(), StoreError> {
    let ok = is_code;
    check_station_code(&request.station)?;
    if !ok(&request.request_id) {
        return Err(StoreError::invalid(
            "bad_request_id",
            "a request id is 1-64 letters, digits or -_.:",
            "شناسهٔ درخواست ۱ تا ۶۴ حرف، رقم یا -_.: است",
        ));
    }
    Ok(())
}
