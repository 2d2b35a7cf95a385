//! `sandoq apportion`: the request format of CLI_CONTRACTS.md and its output.

use crate::error::InputError;
use crate::value::*;
use sandoq_apportion::exact::{decimal_string, fraction_string};
use sandoq_apportion::{
    Method, Outcome, Party, QuotaRounding, Request, Threshold, TieBreak, TiePolicy,
};
use serde_json::{json, Map, Value};

const FIELDS: &[&str] = &[
    "method",
    "seats",
    "votes",
    "blank_votes",
    "threshold",
    "max_seats",
    "first_divisor",
    "min_seats",
    "quota_rounding",
    "tie_break",
    "lot_seed",
];

pub fn parse_tie_break(value: &Value, path: &str) -> Result<TieBreak, InputError> {
    match string(value, path)? {
        "report" => Ok(TieBreak::Report),
        "most_votes" => Ok(TieBreak::MostVotes),
        "lot" => Ok(TieBreak::Lot),
        other => Err(InputError::new(
            "unknown_tie_break",
            format!("unknown tie_break \"{other}\" (report, most_votes or lot)"),
            format!("tie_break ناشناخته «{other}» (report، most_votes یا lot)"),
        )
        .at(path)),
    }
}

/// Parses a request; every problem has a stable code and a place.
pub fn parse_request(bytes: &[u8]) -> Result<Request, InputError> {
    let document = parse_document(bytes)?;
    let root = object(&document, "the input")?;
    only_keys(root, FIELDS, "")?;
    let method_name = string(required(root, "method", "")?, "method")?;
    let method = Method::from_name(method_name).ok_or_else(|| {
        let known: Vec<&str> = Method::ALL.iter().map(|m| m.name()).collect();
        InputError::new(
            "unknown_method",
            format!(
                "unknown method \"{method_name}\" (one of: {})",
                known.join(", ")
            ),
            format!(
                "روش ناشناخته «{method_name}» (یکی از: {})",
                known.join("، ")
            ),
        )
        .at("method")
    })?;
    let seats = count32(required(root, "seats", "")?, "seats")?;
    let votes = object(required(root, "votes", "")?, "votes")?;
    let mut parties = Vec::with_capacity(votes.len());
    for (name, v) in votes {
        parties.push(Party {
            name: name.clone(),
            votes: count(v, &format!("votes.{name}"))?,
            max_seats: None,
        });
    }
    if let Some(caps) = root.get("max_seats") {
        for (name, cap) in object(caps, "max_seats")? {
            let path = format!("max_seats.{name}");
            let cap = count32(cap, &path)?;
            let party = parties
                .iter_mut()
                .find(|p| &p.name == name)
                .ok_or_else(|| unknown_party(name, &path))?;
            party.max_seats = Some(cap);
        }
    }
    let blank_votes = root
        .get("blank_votes")
        .map(|v| count(v, "blank_votes"))
        .transpose()?
        .unwrap_or(0);
    let threshold = root
        .get("threshold")
        .map(|t| parse_threshold(t, &parties))
        .transpose()?;
    let first_divisor = root
        .get("first_divisor")
        .map(|v| decimal(v, "first_divisor"))
        .transpose()?;
    let min_seats = root
        .get("min_seats")
        .map(|v| count32(v, "min_seats"))
        .transpose()?;
    let quota_rounding = match root.get("quota_rounding") {
        None => QuotaRounding::None,
        Some(v) => match string(v, "quota_rounding")? {
            "none" => QuotaRounding::None,
            "round_half_up" => QuotaRounding::RoundHalfUp,
            other => {
                return Err(InputError::new(
                    "unknown_quota_rounding",
                    format!("unknown quota_rounding \"{other}\" (none or round_half_up)"),
                    format!("quota_rounding ناشناخته «{other}» (none یا round_half_up)"),
                )
                .at("quota_rounding"))
            }
        },
    };
    let tie_break = root
        .get("tie_break")
        .map(|v| parse_tie_break(v, "tie_break"))
        .transpose()?;
    let lot_seed = root
        .get("lot_seed")
        .map(|v| string(v, "lot_seed").map(str::to_string))
        .transpose()?;
    Ok(Request {
        method,
        seats,
        parties,
        blank_votes,
        threshold,
        first_divisor,
        min_seats,
        quota_rounding,
        ties: TiePolicy::from_options(tie_break, lot_seed),
    })
}

