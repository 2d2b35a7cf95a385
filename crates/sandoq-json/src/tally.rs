//! `sandoq tally`: the election format of CLI_CONTRACTS.md and its output.

use crate::apportion::{check_percent, lot_json, parse_tie_break};
use crate::error::InputError;
use crate::value::*;
use sandoq_apportion::exact::{decimal_string, fraction_string};
use sandoq_count::{
    BallotReader, Contest, ElectionDefinition, ExcessCandidates, ListDefinition, Rules, Succession,
    Tally, TallyResult, TiePolicy, Vote, RULE_SET,
};
use serde_json::{json, Map, Value};

const FIELDS: &[&str] = &[
    "seats",
    "lists",
    "independents",
    "ballots",
    "ballot_counts",
    "rules",
    "vacancies",
];

/// A parsed election file.
#[derive(Debug)]
pub struct ElectionFile {
    pub contest: Contest,
    pub rules: Rules,
    /// Members who leave, in order (an extension: article 25 succession).
    pub vacancies: Vec<String>,
    document: Value,
}

impl ElectionFile {
    /// Whether the file itself holds ballots or ballot counts.
    pub fn holds_ballots(&self) -> bool {
        let root = self.document.as_object();
        root.is_some_and(|r| {
            r.get("ballots")
                .is_some_and(|b| b.as_array().is_none_or(|a| !a.is_empty()))
        }) || root.is_some_and(|r| {
            r.get("ballot_counts")
                .is_some_and(|b| b.as_array().is_none_or(|a| !a.is_empty()))
        })
    }
}

pub fn parse_election(bytes: &[u8]) -> Result<ElectionFile, InputError> {
    let document = parse_document(bytes)?;
    let root = object(&document, "the input")?;
    only_keys(root, FIELDS, "")?;
    let seats = count32(required(root, "seats", "")?, "seats")?;
    let mut lists = Vec::new();
    if let Some(value) = root.get("lists") {
        for (i, list) in array(value, "lists")?.iter().enumerate() {
            let path = format!("lists[{i}]");
            let map = object(list, &path)?;
            only_keys(map, &["code", "name", "candidates"], &path)?;
            let code = string(required(map, "code", &path)?, &join(&path, "code"))?.to_string();
            let name = match map.get("name") {
                Some(v) => string(v, &join(&path, "name"))?.to_string(),
                None => code.clone(),
            };
            let candidates = codes(
                required(map, "candidates", &path)?,
                &join(&path, "candidates"),
            )?;
            lists.push(ListDefinition {
                code,
                name,
                candidates,
            });
        }
    }
    let independents = match root.get("independents") {
        Some(v) => codes(v, "independents")?,
        None => Vec::new(),
    };
    let definition = ElectionDefinition {
        seats,
        lists,
        independents,
    };
    let contest = definition.validate().map_err(|problems| {
        let details: Vec<InputError> = problems
            .iter()
            .map(|p| InputError::new(p.code, p.en.clone(), p.fa.clone()))
            .collect();
        let mut first = details[0].clone();
        first.details = details;
        first
    })?;
    let rules = match root.get("rules") {
        Some(v) => parse_rules(v)?,
        None => Rules::default(),
    };
    let vacancies = match root.get("vacancies") {
        Some(v) => codes(v, "vacancies")?,
        None => Vec::new(),
    };
    Ok(ElectionFile {
        contest,
        rules,
        vacancies,
        document,
    })
}

fn codes(value: &Value, path: &str) -> Result<Vec<String>, InputError> {
    array(value, path)?
        .iter()
        .enumerate()
        .map(|(i, c)| string(c, &format!("{path}[{i}]")).map(str::to_string))
        .collect()
}

/// Reads and checks the `rules` object of an election file (the options of the rule set).
pub fn parse_rules(value: &Value) -> Result<Rules, InputError> {
    let map = object(value, "rules")?;
    only_keys(
        map,
        &[
            "tie_break",
            "lot_seed",
            "threshold_percent",
            "excess_candidates",
        ],
        "rules",
    )?;
    let tie_break = map
        .get("tie_break")
        .map(|v| parse_tie_break(v, "rules.tie_break"))
        .transpose()?;
    let lot_seed = map
        .get("lot_seed")
        .map(|v| string(v, "rules.lot_seed").map(str::to_string))
        .transpose()?;
    let threshold_percent = map
        .get("threshold_percent")
        .map(|v| decimal(v, "rules.threshold_percent"))
        .transpose()?;
    if let Some(percent) = &threshold_percent {
        check_percent(percent, "rules.threshold_percent")?;
    }
    let excess_candidates = match map.get("excess_candidates") {
        None => ExcessCandidates::Ignore,
        Some(v) => match string(v, "rules.excess_candidates")? {
            "ignore" => ExcessCandidates::Ignore,
            "invalidate" => ExcessCandidates::Invalidate,
            other => {
                return Err(InputError::new(
                    "unknown_excess_candidates",
                    format!("unknown excess_candidates \"{other}\" (ignore or invalidate)"),
                    format!("excess_candidates ناشناخته «{other}» (ignore یا invalidate)"),
                )
                .at("rules.excess_candidates"))
            }
        },
    };
    let ties = TiePolicy::from_options(tie_break, lot_seed);
    if ties.tie_break == sandoq_count::TieBreak::Lot && ties.lot_seed.is_none() {
        return Err(InputError::new(
            "lot_seed_required",
            "tie_break \"lot\" needs a lot_seed",
            "قرعه (lot) به lot_seed نیاز دارد",
        )
        .at("rules.lot_seed"));
    }
    Ok(Rules {
        ties,
        threshold_percent,
        excess_candidates,
    })
}

