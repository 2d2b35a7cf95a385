//! Drills for station officials (issue 6 §4). From the headquarters pages a trainer starts a drill
//! for one station of a training election; the station's officials then open it, check in the
//! people on the drill card (one for every refusal, a voter who votes and comes back, a voter who
//! walks away from the ballot box), close, co-sign and send the report. What the centre sees of
//! that station meanwhile is counted per kind of step ([`note`]) and read back as a checklist and a
//! short written debrief ([`debrief`]).
//!
//! Invariants: only a training election has drills, and only a station that has not opened yet
//! gets one; nothing recorded names a voter (a step is a kind, a first time and a count); live
//! elections pay nothing (the election's kind is checked before anything else).

use crate::http::{AppError, AppState};
use axum::http::StatusCode;
use sandoq_i18n::{localise, number, Lang};
use sandoq_registry::{synthetic, NationalCode};
use sandoq_store::{
    Drill, DrillStep, Election, ElectionId, ElectionKind, ElectionStatus, Store, Timestamp,
    VoterSample,
};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Instant;

/// How long the set of drilled stations is trusted before it is read again (a drill started
/// through this service is added at once).
pub const INDEX_SECONDS: u64 = 10;

/// One thing the officials should practise, and the steps that show it was done.
#[derive(Debug, Clone, Copy)]
pub struct Practice {
    pub id: &'static str,
    /// Any of these steps shows it.
    pub steps: &'static [&'static str],
    pub fa: &'static str,
    pub en: &'static str,
}

impl Practice {
    /// Whether its count is a number of events (check-in answers, reports) rather than of the
    /// status messages that showed it.
    pub fn counted(&self) -> bool {
        self.steps
            .iter()
            .all(|s| s.starts_with("check_in:") || s.starts_with("report:"))
    }
}

/// Everything a drill asks for, in the order of the day.
pub const PRACTICES: [Practice; 12] = [
    Practice {
        id: "open",
        steps: &["state:open", "state:voting"],
        fa: "گشودن شعبه با حضور مسئولان",
        en: "Open the station with the officials signed in",
    },
    Practice {
        id: "admit",
        steps: &["check_in:recorded"],
        fa: "پذیرش رأی‌دهندهٔ واجد شرایط",
        en: "Check an eligible voter in",
    },
    Practice {
        id: "mistyped",
        steps: &["desk:invalid_code"],
        fa: "نپذیرفتن کد ملی نادرست (رقم کنترل) در میز پذیرش",
        en: "Refuse a mistyped national code (check digit) at the desk",
    },
    Practice {
        id: "not_in_registry",
        steps: &["check_in:not_in_registry"],
        fa: "نپذیرفتن کسی که در فهرست واجدان نیست",
        en: "Refuse a person who is not in the registry",
    },
    Practice {
        id: "under_age",
        steps: &["check_in:under_age"],
        fa: "نپذیرفتن کسی که به سن رأی نرسیده است",
        en: "Refuse a person under eighteen",
    },
    Practice {
        id: "other_constituency",
        steps: &["check_in:other_constituency"],
        fa: "نپذیرفتن کسی از حوزهٔ انتخابیهٔ دیگر",
        en: "Refuse a person of another constituency",
    },
    Practice {
        id: "deceased",
        steps: &["check_in:deceased"],
        fa: "نپذیرفتن کد ملی شخص درگذشته",
        en: "Refuse the national code of a deceased person",
    },
    Practice {
        id: "barred",
        steps: &["check_in:barred"],
        fa: "نپذیرفتن کسی که از رأی محروم است",
        en: "Refuse a person barred from voting",
    },
    Practice {
        id: "already_voted",
        steps: &["check_in:already_voted"],
        fa: "نپذیرفتن رأی دوباره",
        en: "Refuse a person who has already voted",
    },
    Practice {
        id: "walked_away",
        steps: &["walked_away"],
        fa: "رأی‌دهنده‌ای که صندوق را بی‌رأی ترک می‌کند (نشست باطل شد)",
        en: "A voter who walks away from the ballot box (session voided)",
    },
    Practice {
        id: "close",
        steps: &["state:closed", "state:reported"],
        fa: "بستن شعبه",
        en: "Close the station",
    },
    Practice {
        id: "report",
        steps: &["report:accepted"],
        fa: "امضای صورتجلسه با مسئولان و فرستادن آن (پذیرفتهٔ مرکز)",
        en: "Co-sign the report and send it (accepted by the centre)",
    },
];

