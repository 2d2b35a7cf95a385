//! Scenarios of election day for `sandoq simulate --scenario FILE` (issue 6 §3): a TOML file naming
//! what goes wrong and what must hold afterwards. The simulator makes the events happen through
//! the same code as a real day and checks every expectation, reporting each scenario as passed or
//! failed in its summary. The library of scenarios is `scenarios/` (its README says what each one
//! shows).
//!
//! ```toml
//! name = "device-replaced"
//! en = "Three stations' devices die mid-day and are replaced …"
//! fa = "…"
//! offline_policy = "provisional"   # optional: the election's policy for offline stations
//!
//! [[event]]
//! kind = "device_replaced"          # device_replaced | partition | tampered_device
//! stations = 3                      # the first stations of the election
//! at_percent = 50                   # when, as a share of each station's voters
//!
//! [expect]
//! lost_ballots = 0
//! devices_replaced = 3
//! ```
//!
//! Every field is checked: an unknown key, a missing one or an out-of-range value is refused with
//! a stable code before anything runs.

use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// A scenario file, read and checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub en: String,
    pub fa: String,
    /// `refuse` or `provisional`; the election's policy when stations are offline.
    #[serde(default)]
    pub offline_policy: Option<String>,
    #[serde(default, rename = "event")]
    pub events: Vec<Event>,
    /// What must hold afterwards: a summary field (or a count this module adds) and its value.
    pub expect: BTreeMap<String, toml::Value>,
}

/// One thing that goes wrong.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// `device_replaced`, `partition`, `tampered_device`, `clock_skew`, `centre_restart`, or one
    /// of the day on the clock ([`TIMED`]): `late_opening`, `surge`, `extension`, `after_hours`.
    pub kind: String,
    /// How many stations (the first ones of the election). Not for `tampered_device`.
    #[serde(default)]
    pub stations: Option<usize>,
    /// `device_replaced`: when the device dies, as a share of each station's voters (0-100);
    /// `centre_restart`: when the centre is killed, as a share of the day's voters it has checked in.
    #[serde(default)]
    pub at_percent: Option<u32>,
    /// `partition`: when the network goes, as a share of each station's voters (0-100) …
    #[serde(default)]
    pub from_percent: Option<u32>,
    /// … and when it comes back.
    #[serde(default)]
    pub to_percent: Option<u32>,
    /// `late_opening`: how late the stations open, in minutes (1-600).
    #[serde(default)]
    pub minutes: Option<u32>,
    /// `surge`: the share of each station's voters who come in the last hour before closing;
    /// `after_hours`: the share who come once the station's hours are over (0-100).
    #[serde(default)]
    pub percent: Option<u32>,
    /// `extension`: the new closing time, Tehran `HH:MM`, that the officials of a station with
    /// people still waiting at closing time extend the hours to.
    #[serde(default)]
    pub until: Option<String>,
    /// `clock_skew`: how far the device's clock is off, in seconds (either way);
    /// `centre_restart`: how long the centre stays down before it is started again.
    #[serde(default)]
    pub seconds: Option<i64>,
}