/// Reads one ballot object (`{"list"}`, `{"candidates"}`, `{"blank": true}` or `{"raw"}`).
pub fn read_ballot<'r>(
    reader: &'r mut BallotReader<'_>,
    value: &Value,
    path: &str,
) -> Result<Vote<'r>, InputError> {
    let map = object(value, path)?;
    only_keys(map, &["list", "candidates", "blank", "raw"], path)?;
    if map.len() != 1 {
        return Err(InputError::new(
            "ballot_shape",
            "a ballot holds exactly one of list, candidates, blank or raw",
            "برگ رأی دقیقاً یکی از list، candidates، blank یا raw را دارد",
        )
        .at(path));
    }
    let ballot_error =
        |e: sandoq_count::BallotError, at: String| InputError::new(e.code, e.en, e.fa).at(at);
    if let Some(v) = map.get("list") {
        let at = join(path, "list");
        let code = string(v, &at)?;
        return reader.clean_list(code).map_err(|e| ballot_error(e, at));
    }
    if let Some(v) = map.get("blank") {
        let at = join(path, "blank");
        if !boolean(v, &at)? {
            return Err(InputError::new(
                "ballot_shape",
                "a blank ballot is {\"blank\": true}",
                "رأی سفید {\"blank\": true} است",
            )
            .at(at));
        }
        return Ok(Vote::Blank);
    }
    if let Some(v) = map.get("candidates") {
        let at = join(path, "candidates");
        let list = array(v, &at)?;
        let mut names = Vec::with_capacity(list.len());
        for (i, c) in list.iter().enumerate() {
            names.push(string(c, &format!("{at}[{i}]"))?);
        }
        return reader
            .clean_candidates(names)
            .map_err(|e| ballot_error(e, at));
    }
    let at = join(path, "raw");
    let list = array(&map["raw"], &at)?;
    let mut names = Vec::with_capacity(list.len());
    for (i, c) in list.iter().enumerate() {
        names.push(string(c, &format!("{at}[{i}]"))?);
    }
    Ok(reader.raw(names))
}

fn overflow() -> InputError {
    InputError::new(
        "count_overflow",
        "the ballot counts add up to more than 2^64",
        "مجموع شمار برگ‌های رأی از ۲ به توان ۶۴ بیشتر است",
    )
}

/// Counts the `ballots` and `ballot_counts` held in the election file.
pub fn count_embedded(file: &ElectionFile) -> Result<Tally, InputError> {
    let mut tally = Tally::new(&file.contest);
    let mut reader = BallotReader::new(&file.contest, file.rules.excess_candidates);
    let root = object(&file.document, "the input")?;
    if let Some(ballots) = root.get("ballots") {
        for (i, ballot) in array(ballots, "ballots")?.iter().enumerate() {
            let vote = read_ballot(&mut reader, ballot, &format!("ballots[{i}]"))?;
            tally.add_one(vote);
        }
    }
    if let Some(counts) = root.get("ballot_counts") {
        for (i, entry) in array(counts, "ballot_counts")?.iter().enumerate() {
            let path = format!("ballot_counts[{i}]");
            let map = object(entry, &path)?;
            only_keys(map, &["ballot", "count"], &path)?;
            let n = count(required(map, "count", &path)?, &join(&path, "count"))?;
            let vote = read_ballot(
                &mut reader,
                required(map, "ballot", &path)?,
                &join(&path, "ballot"),
            )?;
            tally.add_many(vote, n).map_err(|_| overflow().at(path))?;
        }
    }
    tally.ballots().map_err(|_| overflow())?;
    Ok(tally)
}

pub fn rules_json(rules: &Rules) -> Value {
    json!({
        "tie_break": rules.ties.tie_break.name(),
        "lot_seed": rules.ties.lot_seed,
        "threshold_percent": rules.threshold_percent.as_ref().map(fraction_string),
        "excess_candidates": rules.excess_candidates.name(),
    })
}

