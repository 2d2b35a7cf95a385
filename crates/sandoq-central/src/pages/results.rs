//! The public results site (issue 5 §2): `/results/{election}`, open to everyone, refreshing
//! itself. Turnout, votes per list and for the independents, the seats as a hemicycle (SVG drawn
//! here), elected members and alternates with their votes, every station's report with its
//! signatures, the Merkle root over the reports, and the counting engine's own explanation.

use super::{escape, layout, t, LangQuery};
use crate::http::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sandoq_i18n::{localise, number, Lang};
use sandoq_store::{ElectionId, ElectionKind, Store};
use serde_json::Value;
use std::sync::Arc;

/// How long a rendered results page is served before it is made again.
pub const PAGE_CACHE_SECONDS: u64 = 2;

pub fn routes() -> Router<AppState> {
    Router::new().route("/results/{election}", get(results_page))
}

/// Colours of the groups, in the order of the result (lists, then the independents).
const COLOURS: [&str; 12] = [
    "#0f766e", "#b91c1c", "#1d4ed8", "#a16207", "#7c3aed", "#be185d", "#15803d", "#c2410c",
    "#0369a1", "#4d7c0f", "#6d28d9", "#9f1239",
];
const INDEPENDENTS_COLOUR: &str = "#64748b";

/// `a / b` with three decimals, as text (SVG takes decimal numbers; no floating point here).
fn decimal(a: u64, b: u64) -> String {
    let b = b.max(1);
    let thousandths = a * 1000 / b;
    format!("{}.{:03}", thousandths / 1000, thousandths % 1000)
}

/// The seats as a hemicycle: rows of seats on half circles, filled from the left by group. Each
/// seat is a circle at the left end of its row turned about the centre by its angle.
pub fn hemicycle(groups: &[(String, u64, &str)]) -> String {
    let total: u64 = groups.iter().map(|(_, n, _)| n).sum();
    if total == 0 {
        return String::new();
    }
    let rows: u64 = match total {
        0..=12 => 1,
        13..=30 => 2,
        31..=70 => 3,
        _ => 4,
    };
    let (cx, cy, inner, step) = (200u64, 190u64, 90u64, 40u64);
    let radii: Vec<u64> = (0..rows).map(|i| inner + i * step).collect();
    let radius_sum: u64 = radii.iter().sum();
    // Seats per row in proportion to the radius; the last row takes what rounding left.
    let mut per_row: Vec<u64> = radii.iter().map(|r| total * r / radius_sum).collect();
    let placed: u64 = per_row.iter().sum();
    if let Some(last) = per_row.last_mut() {
        *last += total - placed;
    }
    // Every seat: (row, index in row, seats in row), ordered by angle from the left.
    let mut seats: Vec<(usize, u64, u64)> = Vec::new();
    for (row, &n) in per_row.iter().enumerate() {
        for k in 0..n {
            seats.push((row, k, n));
        }
    }
    let angle = |&(_, k, n): &(usize, u64, u64)| -> (u64, u64) {
        if n <= 1 {
            (1, 2)
        } else {
            (k, n - 1)
        }
    };
    seats.sort_by(|a, b| {
        let (an, ad) = angle(a);
        let (bn, bd) = angle(b);
        (an * bd).cmp(&(bn * ad)).then(b.0.cmp(&a.0))
    });
    let mut colours = groups
        .iter()
        .flat_map(|(_, n, colour)| std::iter::repeat_n(*colour, *n as usize));
    let mut circles = String::new();
    for seat in &seats {
        let (num, den) = angle(seat);
        let radius = radii[seat.0];
        let colour = colours.next().unwrap_or(INDEPENDENTS_COLOUR);
        circles.push_str(&format!(
            r#"<circle class="seat" cx="{}" cy="{cy}" r="13" fill="{colour}" transform="rotate({} {cx} {cy})"/>"#,
            cx - radius,
            decimal(180 * num, den),
        ));
    }
    format!(
        r#"<svg class="hemicycle" viewBox="0 0 400 210" width="400" height="210" role="img" aria-label="{total}" direction="ltr">{circles}</svg>"#
    )
}