fn unknown_party(name: &str, path: &str) -> InputError {
    InputError::new(
        "unknown_party",
        format!("\"{name}\" has no entry in votes"),
        format!("«{name}» در votes نیامده است"),
    )
    .at(path)
}

fn parse_threshold(value: &Value, parties: &[Party]) -> Result<Threshold, InputError> {
    let map = object(value, "threshold")?;
    only_keys(
        map,
        &[
            "percent",
            "accept_equal",
            "include_blank",
            "exempt",
            "per_party",
        ],
        "threshold",
    )?;
    let percent = decimal(required(map, "percent", "threshold")?, "threshold.percent")?;
    check_percent(&percent, "threshold.percent")?;
    let mut threshold = Threshold::percent(percent);
    if let Some(v) = map.get("accept_equal") {
        threshold.accept_equal = boolean(v, "threshold.accept_equal")?;
    }
    if let Some(v) = map.get("include_blank") {
        threshold.include_blank = boolean(v, "threshold.include_blank")?;
    }
    if let Some(v) = map.get("exempt") {
        for (i, name) in array(v, "threshold.exempt")?.iter().enumerate() {
            let path = format!("threshold.exempt[{i}]");
            let name = string(name, &path)?;
            if !parties.iter().any(|p| p.name == name) {
                return Err(unknown_party(name, &path));
            }
            threshold.exempt.push(name.to_string());
        }
    }
    if let Some(v) = map.get("per_party") {
        for (name, percent) in object(v, "threshold.per_party")? {
            let path = format!("threshold.per_party.{name}");
            if !parties.iter().any(|p| &p.name == name) {
                return Err(unknown_party(name, &path));
            }
            let percent = decimal(percent, &path)?;
            check_percent(&percent, &path)?;
            threshold.per_party.insert(name.clone(), percent);
        }
    }
    Ok(threshold)
}

pub fn check_percent(percent: &sandoq_apportion::Ratio, path: &str) -> Result<(), InputError> {
    if *percent < sandoq_apportion::exact::int(0) || *percent > sandoq_apportion::exact::int(100) {
        return Err(InputError::new(
            "percent_out_of_range",
            format!("{path} must be between 0 and 100"),
            format!("{path} باید بین ۰ و ۱۰۰ باشد"),
        )
        .at(path));
    }
    Ok(())
}

pub fn lot_json(lot: &sandoq_apportion::Lot) -> Value {
    let mut map = Map::new();
    map.insert("stage".into(), json!(lot.stage));
    if let Some(group) = &lot.group {
        map.insert("group".into(), json!(group));
    }
    map.insert("tied".into(), json!(lot.tied));
    map.insert("seed".into(), json!(lot.seed));
    map.insert(
        "hashes".into(),
        Value::Object(
            lot.hashes
                .iter()
                .map(|(c, h)| (c.clone(), json!(h)))
                .collect(),
        ),
    );
    map.insert("order".into(), json!(lot.order()));
    map.insert("winners".into(), json!(lot.winners));
    map.insert("seats_at_stake".into(), json!(lot.seats_at_stake));
    Value::Object(map)
}