/// The output of CLI_CONTRACTS.md `sandoq tally`.
pub fn render(contest: &Contest, result: &TallyResult, successions: &[Succession]) -> Value {
    let code = |c: u32| contest.candidates[c as usize].code.clone();
    let b = &result.ballots;
    let candidate_votes: Map<String, Value> = contest
        .candidates
        .iter()
        .zip(&result.candidate_votes)
        .map(|(c, v)| (c.code.clone(), json!(v)))
        .collect();
    let group_votes: Map<String, Value> = (0..contest.n_groups())
        .map(|g| {
            (
                contest.group_code(g as u32).to_string(),
                json!(result.group_votes[g]),
            )
        })
        .collect();
    let groups: Vec<Value> = result
        .allocation
        .groups
        .iter()
        .map(|g| {
            json!({
                "group": contest.group_code(g.group),
                "votes": g.votes,
                "candidates": g.candidates,
                "qualified": g.qualified,
                "quota": g.quota.as_ref().map(fraction_string),
                "quota_decimal": g.quota.as_ref().map(|q| decimal_string(q, 6)),
                "whole": g.whole,
                "remainder_seat": g.remainder_seat,
                "seats": g.seats,
                "capped": g.capped,
                "round": g.round.map(|r| r + 1),
            })
        })
        .collect();
    let seats: Map<String, Value> = result
        .allocation
        .groups
        .iter()
        .map(|g| (contest.group_code(g.group).to_string(), json!(g.seats)))
        .collect();
    let mut elected = Vec::new();
    let mut alternates = Map::new();
    for (g, members) in result.members.iter().enumerate() {
        let group = contest.group_code(g as u32).to_string();
        for &c in members.elected() {
            elected.push(json!({"candidate": code(c), "group": group, "votes": result.candidate_votes[c as usize]}));
        }
        alternates.insert(
            group,
            json!(members
                .alternates()
                .iter()
                .map(|&c| code(c))
                .collect::<Vec<_>>()),
        );
    }
    let rounds: Vec<Value> = result
        .allocation
        .rounds
        .iter()
        .enumerate()
        .map(|(r, round)| {
            json!({
                "round": r + 1,
                "seats": round.seats,
                "votes": round.votes.to_string(),
                "groups": round.entries.iter().map(|e| json!({
                    "group": contest.group_code(e.party as u32),
                    "votes": e.votes,
                    "quota": fraction_string(&e.quotient),
                    "whole": e.whole,
                    "remainder": fraction_string(&e.remainder),
                    "remainder_seat": e.remainder_seats > 0,
                    "seats": e.seats,
                    "capped": e.capped,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let explanation = sandoq_count::explain(contest, result);
    let mut out = Map::new();
    out.insert("rule_set".into(), json!(RULE_SET));
    out.insert("options".into(), rules_json(&result.rules));
    out.insert("seats_total".into(), json!(result.seats));
    out.insert("ballots".into(), json!({"cast": b.cast, "list": b.list, "candidates": b.candidates, "blank": b.blank, "invalid": b.invalid}));
    out.insert("candidate_votes".into(), Value::Object(candidate_votes));
    out.insert("group_votes".into(), Value::Object(group_votes));
    out.insert("denominator".into(), json!(result.denominator));
    if let Some(threshold) = &result.allocation.threshold {
        out.insert("threshold_base".into(), json!(threshold.base.to_string()));
    }
    out.insert("groups".into(), Value::Array(groups));
    out.insert("rounds".into(), Value::Array(rounds));
    out.insert("seats".into(), Value::Object(seats));
    out.insert("elected".into(), Value::Array(elected));
    out.insert("alternates".into(), Value::Object(alternates));
    out.insert(
        "lots".into(),
        Value::Array(result.lots.iter().map(lot_json).collect()),
    );
    out.insert(
        "immaterial_ties".into(),
        Value::Array(result.allocation.immaterial_ties.iter().map(|t| json!({"stage": t.stage, "tied": t.tied, "seats_at_stake": t.seats_at_stake})).collect()),
    );
    out.insert("vacant_seats".into(), json!(result.vacant_seats()));
    if !successions.is_empty() {
        out.insert(
            "succession".into(),
            Value::Array(
                successions
                    .iter()
                    .map(|s| {
                        json!({
                            "leaving": s.leaving,
                            "group": s.group,
                            "successor": s.successor,
                            "successor_group": s.successor_group,
                            "successor_votes": s.successor_votes,
                            "rule": s.rule.name(),
                            "lot": s.lot.as_ref().map(lot_json),
                        })
                    })
                    .collect(),
            ),
        );
    }
    out.insert(
        "explanation".into(),
        json!({"fa": explanation.fa, "en": explanation.en}),
    );
    Value::Object(out)
}