/// One line of the checklist: the practice and when it was first seen, if it was.
#[derive(Debug, Clone)]
pub struct Checked {
    pub practice: Practice,
    pub first_at: Option<Timestamp>,
    pub count: u64,
}

/// What happened during a drill, read from its steps.
#[derive(Debug, Clone)]
pub struct Debrief {
    pub checklist: Vec<Checked>,
    /// Codes of reports the centre refused during the drill, with how often.
    pub refused_reports: Vec<(String, u64)>,
    /// The last step seen.
    pub last_at: Option<Timestamp>,
}

impl Debrief {
    pub fn done(&self) -> usize {
        self.checklist
            .iter()
            .filter(|c| c.first_at.is_some())
            .count()
    }

    /// A short written debrief.
    pub fn written(&self, drill: &Drill, lang: Lang) -> String {
        let done: Vec<&Checked> = self
            .checklist
            .iter()
            .filter(|c| c.first_at.is_some())
            .collect();
        let missing: Vec<&Checked> = self
            .checklist
            .iter()
            .filter(|c| c.first_at.is_none())
            .collect();
        let when = |at: Timestamp| crate::pages::when(at, lang);
        let name = |c: &Checked| match lang {
            Lang::Fa => c.practice.fa,
            Lang::En => c.practice.en,
        };
        let list = |items: &[&Checked]| {
            let sep = match lang {
                Lang::Fa => "؛ ",
                Lang::En => "; ",
            };
            items.iter().map(|c| name(c)).collect::<Vec<_>>().join(sep)
        };
        let total = number(self.checklist.len() as u64, lang);
        let mut text = match lang {
            Lang::Fa => format!(
                "تمرین شمارهٔ {} در شعبهٔ {} را {} در {} آغاز کرد. مسئولان شعبه {} کار از {} کار را انجام دادند.",
                number(drill.id as u64, lang),
                localise(&drill.station, lang),
                drill.started_by,
                when(drill.started_at),
                number(done.len() as u64, lang),
                total
            ),
            Lang::En => format!(
                "Drill {} at station {} was started by {} on {}. The station's officials did {} of the {} steps.",
                drill.id,
                drill.station,
                drill.started_by,
                when(drill.started_at),
                done.len(),
                total
            ),
        };
        if let Some(first) = done.iter().filter_map(|c| c.first_at).min() {
            let last = self.last_at.unwrap_or(first);
            text.push(' ');
            text.push_str(&match lang {
                Lang::Fa => format!(
                    "نخستین کار در {} و آخرین در {} دیده شد.",
                    when(first),
                    when(last)
                ),
                Lang::En => format!(
                    "The first step was seen on {}, the last on {}.",
                    when(first),
                    when(last)
                ),
            });
        }
        text.push(' ');
        if missing.is_empty() {
            text.push_str(match lang {
                Lang::Fa => "همهٔ کارهای تمرین انجام شد.",
                Lang::En => "Every step of the drill was done.",
            });
        } else {
            text.push_str(&match lang {
                Lang::Fa => format!("انجام‌نشده: {}.", list(&missing)),
                Lang::En => format!("Not done: {}.", list(&missing)),
            });
        }
        let admitted = self
            .checklist
            .iter()
            .find(|c| c.practice.id == "admit")
            .map_or(0, |c| c.count);
        if admitted > 0 {
            text.push(' ');
            text.push_str(&match lang {
                Lang::Fa => format!("{} رأی‌دهنده پذیرش شد.", number(admitted, lang)),
                Lang::En => format!("{admitted} voter(s) were checked in."),
            });
        }
        for (code, count) in &self.refused_reports {
            text.push(' ');
            text.push_str(&match lang {
                Lang::Fa => format!(
                    "مرکز صورتجلسه را {} بار نپذیرفت (کد {code}).",
                    number(*count, lang)
                ),
                Lang::En => format!("The centre refused the report {count} time(s) (code {code})."),
            });
        }
        text
    }
}

