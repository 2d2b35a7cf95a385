//! Results in other people's formats (issue 5 §5): the NIST SP 1500-100 Election Results Common
//! Data Format, version 2 (JSON), and CSV per station and per candidate. All are made from the
//! export document, the accepted station reports and the result the counting engine computed.

use serde_json::{json, Value};

/// What marks every export of a training election.
pub const TRAINING_MARK: &str = "آموزشی / TRAINING";

/// Whether the export document is of a training election (anything not marked live is).
pub fn is_training(export: &Value) -> bool {
    export["election"]["kind"] != "live"
}

/// The first line of a CSV export of a training election: a comment that spreadsheets show as
/// the first row and CSV readers told about `#` skip.
fn training_line(export: &Value) -> &'static str {
    if is_training(export) {
        "# آموزشی / TRAINING — not a real election / انتخابات واقعی نیست\n"
    } else {
        ""
    }
}

/// The file name of a CSV export: a training election's begins with `training-`.
pub fn csv_name(export: &Value, name: &str) -> String {
    if is_training(export) {
        format!("training-{name}")
    } else {
        name.to_string()
    }
}

fn text(fa: &Value, en: &Value) -> Value {
    let mut languages = vec![
        json!({"@type": "ElectionResults.LanguageString", "Language": "fa", "Content": fa.as_str().unwrap_or("")}),
    ];
    if let Some(en) = en.as_str().filter(|s| !s.is_empty()) {
        languages.push(
            json!({"@type": "ElectionResults.LanguageString", "Language": "en", "Content": en}),
        );
    }
    json!({"@type": "ElectionResults.InternationalizedText", "Text": languages})
}

fn count(n: u64, unit: &str, kind: &str) -> Value {
    json!({"@type": "ElectionResults.VoteCounts", "Count": n, "GpUnitId": unit, "Type": kind})
}

/// Every candidate of the definition: (code, the list it is on or `None`, the candidate itself).
fn candidates(definition: &Value) -> Vec<(String, Option<Value>, Value)> {
    let mut out = Vec::new();
    for list in definition["lists"].as_array().into_iter().flatten() {
        for c in list["candidates"].as_array().into_iter().flatten() {
            out.push((
                c["code"].as_str().unwrap_or("").to_string(),
                Some(list.clone()),
                c.clone(),
            ));
        }
    }
    for c in definition["independents"].as_array().into_iter().flatten() {
        out.push((
            c["code"].as_str().unwrap_or("").to_string(),
            None,
            c.clone(),
        ));
    }
    out
}