pub fn lots_required_json(ties: &[sandoq_apportion::LotsRequired]) -> Value {
    let first = &ties[0];
    let all: Vec<Value> = ties
        .iter()
        .map(|t| {
            let mut map = Map::new();
            map.insert("stage".into(), json!(t.stage));
            if let Some(group) = &t.group {
                map.insert("group".into(), json!(group));
            }
            map.insert("tied".into(), json!(t.tied));
            map.insert("seats_at_stake".into(), json!(t.seats_at_stake));
            map.insert("votes".into(), json!(t.votes));
            Value::Object(map)
        })
        .collect();
    json!({
        "error": "drawing_of_lots_required",
        "tied": first.tied,
        "seats_at_stake": first.seats_at_stake,
        "stage": first.stage,
        "ties": all,
        "message": {
            "fa": "تساوی‌ای که کرسی یا منتخب را تعیین می‌کند بدون قرعه حل‌شدنی نیست؛ بذر قرعه (lot_seed) را اعلام و دوباره اجرا کنید.",
            "en": "a tie that decides a seat or a member cannot be resolved without a drawing of lots; announce a lot_seed and run again."
        }
    })
}

pub fn render(request: &Request, outcome: &Outcome) -> Value {
    let seats: Map<String, Value> = request
        .parties
        .iter()
        .zip(&outcome.seats)
        .map(|(p, s)| (p.name.clone(), json!(s)))
        .collect();
    let mut steps = Vec::new();
    if let Some(threshold) = &outcome.threshold {
        let excluded: Vec<&str> = request
            .parties
            .iter()
            .zip(&threshold.qualified)
            .filter(|(_, q)| !**q)
            .map(|(p, _)| p.name.as_str())
            .collect();
        steps.push(
            json!({"step": "threshold", "base": threshold.base.to_string(), "excluded": excluded}),
        );
    }
    for (r, round) in outcome.rounds.iter().enumerate() {
        let parties: Vec<Value> = round
            .entries
            .iter()
            .map(|e| {
                json!({
                    "party": request.parties[e.party].name,
                    "votes": e.votes,
                    "quotient": fraction_string(&e.quotient),
                    "quotient_decimal": decimal_string(&e.quotient, 6),
                    "whole": e.whole,
                    "remainder": fraction_string(&e.remainder),
                    "remainder_seats": e.remainder_seats,
                    "taken_back": e.taken_back,
                    "seats": e.seats,
                    "capped": e.capped,
                })
            })
            .collect();
        steps.push(json!({
            "step": "largest_remainder_round",
            "round": r + 1,
            "seats": round.seats,
            "votes": round.votes.to_string(),
            "quota": fraction_string(&round.quota),
            "quota_decimal": decimal_string(&round.quota, 6),
            "parties": parties,
        }));
    }
    for award in &outcome.awards {
        steps.push(json!({
            "step": if award.minimum { "minimum_seat" } else { "seat" },
            "seat": award.seat,
            "party": request.parties[award.party].name,
            "priority": award.priority,
        }));
    }
    let mut out = Map::new();
    out.insert("method".into(), json!(request.method.name()));
    out.insert("seats".into(), Value::Object(seats));
    out.insert(
        "lots".into(),
        Value::Array(outcome.lots.iter().map(lot_json).collect()),
    );
    out.insert("steps".into(), Value::Array(steps));
    out.insert("vacant_seats".into(), json!(outcome.vacant));
    let qualified: Vec<&str> = request
        .parties
        .iter()
        .zip(&outcome.qualified)
        .filter(|(_, q)| **q)
        .map(|(p, _)| p.name.as_str())
        .collect();
    out.insert("qualified".into(), json!(qualified));
    let capped: Vec<&str> = request
        .parties
        .iter()
        .zip(&outcome.capped)
        .filter(|(_, c)| **c)
        .map(|(p, _)| p.name.as_str())
        .collect();
    out.insert("capped".into(), json!(capped));
    out.insert(
        "immaterial_ties".into(),
        Value::Array(outcome.immaterial_ties.iter().map(|t| json!({"stage": t.stage, "tied": t.tied, "seats_at_stake": t.seats_at_stake})).collect()),
    );
    out.insert(
        "options".into(),
        json!({
            "tie_break": request.ties.tie_break.name(),
            "lot_seed": request.ties.lot_seed,
            "first_divisor": request.first_divisor.as_ref().map(fraction_string),
            "min_seats": request.min_seats,
        }),
    );
    if !outcome.ignored_options.is_empty() {
        out.insert("ignored_options".into(), json!(outcome.ignored_options));
    }
    Value::Object(out)
}