/// The checklist of a drill from its steps.
pub fn debrief(steps: &[DrillStep]) -> Debrief {
    let by_step: HashMap<&str, &DrillStep> = steps.iter().map(|s| (s.step.as_str(), s)).collect();
    let checklist = PRACTICES
        .iter()
        .map(|practice| {
            let seen: Vec<&&DrillStep> = practice
                .steps
                .iter()
                .filter_map(|s| by_step.get(s))
                .collect();
            Checked {
                practice: *practice,
                first_at: seen.iter().map(|s| s.first_at).min(),
                count: seen.iter().map(|s| s.count).sum(),
            }
        })
        .collect();
    let refused_reports = steps
        .iter()
        .filter_map(|s| {
            s.step
                .strip_prefix("report:refused:")
                .map(|code| (code.to_string(), s.count))
        })
        .collect();
    Debrief {
        checklist,
        refused_reports,
        last_at: steps.iter().map(|s| s.first_at).max(),
    }
}

/// One person of the drill card: what to type at the desk and what should happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardLine {
    pub practice: &'static str,
    /// The national code to type, or `None` when the registry holds nobody of this kind.
    pub code: Option<String>,
    pub fa: &'static str,
    pub en: &'static str,
}

/// The lines of a drill card, in the order the people come to the desk.
const CARD: [(&str, &str, &str); 9] = [
    ("admit", "واجد شرایط: پذیرش کنید؛ رأی می‌دهد.", "Eligible: check in; votes."),
    (
        "mistyped",
        "همان کد با یک رقم اشتباه: میز پذیرش باید آن را نپذیرد.",
        "The same code with one digit wrong: the desk must refuse it.",
    ),
    (
        "not_in_registry",
        "کد ملی درست، ولی در فهرست نیست: نپذیرید.",
        "A valid code that is not in the registry: refuse.",
    ),
    (
        "under_age",
        "زیر ۱۸ سال در روز رأی‌گیری: نپذیرید.",
        "Under eighteen on polling day: refuse.",
    ),
    (
        "other_constituency",
        "ثبت‌شده در حوزهٔ دیگر: نپذیرید.",
        "Registered in another constituency: refuse.",
    ),
    (
        "deceased",
        "درگذشته: نپذیرید و رخداد را ثبت کنید.",
        "Deceased: refuse and record an incident.",
    ),
    ("barred", "محروم از رأی: نپذیرید.", "Barred from voting: refuse."),
    (
        "already_voted",
        "رأی‌دهندهٔ نخست دوباره می‌آید: نپذیرید.",
        "The first voter comes again: refuse.",
    ),
    (
        "walked_away",
        "واجد شرایط: پذیرش کنید؛ صندوق را بی‌رأی ترک می‌کند (نشست را باطل کنید یا بگذارید زمانش بگذرد).",
        "Eligible: check in; walks away from the box (void the session or let it time out).",
    ),
];