/// The result as an NIST SP 1500-100 v2 `ElectionReport`. `generated` is an RFC 3339 instant;
/// `complete` says whether every station has reported.
pub fn nist_cdf(
    export: &Value,
    reports: &[Value],
    result: &Value,
    generated: &str,
    complete: bool,
) -> Value {
    let election = &export["election"];
    let definition = &export["definition"];
    let scope = format!(
        "ru-{}",
        election["constituency"].as_str().unwrap_or("constituency")
    );
    let station_unit = |code: &str| format!("ru-station-{code}");
    let mut units = vec![json!({
        "@type": "ElectionResults.ReportingUnit", "@id": scope, "Type": "city",
        "Name": election["constituency"],
        "ComposingGpUnitIds": export["stations"].as_array().into_iter().flatten()
            .filter_map(|s| s["code"].as_str()).map(station_unit).collect::<Vec<_>>(),
    })];
    for station in export["stations"].as_array().into_iter().flatten() {
        let code = station["code"].as_str().unwrap_or("");
        units.push(json!({"@type": "ElectionResults.ReportingUnit", "@id": station_unit(code), "Type": "polling-place",
                          "Name": station["name_fa"], "Number": code}));
    }
    let parties: Vec<Value> = definition["lists"].as_array().into_iter().flatten()
        .map(|l| json!({"@type": "ElectionResults.Party", "@id": format!("party-{}", l["code"].as_str().unwrap_or("")),
                        "Name": text(&l["name_fa"], &l["name_en"]), "Abbreviation": l["code"]}))
        .collect();
    let elected: Vec<&str> = result["elected"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["candidate"].as_str())
        .collect();
    let people = candidates(definition);
    let candidate_records: Vec<Value> = people.iter().map(|(code, list, c)| {
        let mut record = json!({"@type": "ElectionResults.Candidate", "@id": format!("cand-{code}"),
                                "BallotName": text(&c["name_fa"], &c["name_en"])});
        if let Some(list) = list {
            record["PartyId"] = json!(format!("party-{}", list["code"].as_str().unwrap_or("")));
        }
        if elected.contains(&code.as_str()) {
            record["PostElectionStatus"] = json!(if complete { "winner" } else { "projected-winner" });
        }
        record
    }).collect();
    // V(c) per station: direct votes plus the station's ballots for the candidate's list.
    let candidate_selections: Vec<Value> = people.iter().enumerate().map(|(i, (code, list, _))| {
        let list_code = list.as_ref().and_then(|l| l["code"].as_str()).unwrap_or("");
        let mut counts = vec![count(result["candidate_votes"][code].as_u64().unwrap_or(0), &scope, "total")];
        for report in reports {
            let direct = report["candidate_votes_direct"][code].as_u64().unwrap_or(0);
            let through = if list_code.is_empty() { 0 } else { report["list_ballots"][list_code].as_u64().unwrap_or(0) };
            counts.push(count(direct + through, &station_unit(report["station"].as_str().unwrap_or("")), "election-day"));
        }
        json!({"@type": "ElectionResults.CandidateSelection", "@id": format!("sel-cand-{code}"), "SequenceOrder": i + 1,
               "CandidateIds": [format!("cand-{code}")], "VoteCounts": counts})
    }).collect();
    let party_selections: Vec<Value> = definition["lists"].as_array().into_iter().flatten().enumerate().map(|(i, l)| {
        let code = l["code"].as_str().unwrap_or("");
        let mut total = 0u64;
        let mut counts = Vec::new();
        for report in reports {
            let n = report["list_ballots"][code].as_u64().unwrap_or(0);
            total += n;
            counts.push(count(n, &station_unit(report["station"].as_str().unwrap_or("")), "election-day"));
        }
        counts.insert(0, count(total, &scope, "total"));
        json!({"@type": "ElectionResults.PartySelection", "@id": format!("sel-party-{code}"), "SequenceOrder": i + 1,
               "PartyIds": [format!("party-{code}")], "VoteCounts": counts})
    }).collect();
    let ballots = &result["ballots"];
    let mut summary = vec![
        json!({"@type": "ElectionResults.SummaryCounts", "GpUnitId": scope, "Type": "total",
        "BallotsCast": ballots["cast"].as_u64().unwrap_or(0), "Undervotes": ballots["blank"].as_u64().unwrap_or(0)}),
    ];
    for report in reports {
        summary.push(json!({"@type": "ElectionResults.SummaryCounts", "GpUnitId": station_unit(report["station"].as_str().unwrap_or("")),
            "Type": "election-day", "BallotsCast": report["ballots"].as_u64().unwrap_or(0), "Undervotes": report["blank"].as_u64().unwrap_or(0)}));
    }
    let seats = definition["seats"].as_u64().unwrap_or(0);
    let training = is_training(export);
    let marked = |name: &Value| {
        if training {
            json!(format!("{TRAINING_MARK} — {}", name.as_str().unwrap_or("")))
        } else {
            name.clone()
        }
    };
    let name = text(&marked(&election["name_fa"]), &marked(&election["name_en"]));
    let notes = format!(
        "{}Candidate votes are V(c): the candidate ballots naming c plus the list ballots for c's list (Tehran rule set); party selections count list ballots.",
        if training { "TRAINING election (آموزشی): not a real result. " } else { "" }
    );
    let day = election["polling_day"].clone();
    json!({
        "@type": "ElectionResults.ElectionReport",
        "Format": "precinct-level",
        "GeneratedDate": generated,
        "Issuer": "sandoq",
        "IssuerAbbreviation": "sandoq",
        "IsTest": election["kind"] != "live",
        "SequenceStart": 1, "SequenceEnd": 1,
        "Status": if complete { "unofficial-complete" } else { "unofficial-partial" },
        "VendorApplicationId": concat!("sandoq ", env!("CARGO_PKG_VERSION")),
        "Notes": notes,
        "GpUnit": units,
        "Party": parties,
        "Election": [{
            "@type": "ElectionResults.Election",
            "ElectionScopeId": scope, "Name": name, "StartDate": day, "EndDate": day, "Type": "general",
            "Candidate": candidate_records,
            "Contest": [
                {"@type": "ElectionResults.CandidateContest", "@id": "contest-council", "Name": marked(&election["name_fa"]),
                 "ElectoralDistrictId": scope, "VotesAllowed": seats, "NumberElected": seats, "VoteVariation": "proportional",
                 "SummaryCounts": summary, "BallotSelection": candidate_selections},
                {"@type": "ElectionResults.PartyContest", "@id": "contest-lists", "Name": marked(&election["name_fa"]),
                 "ElectoralDistrictId": scope, "VoteVariation": "proportional", "BallotSelection": party_selections},
            ],
        }],
    })
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// One row per station: its figures, then the list ballots of every list.
pub fn csv_by_station(export: &Value, reports: &[Value]) -> String {
    let lists: Vec<String> = export["definition"]["lists"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["code"].as_str().map(str::to_string))
        .collect();
    let mut out = String::from(training_line(export));
    out.push_str(
        "station,check_ins,tokens_issued,tokens_used,tokens_voided,ballots,blank,candidate_ballots",
    );
    for code in &lists {
        out.push_str(&format!(",list_{}", csv_field(code)));
    }
    out.push('\n');
    for report in reports {
        let n = |v: &Value| v.as_u64().unwrap_or(0).to_string();
        out.push_str(&csv_field(report["station"].as_str().unwrap_or("")));
        for v in [
            &report["check_ins"],
            &report["tokens"]["issued"],
            &report["tokens"]["used"],
            &report["tokens"]["voided"],
            &report["ballots"],
            &report["blank"],
            &report["candidate_ballots"],
        ] {
            out.push(',');
            out.push_str(&n(v));
        }
        for code in &lists {
            out.push(',');
            out.push_str(&n(&report["list_ballots"][code]));
        }
        out.push('\n');
    }
    out
}

/// One row per candidate: names, group, votes (direct, through the list, total), elected, and
/// the place among the alternates.
pub fn csv_by_candidate(export: &Value, reports: &[Value], result: &Value) -> String {
    let mut out = String::from(training_line(export));
    out.push_str(
        "candidate,name_fa,name_en,group,direct_votes,list_votes,total_votes,elected,alternate_rank\n",
    );
    for (code, list, c) in candidates(&export["definition"]) {
        let group = list
            .as_ref()
            .and_then(|l| l["code"].as_str())
            .unwrap_or("independents")
            .to_string();
        let total = result["candidate_votes"][&code].as_u64().unwrap_or(0);
        let direct: u64 = reports
            .iter()
            .map(|r| r["candidate_votes_direct"][&code].as_u64().unwrap_or(0))
            .sum();
        let elected = result["elected"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["candidate"] == code.as_str());
        let rank = result["alternates"][&group]
            .as_array()
            .and_then(|a| a.iter().position(|x| x == code.as_str()))
            .map(|p| (p + 1).to_string())
            .unwrap_or_default();
        out.push_str(&format!(
            "{},{},{},{},{direct},{},{total},{elected},{rank}\n",
            csv_field(&code),
            csv_field(c["name_fa"].as_str().unwrap_or("")),
            csv_field(c["name_en"].as_str().unwrap_or("")),
            csv_field(&group),
            total.saturating_sub(direct),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(kind: &str) -> Value {
        json!({
            "election": {"kind": kind, "name_fa": "شورا", "name_en": "Council", "constituency": "tehran"},
            "definition": {"seats": 1, "lists": [{"code": "101", "name_fa": "امید", "name_en": "Hope",
                           "candidates": [{"code": "10101", "name_fa": "مریم", "name_en": "Maryam"}]}],
                           "independents": []},
            "stations": [{"code": "S-1", "name_fa": "یک"}],
        })
    }

    /// Every export of a training election says so (issue 6 §4); a live one's does not.
    #[test]
    fn training_exports_are_marked_and_live_ones_are_not() {
        let result = json!({"candidate_votes": {"10101": 0}, "elected": [], "alternates": {}, "ballots": {"cast": 0, "blank": 0}});
        for (kind, marked) in [("training", true), ("live", false)] {
            let export = export(kind);
            let by_station = csv_by_station(&export, &[]);
            let by_candidate = csv_by_candidate(&export, &[], &result);
            assert_eq!(
                by_station.starts_with("# آموزشی / TRAINING"),
                marked,
                "{by_station}"
            );
            assert_eq!(
                by_candidate.starts_with("# آموزشی / TRAINING"),
                marked,
                "{by_candidate}"
            );
            assert_eq!(
                csv_name(&export, "results-by-station.csv").starts_with("training-"),
                marked
            );
            let cdf = nist_cdf(&export, &[], &result, "2026-04-30T00:00:00Z", false);
            assert_eq!(cdf["IsTest"], marked);
            let name = cdf["Election"][0]["Name"]["Text"][0]["Content"]
                .as_str()
                .unwrap()
                .to_string();
            let english = cdf["Election"][0]["Name"]["Text"][1]["Content"]
                .as_str()
                .unwrap()
                .to_string();
            assert_eq!(name.starts_with(TRAINING_MARK), marked, "{name}");
            assert_eq!(english.starts_with(TRAINING_MARK), marked, "{english}");
            assert_eq!(
                cdf["Notes"].as_str().unwrap().starts_with("TRAINING"),
                marked
            );
            assert_eq!(
                cdf["Election"][0]["Contest"][0]["Name"]
                    .as_str()
                    .unwrap()
                    .starts_with(TRAINING_MARK),
                marked
            );
        }
    }
}