/// The expectations a scenario may state, with what they mean.
pub const EXPECTATIONS: &[(&str, &str)] = &[
    ("lost_ballots", "ballots cast but not counted"),
    ("extra_ballots", "ballots counted but not cast"),
    ("double_votes_accepted", "people given a ballot twice"),
    (
        "ground_truth_match",
        "the published result equals the ground truth",
    ),
    ("verified", "sandoq verify accepts the record"),
    (
        "stations_reported",
        "stations whose report the centre holds",
    ),
    ("devices_replaced", "devices that died and were replaced"),
    (
        "provisional_check_ins",
        "check-ins taken while a station was offline",
    ),
    (
        "double_vote_incidents",
        "double votes the centre found in provisional check-ins (incidents for supervisors)",
    ),
    (
        "double_votes_all_flagged",
        "every double vote accepted became an incident",
    ),
    (
        "tampering_refused",
        "tampered requests the centre refused (of those sent)",
    ),
    (
        "tampering_accepted",
        "tampered requests the centre accepted",
    ),
    (
        "refused_reports_visible",
        "refused reports listed for supervisors",
    ),
    (
        "centre_restarts",
        "times the central service was killed (SIGKILL) under load and started again",
    ),
    (
        "check_ins_while_centre_down",
        "check-ins the desks could not get answered by the centre (taken provisionally or the voter asked to come back)",
    ),
    (
        "late_openings",
        "stations whose signed event log shows them opening after the opening time",
    ),
    (
        "extensions",
        "stations whose officials extended the hours (in their signed event log)",
    ),
    (
        "turned_away_after_hours",
        "people the desk turned away because polling hours were over (polling_hours_over)",
    ),
    (
        "check_ins_after_closing",
        "check-ins the centre recorded after the election's closing time (its turnout per hour)",
    ),
    (
        "last_hour_percent",
        "the share of the day's check-ins the centre recorded in the last hour before closing",
    ),
    (
        "clock_skew_detected",
        "stations whose device the centre refused for its clock, the desk saying why",
    ),
];

/// The events of a day on the clock: with any of them, the simulator runs every station through
/// the day in steps of ten minutes on one clock (the centre's and every device's), polling hours
/// enforced by the desks.
pub const TIMED: [&str; 4] = ["late_opening", "surge", "extension", "after_hours"];

impl Scenario {
    /// Whether the scenario needs the day on the clock.
    pub fn timed(&self) -> bool {
        self.events.iter().any(|e| TIMED.contains(&e.kind.as_str()))
    }
}

/// A problem with a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

fn bad(en: String, fa: String) -> ScenarioError {
    ScenarioError {
        code: "bad_scenario",
        en,
        fa,
    }
}

impl Scenario {
    /// Reads and checks a scenario file's text.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            bad(
                format!("the scenario file is not valid: {}", e.message()),
                format!("پروندهٔ سناریو معتبر نیست: {}", e.message()),
            )
        })?;
        if !sandoq_store::checkin::is_code(&scenario.name) {
            return Err(bad(
                "a scenario's name is 1-64 letters, digits or -_.:".into(),
                "نام سناریو ۱ تا ۶۴ حرف، رقم یا -_.: است".into(),
            ));
        }
        match scenario.offline_policy.as_deref() {
            None | Some("refuse") | Some("provisional") => {}
            Some(other) => {
                return Err(bad(
                    format!("offline_policy is refuse or provisional, not {other:?}"),
                    format!("offline_policy یکی از refuse یا provisional است، نه {other:?}"),
                ))
            }
        }
        for event in &scenario.events {
            event.check()?;
        }
        for key in scenario.expect.keys() {
            if !EXPECTATIONS.iter().any(|(k, _)| k == key) {
                return Err(bad(
                    format!("unknown expectation {key:?}"),
                    format!("انتظار ناشناخته {key:?}"),
                ));
            }
        }
        for (key, value) in &scenario.expect {
            let fine = match value {
                toml::Value::Integer(n) => *n >= 0,
                toml::Value::Boolean(_) => true,
                toml::Value::String(bound) => at_bound(bound, 0) || at_bound(bound, u64::MAX),
                _ => false,
            };
            if !fine {
                return Err(bad(
                    format!("{key}: expect a count, true or false, or a bound such as \">= 1\""),
                    format!("{key}: یک شمار، true یا false، یا کرانی مانند \">= 1\" بنویسید"),
                ));
            }
        }
        if scenario.expect.is_empty() {
            return Err(bad(
                "a scenario states at least one expectation".into(),
                "سناریو دست‌کم یک انتظار را بیان می‌کند".into(),
            ));
        }
        Ok(scenario)
    }

    /// The events of one kind.
    pub fn events<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| e.kind == kind)
    }
}