/// The drill card as stored with the drill: `{"practice": "code", ...}`.
pub fn card_json(lines: &[CardLine]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = lines
        .iter()
        .filter_map(|l| Some((l.practice.to_string(), serde_json::json!(l.code.as_ref()?))))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// The drill card from its stored form.
pub fn card_from_json(text: &str) -> Vec<CardLine> {
    let map: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
    CARD.iter()
        .map(|(practice, fa, en)| CardLine {
            practice,
            code: map[*practice].as_str().map(str::to_string),
            fa,
            en,
        })
        .collect()
}

/// Makes a drill card: the people to present at the desk, from the training registry (nobody
/// who has checked in). `seed` picks the valid code that is not in the registry.
pub async fn card<S: Store>(
    store: &S,
    election: &Election,
    seed: u64,
) -> Result<Vec<CardLine>, AppError> {
    let spec = &election.spec;
    let born_by = sandoq_registry::eligibility::latest_eligible_birth(spec.polling_day);
    let eligible = store
        .sample_voters(
            election.id,
            &VoterSample::Eligible {
                constituency: spec.constituency.clone(),
                born_by,
            },
            2,
        )
        .await?;
    let one = |sample: VoterSample| async move {
        Ok::<_, AppError>(
            store
                .sample_voters(election.id, &sample, 1)
                .await?
                .first()
                .map(|c| c.to_string()),
        )
    };
    let under_age = one(VoterSample::UnderAge {
        constituency: spec.constituency.clone(),
        born_after: born_by,
    })
    .await?;
    let other = one(VoterSample::OtherConstituency {
        constituency: spec.constituency.clone(),
    })
    .await?;
    let deceased = one(VoterSample::Deceased).await?;
    let barred = one(VoterSample::Barred).await?;
    let mut not_registered = None;
    for code in synthetic::national_codes(seed).take(50) {
        if store.find_voter(election.id, code).await?.is_none() {
            not_registered = Some(code.to_string());
            break;
        }
    }
    let first = eligible.first().map(NationalCode::to_string);
    let codes = [
        first.clone(),
        first.as_deref().map(mistype),
        not_registered,
        under_age,
        other,
        deceased,
        barred,
        first,
        eligible.get(1).map(NationalCode::to_string),
    ];
    Ok(CARD
        .iter()
        .zip(codes)
        .map(|((practice, fa, en), code)| CardLine {
            practice,
            code,
            fa,
            en,
        })
        .collect())
}

/// `code` with its check digit changed: a mistyped code every desk refuses.
pub fn mistype(code: &str) -> String {
    let mut digits: Vec<u8> = code.bytes().collect();
    if let Some(last) = digits.last_mut() {
        *last = b'0' + (*last - b'0' + 1) % 10;
    }
    String::from_utf8(digits).unwrap_or_default()
}

/// The refusal of anything about drills on a live election.
pub fn not_training() -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "drill_needs_training",
        "drills run only on a training election, never on a live one",
        "تمرین فقط در انتخابات آموزشی برگزار می‌شود، هرگز در انتخابات واقعی",
    )
}

/// Why a drill cannot start at `station`, if it cannot.
pub async fn refusal<S: Store>(
    store: &S,
    election: &Election,
    station: &str,
) -> Result<Option<AppError>, AppError> {
    let refuse = |code: &'static str, en: &str, fa: &str| {
        Ok(Some(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            en.to_string(),
            fa.to_string(),
        )))
    };
    if election.spec.kind != ElectionKind::Training {
        return Ok(Some(not_training()));
    }
    if election.status != ElectionStatus::Voting {
        return refuse(
            "drill_needs_voting",
            "voting must be open at the centre for a drill (the station checks voters in)",
            "برای تمرین، رأی‌گیری باید در مرکز آغاز شده باشد (شعبه رأی‌دهنده می‌پذیرد)",
        );
    }
    if !store
        .stations(election.id)
        .await?
        .iter()
        .any(|s| s.code == station)
    {
        return refuse(
            "unknown_station",
            "this election has no such station",
            "این انتخابات چنین شعبه‌ای ندارد",
        );
    }
    let used = store
        .station_statuses(election.id)
        .await?
        .iter()
        .any(|s| s.station == station && s.state != "setup");
    if used {
        return refuse(
            "drill_station_used",
            "this station has already opened: a drill starts at a station that has not",
            "این شعبه پیش‌تر گشوده شده است: تمرین در شعبه‌ای آغاز می‌شود که هنوز گشوده نشده",
        );
    }
    Ok(None)
}

/// The stations with a drill, per election, as last read.
#[derive(Debug, Default)]
pub struct DrillIndex {
    #[allow(clippy::type_complexity)]
    stations: Mutex<HashMap<ElectionId, (Instant, HashSet<String>)>>,
}

impl DrillIndex {
    /// A drill was just started here.
    pub fn started(&self, election: ElectionId, station: &str) {
        if let Ok(mut map) = self.stations.lock() {
            if let Some((_, set)) = map.get_mut(&election) {
                set.insert(station.to_string());
            }
        }
    }