fn name_of(export: &Value, code: &str, lang: Lang) -> String {
    let key = match lang {
        Lang::Fa => "name_fa",
        Lang::En => "name_en",
    };
    let pick = |v: &Value| {
        v[key]
            .as_str()
            .filter(|s| !s.is_empty())
            .or(v["name_fa"].as_str())
            .map(str::to_string)
    };
    let definition = &export["definition"];
    for list in definition["lists"].as_array().into_iter().flatten() {
        if list["code"] == code {
            return pick(list).unwrap_or_default();
        }
        for c in list["candidates"].as_array().into_iter().flatten() {
            if c["code"] == code {
                return pick(c).unwrap_or_default();
            }
        }
    }
    for c in definition["independents"].as_array().into_iter().flatten() {
        if c["code"] == code {
            return pick(c).unwrap_or_default();
        }
    }
    if code == "independents" {
        return t(lang, "نامزدهای منفرد", "Independents").to_string();
    }
    code.to_string()
}

/// Every lot the count drew: who was tied, the SHA-256 of seed ":" code for each, the order.
fn lots_html(result: &Value, lang: Lang) -> String {
    let lots = result["lots"].as_array().cloned().unwrap_or_default();
    if lots.is_empty() {
        return format!(
            r#"<p class="muted" id="no-lots">{}</p>"#,
            t(
                lang,
                "این شمارش به قرعه نیاز نداشت.",
                "This count needed no drawing of lots."
            )
        );
    }
    let rows: String = lots
        .iter()
        .map(|lot| {
            let hashes: Vec<String> = lot["hashes"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(code, h)| {
                            format!(
                                "{}: <code dir=\"ltr\">{}</code>",
                                escape(code),
                                escape(h.as_str().unwrap_or(""))
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let order: Vec<String> = lot["order"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().map(escape))
                .collect();
            format!(
                r#"<tr class="lot"><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                escape(lot["stage"].as_str().unwrap_or("")),
                escape(lot["group"].as_str().unwrap_or("")),
                hashes.join("<br>"),
                order.join(" ← "),
            )
        })
        .collect();
    format!(
        r#"<table id="lots"><thead><tr><th>{}</th><th>{}</th><th>SHA-256</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>"#,
        t(lang, "مرحله", "Stage"),
        t(lang, "گروه", "Group"),
        t(lang, "ترتیب", "Order"),
    )
}

fn short(hex: &str) -> String {
    hex.chars().take(16).collect::<String>() + "…"
}

async fn results_page(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = query.lang();
    // A page made in the last PAGE_CACHE_SECONDS is served as it is: on election night many people
    // load it while reports arrive.
    let key = (election, lang == Lang::En);
    if let Some((at, page)) = state
        .result_pages
        .lock()
        .ok()
        .and_then(|m| m.get(&key).cloned())
    {
        if at.elapsed().as_secs() < PAGE_CACHE_SECONDS {
            return Html(page.as_ref().clone()).into_response();
        }
    }
    let Ok(Some(found)) = state.store.election(ElectionId(election)).await else {
        return (
            StatusCode::NOT_FOUND,
            t(lang, "چنین انتخاباتی نیست", "No such election"),
        )
            .into_response();
    };
    let export = match crate::definition::export(&state.store, &found).await {
        Ok(Some((text, _))) => serde_json::from_str::<Value>(&text).unwrap_or(Value::Null),
        _ => Value::Null,
    };
    let answer = match state.results.get(&state.store, &found).await {
        Ok(answer) => answer,
        Err(e) => {
            let (en, fa) = match &e {
                sandoq_store::StoreError::Invalid { en, fa, .. } => (en.clone(), fa.clone()),
                other => (other.to_string(), other.to_string()),
            };
            let text = match lang {
                Lang::Fa => fa,
                Lang::En => en,
            };
            return (StatusCode::CONFLICT, text).into_response();
        }
    };
    let check_ins = state.store.count_check_ins(found.id).await.unwrap_or(0);
    let reports = state.results.rows(found.id);
    let result = &answer["result"];
    let n = |v: &Value| number(v.as_u64().unwrap_or(0), lang);
    let closing = crate::http::closing_api::closing(&state, found.id)
        .await
        .ok()
        .flatten();
    let status = match &closing {
        Some((_, signatures, required)) if signatures.len() >= *required => match lang {
            Lang::Fa => format!(
                "نتیجهٔ نهایی — شمارش بسته شد و {} ناظر آن را امضا کردند",
                localise(&signatures.len().to_string(), lang)
            ),
            Lang::En => format!(
                "FINAL — the count is closed and signed by {} supervisors",
                signatures.len()
            ),
        },
        Some((_, signatures, required)) => match lang {
            Lang::Fa => format!(
                "شمارش بسته شد — در انتظار امضای ناظران ({} از {})",
                localise(&signatures.len().to_string(), lang),
                localise(&required.to_string(), lang)
            ),
            Lang::En => format!(
                "The count is closed — waiting for the supervisors' signatures ({} of {required})",
                signatures.len()
            ),
        },
        None => t(
            lang,
            "نتیجهٔ موقت — شمارش هنوز پایان نیافته است",
            "PROVISIONAL — the count is not over",
        )
        .to_string(),
    };
    let final_class = if closing
        .as_ref()
        .is_some_and(|(_, s, required)| s.len() >= *required)
    {
        "final"
    } else {
        "provisional"
    };
    let stations = &answer["stations"];
    // Groups in the order of the result, with colours.
    let mut groups: Vec<(String, u64, &str)> = Vec::new();
    let mut list_index = 0;
    if let Some(seats) = result["seats"].as_object() {
        for (group, count) in seats {
            let colour = if group == "independents" {
                INDEPENDENTS_COLOUR
            } else {
                list_index += 1;
                COLOURS[(list_index - 1) % COLOURS.len()]
            };
            groups.push((group.clone(), count.as_u64().unwrap_or(0), colour));
        }
    }
    let max_votes = result["group_votes"]
        .as_object()
        .map_or(1, |m| {
            m.values().filter_map(Value::as_u64).max().unwrap_or(1)
        })
        .max(1);
    let mut votes_rows = String::new();
    for (group, seats, colour) in &groups {
        let votes = result["group_votes"][group].as_u64().unwrap_or(0);
        votes_rows.push_str(&format!(
            r#"<tr data-group="{g}"><td><span class="swatch" style="background:{colour}"></span>{name}</td><td class="numeric">{votes}</td><td><svg width="220" height="14" direction="ltr"><rect width="{w}" height="14" fill="{colour}"/></svg></td><td class="numeric seats">{seats}</td></tr>"#,
            g = escape(group),
            name = escape(&name_of(&export, group, lang)),
            votes = number(votes, lang),
            w = votes * 220 / max_votes,
            seats = number(*seats, lang),
        ));
    }
    let mut elected_rows = String::new();
    for e in result["elected"].as_array().into_iter().flatten() {
        let code = e["candidate"].as_str().unwrap_or("");
        let group = e["group"].as_str().unwrap_or("");
        elected_rows.push_str(&format!(
            r#"<tr class="elected"><td class="numeric">{}</td><td>{}</td><td>{}</td><td class="numeric">{}</td></tr>"#,
            localise(code, lang),
            escape(&name_of(&export, code, lang)),
            escape(&name_of(&export, group, lang)),
            n(&e["votes"]),
        ));
    }
    let mut alternates_rows = String::new();
    if let Some(alternates) = result["alternates"].as_object() {
        for (group, list) in alternates {
            let names: Vec<String> = list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|code| {
                    format!(
                        "{} ({}, {})",
                        escape(&name_of(&export, code, lang)),
                        localise(code, lang),
                        n(&result["candidate_votes"][code])
                    )
                })
                .collect();
            alternates_rows.push_str(&format!(
                "<tr><td>{}</td><td>{}</td></tr>",
                escape(&name_of(&export, group, lang)),
                if names.is_empty() {
                    "—".to_string()
                } else {
                    names.join(t(lang, "، ", ", "))
                }
            ));
        }
    }
    let mut report_rows = String::new();
    for (station, report) in &reports {
        let at = sandoq_store::Timestamp(report["received_at"].as_i64().unwrap_or(0));
        let cosigners: Vec<String> = report["cosigners"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(escape))
            .collect();
        report_rows.push_str(&format!(
            r#"<tr class="station-report"><td>{}</td><td class="numeric">{}</td><td class="numeric">{}</td><td><code dir="ltr">{}</code></td><td><code dir="ltr">{}</code></td><td>{}</td><td>{}</td></tr>"#,
            escape(station),
            n(&report["ballots"]),
            n(&report["blank"]),
            short(report["device_key"].as_str().unwrap_or("")),
            short(report["signature"].as_str().unwrap_or("")),
            cosigners.join(t(lang, "، ", ", ")),
            super::when(at, lang),
        ));
    }
    let explanation = match lang {
        Lang::Fa => result["explanation"]["fa"].as_str(),
        Lang::En => result["explanation"]["en"].as_str(),
    }
    .unwrap_or("");
    let stopped = result["error"]["code"].as_str().map(|code| {
        format!(
            r#"<div class="error" data-code="{}">{}</div>"#,
            escape(code),
            t(
                lang,
                "شمارش به قرعه‌کشی نیاز دارد که گزینه‌های این انتخابات انجام نمی‌دهند.",
                "The count needs a drawing of lots the election's options do not make."
            )
        )
    });
    let body = format!(
        r#"<section><div class="{final_class}" id="status">{status}</div>
<h2>{name}</h2>
<div class="cards">
<div><span>{checkins_l}</span><strong id="check-ins">{check_ins}</strong></div>
<div><span>{ballots_l}</span><strong id="ballots">{ballots}</strong></div>
<div><span>{stations_l}</span><strong id="stations">{reported} / {total}</strong></div>
<div><span>{blank_l}</span><strong>{blank}</strong></div>
</div>
<p class="muted">{root_l}: <code dir="ltr" id="reports-root">{root}</code></p>{stopped}</section>
<section><h2>{seats_h}</h2><div class="hemi">{hemicycle}</div>
<table id="votes"><thead><tr><th>{group_l}</th><th>{votes_l}</th><th></th><th>{seats_l}</th></tr></thead><tbody>{votes_rows}</tbody></table></section>
<section><h2>{elected_h}</h2><table id="elected"><thead><tr><th>{code_l}</th><th>{name_l}</th><th>{group_l}</th><th>{votes_l}</th></tr></thead><tbody>{elected_rows}</tbody></table>
<h2>{alternates_h}</h2><table id="alternates"><tbody>{alternates_rows}</tbody></table></section>
<section><h2>{reports_h}</h2><table id="reports"><thead><tr><th>{station_l}</th><th>{ballots_l}</th><th>{blank_l}</th><th>{device_l}</th><th>{signature_l}</th><th>{cosigned_l}</th><th>{received_l}</th></tr></thead><tbody>{report_rows}</tbody></table>
<p><a id="minutes-link" href="/results/{election}/minutes{lang_q}">{minutes_l}</a></p></section>
<section><h2>{downloads_h}</h2><p><a id="cdf" href="/api/elections/{election}/results.cdf.json">NIST SP 1500-100 (JSON)</a> · <a href="/api/elections/{election}/results-by-station.csv">{by_station}</a> · <a href="/api/elections/{election}/results-by-candidate.csv">{by_candidate}</a> · <a id="record" href="/api/elections/{election}/record.tar">{record_l}</a></p></section>
<section><h2>{lots_h}</h2><p>{seed_l}: <code dir="ltr" id="lot-seed">{seed}</code></p>{lots}</section>
<section><h2>{explain_h}</h2><div id="explanation" class="explanation">{explanation}</div></section>"#,
        name = escape(match lang {
            Lang::Fa => &found.spec.name_fa,
            Lang::En => &found.spec.name_en,
        }),
        checkins_l = t(lang, "پذیرش‌شدگان", "Checked in"),
        check_ins = number(check_ins, lang),
        ballots_l = t(lang, "برگ‌های شمرده‌شده", "Ballots counted"),
        ballots = n(&answer["ballots"]),
        stations_l = t(lang, "شعبه‌های گزارش‌داده", "Stations reported"),
        reported = n(&stations["reported"]),
        total = n(&stations["total"]),
        blank_l = t(lang, "برگ‌های سفید", "Blank ballots"),
        blank = n(&result["ballots"]["blank"]),
        root_l = t(
            lang,
            "ریشهٔ مرکل گزارش شعبه‌ها",
            "Merkle root over the station reports"
        ),
        root = escape(answer["reports_root"].as_str().unwrap_or("")),
        stopped = stopped.unwrap_or_default(),
        seats_h = t(lang, "کرسی‌ها", "Seats"),
        hemicycle = hemicycle(&groups),
        group_l = t(lang, "فهرست یا گروه", "List or group"),
        votes_l = t(lang, "رأی", "Votes"),
        seats_l = t(lang, "کرسی", "Seats"),
        elected_h = t(lang, "منتخبان", "Elected members"),
        code_l = t(lang, "کد", "Code"),
        name_l = t(lang, "نام", "Name"),
        alternates_h = t(lang, "علی‌البدل‌ها، به ترتیب", "Alternates, in order"),
        reports_h = t(
            lang,
            "صورتجلسه‌های شعبه‌ها و امضاهایشان",
            "Station reports and their signatures"
        ),
        station_l = t(lang, "شعبه", "Station"),
        device_l = t(lang, "کلید دستگاه", "Device key"),
        signature_l = t(lang, "امضای دستگاه", "Device signature"),
        cosigned_l = t(lang, "امضای مسئولان", "Co-signed by"),
        received_l = t(lang, "دریافت", "Received"),
        lang_q = super::lang_param(lang),
        minutes_l = t(
            lang,
            "صورتجلسهٔ الصاق‌شده در یک شعبه را با این سابقه بسنجید",
            "Check a station's posted minutes against this record"
        ),
        explain_h = t(lang, "شمارش گام به گام", "The count, step by step"),
        lots_h = t(lang, "قرعه‌ها", "Drawings of lots"),
        seed_l = t(
            lang,
            "بذر همگانی قرعه (پیش از شمارش اعلام شده)",
            "The public seed of the lots (announced before the count)"
        ),
        seed = escape(result["options"]["lot_seed"].as_str().unwrap_or("—")),
        lots = lots_html(result, lang),
        downloads_h = t(lang, "داده‌ها برای بارگیری", "Data to download"),
        by_station = t(lang, "CSV به تفکیک شعبه", "CSV by station"),
        by_candidate = t(lang, "CSV به تفکیک نامزد", "CSV by candidate"),
        record_l = t(
            lang,
            "سابقهٔ همگانی انتخابات (بایگانی tar، برای sandoq verify)",
            "The public election record (tar archive, for sandoq verify)"
        ),
        explanation = escape(explanation).replace('\n', "<br>"),
    );
    let extra = r#"<script>setTimeout(() => location.reload(), 30000);</script><style>
.final { background: #dcfce7; color: #14532d; border: 2px solid #16a34a; border-radius: 8px; padding: 0.5rem 1rem; font-weight: 700; display: inline-block; }
.provisional { background: #fef3c7; color: #78350f; border: 2px solid #d97706; border-radius: 8px; padding: 0.5rem 1rem; font-weight: 700; display: inline-block; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: 0.75rem; margin: 1rem 0; }
.cards div { background: #ecfdf5; border-radius: 8px; padding: 0.6rem 0.9rem; } .cards strong { display: block; font-size: 1.6rem; }
.swatch { display: inline-block; width: 0.9rem; height: 0.9rem; border-radius: 3px; margin-inline-end: 0.4rem; vertical-align: middle; }
.hemi { text-align: center; } .explanation { line-height: 2; }
code { font-size: 0.8rem; }
</style>"#;
    let title = t(lang, "نتایج انتخابات", "Election results");
    let page = layout(
        lang,
        title,
        None,
        found.spec.kind == ElectionKind::Training,
        &(extra.to_string() + &body),
        &format!("/results/{election}"),
    );
    let page = Arc::new(page.0);
    if let Ok(mut pages) = state.result_pages.lock() {
        pages.insert(key, (std::time::Instant::now(), page.clone()));
    }
    Html(page.as_ref().clone()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hemicycle_has_a_seat_per_seat_filled_by_group_from_the_left() {
        let groups = vec![
            ("101".to_string(), 9, "#111111"),
            ("102".to_string(), 7, "#222222"),
            ("independents".to_string(), 5, "#333333"),
        ];
        let svg = hemicycle(&groups);
        assert_eq!(svg.matches("<circle").count(), 21);
        assert_eq!(svg.matches("#111111").count(), 9);
        assert_eq!(svg.matches("#333333").count(), 5);
        // The first seat is at the far left (angle 0), the last at the far right (180).
        let first = svg.find("#111111").unwrap();
        assert!(svg[first..].starts_with("#111111\" transform=\"rotate(0.000"));
        assert!(svg.contains("#333333\" transform=\"rotate(180.000"));
        assert_eq!(hemicycle(&[]), "");
        assert_eq!(decimal(180 * 2, 3), "120.000");
    }
}