impl Event {
    fn check(&self) -> Result<(), ScenarioError> {
        let percent = |name: &str, v: Option<u32>| -> Result<u32, ScenarioError> {
            match v {
                Some(p) if p <= 100 => Ok(p),
                _ => Err(bad(
                    format!("{}: {name} is a share from 0 to 100", self.kind),
                    format!("{}: {name} سهمی از ۰ تا ۱۰۰ است", self.kind),
                )),
            }
        };
        let stations = || match self.stations {
            Some(n) if n >= 1 => Ok(()),
            _ => Err(bad(
                format!("{}: stations is at least 1", self.kind),
                format!("{}: stations دست‌کم ۱ است", self.kind),
            )),
        };
        match self.kind.as_str() {
            "device_replaced" => {
                stations()?;
                percent("at_percent", self.at_percent)?;
            }
            "partition" => {
                stations()?;
                let from = percent("from_percent", self.from_percent)?;
                let to = percent("to_percent", self.to_percent)?;
                if from >= to {
                    return Err(bad(
                        "partition: from_percent comes before to_percent".into(),
                        "partition: from_percent پیش از to_percent است".into(),
                    ));
                }
            }
            "tampered_device" => {}
            "clock_skew" => {
                stations()?;
                match self.seconds {
                    Some(s) if s != 0 && s.abs() <= 7 * 86_400 => {}
                    _ => {
                        return Err(bad(
                            "clock_skew: seconds is how far the clock is off, not 0, at most a week"
                                .into(),
                            "clock_skew: seconds فاصلهٔ ساعت است، نه صفر و حداکثر یک هفته".into(),
                        ))
                    }
                }
            }
            "late_opening" => {
                stations()?;
                match self.minutes {
                    Some(m) if (1..=600).contains(&m) => {}
                    _ => {
                        return Err(bad(
                            "late_opening: minutes is how late the stations open, 1 to 600".into(),
                            "late_opening: minutes میزان تأخیر گشایش شعبه است، ۱ تا ۶۰۰".into(),
                        ))
                    }
                }
            }
            "surge" | "after_hours" => {
                let p = percent("percent", self.percent)?;
                if p > 45 {
                    return Err(bad(
                        format!("{}: percent is at most 45", self.kind),
                        format!("{}: percent حداکثر ۴۵ است", self.kind),
                    ));
                }
            }
            "extension" => {
                let until = self.until.as_deref().unwrap_or("");
                if sandoq_store::PollingHours::parse("00:00", until).is_err() {
                    return Err(bad(
                        "extension: until is the new closing time, HH:MM (Tehran time)".into(),
                        "extension: until زمان پایان تازه است، HH:MM (به وقت تهران)".into(),
                    ));
                }
            }
            "centre_restart" => {
                percent("at_percent", self.at_percent)?;
                match self.seconds {
                    Some(s) if (0..=600).contains(&s) => {}
                    _ => {
                        return Err(bad(
                            "centre_restart: seconds is how long the centre stays down, 0 to 600"
                                .into(),
                            "centre_restart: seconds مدت از کار افتادن مرکز است، ۰ تا ۶۰۰".into(),
                        ))
                    }
                }
            }
            other => {
                return Err(bad(
                    format!(
                    "unknown event kind {other:?} (device_replaced, partition, tampered_device, clock_skew, centre_restart, late_opening, surge, extension, after_hours)"
                ),
                    format!(
                    "نوع رویداد ناشناخته {other:?} (device_replaced، partition، tampered_device، clock_skew، centre_restart، late_opening، surge، extension، after_hours)"
                ),
                ))
            }
        }
        Ok(())
    }
}

/// Whether `n` meets a bound written `>= N` or `<= N`.
fn at_bound(bound: &str, n: u64) -> bool {
    let bound = bound.trim();
    let (at_least, rest) = if let Some(rest) = bound.strip_prefix(">=") {
        (true, rest)
    } else if let Some(rest) = bound.strip_prefix("<=") {
        (false, rest)
    } else {
        return false;
    };
    match rest.trim().parse::<u64>() {
        Ok(limit) if at_least => n >= limit,
        Ok(limit) => n <= limit,
        Err(_) => false,
    }
}