    async fn has_drill<S: Store>(
        &self,
        store: &S,
        election: ElectionId,
        station: &str,
    ) -> Result<bool, AppError> {
        if let Some((at, set)) = self
            .stations
            .lock()
            .ok()
            .and_then(|m| m.get(&election).cloned())
        {
            if at.elapsed().as_secs() < INDEX_SECONDS {
                return Ok(set.contains(station));
            }
        }
        let set: HashSet<String> = store
            .drills(election)
            .await?
            .into_iter()
            .map(|d| d.station)
            .collect();
        let found = set.contains(station);
        if let Ok(mut map) = self.stations.lock() {
            map.insert(election, (Instant::now(), set));
        }
        Ok(found)
    }
}

/// Counts `step` for the drill at `station`, if the election is a training one and the station
/// has a drill. A failure to note it never fails the request it came with.
pub async fn note(state: &AppState, election: &Election, station: &str, step: &str) {
    if election.spec.kind != ElectionKind::Training {
        return;
    }
    // Boxed: the hot handlers that call this stay small futures.
    Box::pin(note_drilled(state, election, station, step)).await;
}

async fn note_drilled(state: &AppState, election: &Election, station: &str, step: &str) {
    let store = &state.store;
    match state.drills.has_drill(store, election.id, station).await {
        Ok(true) => {
            if let Err(e) = store
                .record_drill_step(election.id, station, step, (state.clock)())
                .await
            {
                eprintln!("sandoq: drill step {step} at {station} not recorded: {e}");
            }
        }
        Ok(false) => {}
        Err(e) => eprintln!(
            "sandoq: drills of election {} not read: {}",
            election.id.0, e.code
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(step: &str, at: i64, count: u64) -> DrillStep {
        DrillStep {
            step: step.into(),
            first_at: Timestamp(at),
            count,
        }
    }

    #[test]
    fn a_card_is_stored_and_read_back() {
        let lines = card_from_json(r#"{"admit":"0574892850","barred":"4501445051"}"#);
        assert_eq!(lines.len(), CARD.len());
        assert_eq!(lines[0].code.as_deref(), Some("0574892850"));
        assert_eq!(lines[2].code, None);
        assert_eq!(card_from_json(&card_json(&lines)), lines);
        assert!(card_from_json("not json").iter().all(|l| l.code.is_none()));
    }

    #[test]
    fn a_mistyped_code_fails_its_check_digit() {
        for code in synthetic::national_codes(3).take(200) {
            let typed = mistype(&code.to_string());
            assert_eq!(typed.len(), 10);
            assert!(NationalCode::parse(&typed).is_err(), "{typed}");
        }
    }

    #[test]
    fn the_checklist_follows_the_steps() {
        let drill = Drill {
            id: 7,
            station: "S-1".into(),
            card: "{}".into(),
            started_by: "trainer".into(),
            started_at: Timestamp(1_000),
        };
        let steps = vec![
            step("state:voting", 1_100, 3),
            step("check_in:recorded", 1_200, 2),
            step("check_in:barred", 1_300, 1),
            step("report:refused:too_few_cosignatures", 1_400, 2),
        ];
        let d = debrief(&steps);
        assert_eq!(d.checklist.len(), PRACTICES.len());
        assert_eq!(d.done(), 3);
        assert_eq!(d.checklist[0].first_at, Some(Timestamp(1_100)));
        assert_eq!(d.checklist[1].count, 2);
        assert!(d.checklist[11].first_at.is_none());
        assert_eq!(
            d.refused_reports,
            vec![("too_few_cosignatures".to_string(), 2)]
        );
        let en = d.written(&drill, Lang::En);
        assert!(en.contains("did 3 of the 12 steps"), "{en}");
        assert!(en.contains("Not done: Refuse a mistyped"), "{en}");
        assert!(en.contains("2 voter(s) were checked in"), "{en}");
        assert!(
            en.contains("refused the report 2 time(s) (code too_few_cosignatures)"),
            "{en}"
        );
        let fa = d.written(&drill, Lang::Fa);
        assert!(fa.contains("۳ کار از ۱۲ کار"), "{fa}");
        let all: Vec<DrillStep> = PRACTICES
            .iter()
            .map(|p| step(p.steps[0], 1_500, 1))
            .collect();
        let d = debrief(&all);
        assert_eq!(d.done(), PRACTICES.len());
        assert!(d
            .written(&drill, Lang::En)
            .contains("Every step of the drill was done."));
    }
}