/// What the scenario found, for the summary: each expectation with what was seen.
pub fn judge(scenario: &Scenario, seen: &Value) -> Value {
    let mut checks = Vec::new();
    let mut passed = true;
    for (key, expected) in &scenario.expect {
        let expected = match expected {
            toml::Value::Integer(n) => json!(n),
            toml::Value::Boolean(b) => json!(b),
            toml::Value::String(s) => json!(s),
            other => json!(other.to_string()),
        };
        let got = seen.get(key).cloned().unwrap_or(Value::Null);
        let ok = match (expected.as_str(), got.as_u64()) {
            // A bound instead of a value: ">= 1", "<= 10".
            (Some(bound), Some(n)) => at_bound(bound, n),
            _ => got == expected,
        };
        passed &= ok;
        checks.push(json!({"expect": key, "expected": expected, "got": got, "passed": ok}));
    }
    json!({
        "name": scenario.name,
        "en": scenario.en,
        "fa": scenario.fa,
        "passed": passed,
        "checks": checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_is_read_and_bad_ones_are_refused() {
        let good = r#"
name = "device-replaced"
en = "devices die"
fa = "دستگاه‌ها از کار می‌افتند"
[[event]]
kind = "device_replaced"
stations = 2
at_percent = 50
[expect]
lost_ballots = 0
devices_replaced = 2
"#;
        let scenario = Scenario::parse(good).unwrap();
        assert_eq!(scenario.events("device_replaced").count(), 1);
        let verdict = judge(
            &scenario,
            &json!({"lost_ballots": 0, "devices_replaced": 1}),
        );
        assert_eq!(verdict["passed"], false);
        // Expectations in name order: devices_replaced (2, saw 1), lost_ballots (0, saw 0).
        assert_eq!(verdict["checks"][0]["passed"], false);
        assert_eq!(verdict["checks"][1]["passed"], true);
        assert!(at_bound(">= 1", 3) && !at_bound(">= 4", 3) && at_bound("<= 3", 3));
        let restart = Scenario::parse(&good.replace(
            "device_replaced\"\nstations = 2\n",
            "centre_restart\"\nseconds = 3\n",
        ))
        .unwrap();
        assert_eq!(restart.events("centre_restart").count(), 1);
        assert!(!restart.timed());
        let late = Scenario::parse(&good.replace(
            "device_replaced\"\nstations = 2\nat_percent = 50\n",
            "late_opening\"\nstations = 2\nminutes = 90\n[[event]]\nkind = \"extension\"\nuntil = \"19:30\"\n",
        ))
        .unwrap();
        assert!(late.timed());
        for bad in [
            good.replace("stations = 2", "stations = 0"),
            good.replace("at_percent = 50", "at_percent = 150"),
            good.replace("device_replaced\"\n", "meteor\"\n"),
            good.replace("lost_ballots = 0", "lost_votes = 0"),
            good.replace("name = \"device-replaced\"", "name = \"two words\""),
            good.replace("[expect]", "colour = \"red\"\n[expect]"),
            good.replace("lost_ballots = 0", "lost_ballots = \"about 3\""),
            good.replace("lost_ballots = 0", "lost_ballots = 1.5"),
            good.replace("device_replaced\"\n", "centre_restart\"\nseconds = 5000\n"),
            good.replace("device_replaced\"\n", "centre_restart\"\n"),
            good.replace("device_replaced\"\n", "late_opening\"\nminutes = 0\n"),
            good.replace("device_replaced\"\n", "surge\"\npercent = 80\n"),
            good.replace("device_replaced\"\n", "extension\"\nuntil = \"25:00\"\n"),
            "not toml at all [".to_string(),
        ] {
            assert_eq!(
                Scenario::parse(&bad).unwrap_err().code,
                "bad_scenario",
                "{bad}"
            );
        }
    }
}
