//! The election-day dashboard (issue 5 §2): for headquarters and supervisors every station, for an
//! executive board the stations of its county or district only. Every station's state (not opened,
//! open, closed, reported, silent for N minutes), turnout per hour and per district as charts, and
//! alerts (silent stations, more ballots than check-ins, double-vote incidents, refused reports,
//! quarantined reports) that can be acknowledged with a note. A station whose report is
//! quarantined (its own ballot records count to something else, issue 18 §3) shows as
//! "quarantined: not counted", never as reported.

use super::setup::{context, election_nav, page_error, DASHBOARD};
use super::{escape, layout, t, LangQuery};
use crate::http::scope::stations_seen;
use crate::http::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use sandoq_i18n::{localise, number, Lang};
use sandoq_store::{AlertAck, ElectionId, IncidentKind, Store, Timestamp};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// A station that has not been heard from for this long, while open, is silent.
pub const SILENT_SECONDS: i64 = 10 * 60;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dashboard/{election}", get(dashboard).post(acknowledge))
        .route(
            "/dashboard/{election}/close",
            axum::routing::post(close_form),
        )
        .route("/dashboard/{election}/sign", axum::routing::post(sign_form))
}

struct Alert {
    id: String,
    station: String,
    fa: String,
    en: String,
}

fn bars(rows: &[(String, u64)], lang: Lang) -> String {
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let height = 24 * rows.len() as u64 + 8;
    let mut svg = format!(
        r#"<svg class="chart" viewBox="0 0 520 {height}" width="520" height="{height}" direction="ltr" role="img">"#
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = 4 + 24 * i as u64;
        svg.push_str(&format!(
            r##"<text x="0" y="{ty}" font-size="13">{label}</text><rect class="bar" x="110" y="{y}" width="{w}" height="18" fill="#0f766e"/><text x="{tx}" y="{ty}" font-size="13">{value}</text>"##,
            ty = y + 14,
            label = escape(label),
            w = n * 340 / max,
            tx = 116 + n * 340 / max,
            value = number(*n, lang),
        ));
    }
    svg.push_str("</svg>");
    svg
}

async fn dashboard(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let (user, election) =
        match context(&state, &headers, lang, &DASHBOARD, ElectionId(election)).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    match html(&state, lang, &user, &election).await {
        Ok(page) => page,
        Err(error) => page_error(lang, &user, error),
    }
}

/// What the dashboard shows, gathered from the store: the stations' rows, the alerts (each about a
/// fact at a time, so that an acknowledgement names something that has happened), the counts of
/// stations in each state, and the check-ins per hour and district.
struct Gathered {
    stations: Vec<sandoq_store::Station>,
    areas: HashMap<String, String>,
    buckets: Vec<sandoq_store::TurnoutBucket>,
    acks: HashMap<String, AlertAck>,
    alerts: Vec<Alert>,
    counts: BTreeMap<&'static str, u64>,
    rows: String,
}

/// A station report's ballots, read without building the report.
#[derive(Deserialize)]
struct ReportBallots {
    ballots: u64,
}

async fn gather(
    state: &AppState,
    lang: Lang,
    user: &sandoq_store::User,
    election: &sandoq_store::Election,
) -> Result<Gathered, AppError> {
    let id = election.id;
    let now = (state.clock)();
    let seen = stations_seen(&state.store, id, user).await?;
    let stations: Vec<sandoq_store::Station> = state
        .store
        .stations(id)
        .await?
        .into_iter()
        .filter(|s| seen.includes(&s.code))
        .collect();
    let areas: HashMap<String, String> = state
        .store
        .areas(id)
        .await?
        .into_iter()
        .map(|a| {
            let name = match lang {
                Lang::Fa => a.name_fa,
                Lang::En => {
                    if a.name_en.is_empty() {
                        a.name_fa
                    } else {
                        a.name_en
                    }
                }
            };
            (a.code, name)
        })
        .collect();
    let statuses: HashMap<String, sandoq_store::StationStatus> = state
        .store
        .station_statuses(id)
        .await?
        .into_iter()
        .map(|s| (s.station.clone(), s))
        .collect();
    // The ballots of the reports the centre accepted: what the "more ballots than check-ins" alert
    // weighs once a station has reported (before, the device's own status).
    let reported: HashMap<String, u64> = state
        .store
        .station_reports(id)
        .await?
        .into_iter()
        .map(|(s, text, _)| {
            let ballots =
                serde_json::from_str::<ReportBallots>(&text).map_or(u64::MAX, |r| r.ballots);
            (s, ballots)
        })
        .collect();
    // Reports no longer counted: their own ballot records count to something else.
    let quarantines = state.store.quarantined_reports(id).await?;
    let quarantined: HashMap<&str, &sandoq_store::Quarantine> = quarantines
        .iter()
        .map(|q| (q.station.as_str(), q))
        .collect();
    let incidents = state.store.incidents(id).await?;
    // Synced provisional check-ins that became incidents: the desk let those people in too.
    let mut let_in_anyway: HashMap<&str, u64> = HashMap::new();
    for incident in &incidents {
        *let_in_anyway.entry(incident.station.as_str()).or_default() += 1;
    }
    let buckets: Vec<sandoq_store::TurnoutBucket> = state
        .store
        .turnout(id)
        .await?
        .into_iter()
        .filter(|b| seen.includes(&b.station))
        .collect();
    let mut check_ins: HashMap<&str, u64> = HashMap::new();
    for b in &buckets {
        *check_ins.entry(b.station.as_str()).or_default() += b.check_ins;
    }
    let acks: HashMap<String, AlertAck> = state
        .store
        .alert_acks(id)
        .await?
        .into_iter()
        .map(|a| (a.alert.clone(), a))
        .collect();
    let mut alerts: Vec<Alert> = Vec::new();
    // Stations and their states.
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    let mut rows = String::new();
    for station in &stations {
        let status = statuses.get(&station.code);
        let (key, fa, en) = if quarantined.contains_key(station.code.as_str()) {
            (
                "quarantined",
                "قرنطینه: شمرده نمی‌شود",
                "quarantined: not counted",
            )
        } else if reported.contains_key(&station.code) {
            ("reported", "گزارش‌داده", "reported")
        } else {
            match status.map(|s| s.state.as_str()) {
                None | Some("setup") => ("not_opened", "گشوده‌نشده", "not opened"),
                Some("open" | "voting") => ("open", "گشوده", "open"),
                _ => ("closed", "بسته", "closed"),
            }
        };
        *counts.entry(key).or_default() += 1;
        let silent = status
            .filter(|s| {
                matches!(s.state.as_str(), "open" | "voting" | "closed")
                    && !reported.contains_key(&station.code)
            })
            .map(|s| now.0.saturating_sub(s.received_at.0))
            .filter(|age| *age > SILENT_SECONDS);
        let mut state_cell = t(lang, fa, en).to_string();
        if let Some(age) = silent {
            let minutes = age / 60;
            state_cell.push_str(&format!(
                r#" <span class="silent">{}</span>"#,
                match lang {
                    Lang::Fa => format!(
                        "خاموش از {} دقیقه پیش",
                        localise(&minutes.to_string(), lang)
                    ),
                    Lang::En => format!("silent for {minutes} minutes"),
                }
            ));
            // One alert per silence: the last time heard names it.
            alerts.push(Alert {
                id: format!(
                    "silent:{}:{}",
                    station.code,
                    status.map_or(0, |s| s.received_at.0)
                ),
                station: station.code.clone(),
                fa: format!(
                    "شعبهٔ \u{2068}{}\u{2069} از {} دقیقه پیش خبری نداده است",
                    station.code,
                    localise(&minutes.to_string(), Lang::Fa)
                ),
                en: format!(
                    "station {} has been silent for {minutes} minutes",
                    station.code
                ),
            });
        }
        let checked = check_ins.get(station.code.as_str()).copied().unwrap_or(0);
        let known = checked.saturating_add(
            let_in_anyway
                .get(station.code.as_str())
                .copied()
                .unwrap_or(0),
        );
        let ballots = reported
            .get(&station.code)
            .copied()
            .or(status.map(|s| s.ballots));
        if let Some(ballots) = ballots.filter(|b| *b > known) {
            // The count names the fact: a later, different count is a new alert.
            alerts.push(Alert {
                id: format!("ballots:{}:{ballots}", station.code),
                station: station.code.clone(),
                fa: format!(
                    "شعبهٔ \u{2068}{}\u{2069}: {} برگ رأی ولی فقط {} پذیرش در مرکز",
                    station.code,
                    localise(&ballots.to_string(), Lang::Fa),
                    localise(&known.to_string(), Lang::Fa)
                ),
                en: format!(
                    "station {}: {ballots} ballots but only {known} check-ins at the centre",
                    station.code
                ),
            });
        }
        rows.push_str(&format!(
            r#"<tr class="station" data-station="{code}" data-state="{key}"><td>{code}</td><td>{name}</td><td>{district}</td><td>{state_cell}</td><td class="numeric">{checked}</td><td class="numeric">{ballots}</td><td>{seen_at}</td></tr>"#,
            code = escape(&station.code),
            name = escape(match lang { Lang::Fa => &station.name_fa, Lang::En => &station.name_en }),
            district = escape(areas.get(&station.district).map_or(station.district.as_str(), String::as_str)),
            checked = number(checked, lang),
            ballots = status.map_or("—".to_string(), |s| number(s.ballots, lang)),
            seen_at = status.map_or("—".to_string(), |s| super::when(s.received_at, lang)),
        ));
    }
    for incident in incidents {
        if incident.kind != IncidentKind::DoubleVote
            || !(seen.includes(&incident.station) || seen.includes(&incident.first_station))
        {
            continue;
        }
        alerts.push(Alert {
            id: format!("double_vote:{}:{}", incident.station, incident.request_id),
            station: incident.station.clone(),
            fa: format!(
                "رأی دوگانه: پذیرش در شعبهٔ \u{2068}{}\u{2069} ({}) پس از شعبهٔ \u{2068}{}\u{2069} ({})",
                incident.station,
                super::when(incident.at, Lang::Fa),
                incident.first_station,
                super::when(incident.first_at, Lang::Fa)
            ),
            en: format!(
                "double vote: checked in at station {} ({}) after station {} ({})",
                incident.station,
                super::when(incident.at, Lang::En),
                incident.first_station,
                super::when(incident.first_at, Lang::En)
            ),
        });
    }
    for q in quarantines.iter().filter(|q| seen.includes(&q.station)) {
        // The instant names the fact: the quarantine is once per station and never lifted.
        alerts.push(Alert {
            id: format!("quarantined:{}:{}", q.station, q.at.0),
            station: q.station.clone(),
            fa: format!(
                "برگ‌های شعبهٔ \u{2068}{}\u{2069} با صورتجلسه‌اش جور نیست ({}): صورتجلسه قرنطینه شد و شمرده نمی‌شود، {}",
                q.station,
                q.code,
                super::when(q.at, Lang::Fa)
            ),
            en: format!(
                "station {}'s ballot records do not agree with its report ({}): the report is quarantined and not counted, {}",
                q.station,
                q.code,
                super::when(q.at, Lang::En)
            ),
        });
    }
    for (station, code, at) in state.store.refused_reports(id).await? {
        if !seen.includes(&station) {
            continue;
        }
        alerts.push(Alert {
            id: format!("refused:{station}:{}", at.0),
            station: station.clone(),
            fa: format!(
                "صورتجلسهٔ شعبهٔ \u{2068}{station}\u{2069} پذیرفته نشد ({code})، {}",
                super::when(at, Lang::Fa)
            ),
            en: format!(
                "station {station}'s report was refused ({code}), {}",
                super::when(at, Lang::En)
            ),
        });
    }
    Ok(Gathered {
        stations,
        areas,
        buckets,
        acks,
        alerts,
        counts,
        rows,
    })
}

async fn html(
    state: &AppState,
    lang: Lang,
    user: &sandoq_store::User,
    election: &sandoq_store::Election,
) -> Result<Response, AppError> {
    let id = election.id;
    let now = (state.clock)();
    let Gathered {
        stations,
        areas,
        buckets,
        acks,
        alerts,
        counts,
        rows,
    } = gather(state, lang, user, election).await?;
    let q = super::lang_param(lang);
    let alert_rows: String = alerts.iter().map(|a| {
        let text = match lang { Lang::Fa => &a.fa, Lang::En => &a.en };
        let action = match acks.get(&a.id) {
            Some(ack) => format!(r#"<span class="acked">{} {} — {}</span>"#, t(lang, "رسیدگی شد:", "Acknowledged:"), escape(&ack.by), escape(&ack.note)),
            None => format!(
                r#"<form method="post" action="/dashboard/{e}{q}" class="ack"><input type="hidden" name="alert" value="{id}"><input name="note" required placeholder="{ph}" aria-label="{ph}"><button type="submit" class="primary">{b}</button></form>"#,
                e = id.0, id = escape(&a.id), ph = t(lang, "یادداشت رسیدگی", "What was done"), b = t(lang, "رسیدگی شد", "Acknowledge"),
            ),
        };
        format!(r#"<li class="alert" data-alert="{}" data-station="{}"><span>{}</span> {action}</li>"#, escape(&a.id), escape(&a.station), escape(text))
    }).collect();
    // Turnout per hour and per district.
    let mut hours: BTreeMap<i64, u64> = BTreeMap::new();
    let mut districts: BTreeMap<String, u64> = BTreeMap::new();
    let district_of: HashMap<&str, &str> = stations
        .iter()
        .map(|s| (s.code.as_str(), s.district.as_str()))
        .collect();
    for b in &buckets {
        *hours.entry(b.hour_start.0).or_default() += b.check_ins;
        let district = district_of.get(b.station.as_str()).copied().unwrap_or("");
        *districts
            .entry(
                areas
                    .get(district)
                    .cloned()
                    .unwrap_or_else(|| district.to_string()),
            )
            .or_default() += b.check_ins;
    }
    let hour_rows: Vec<(String, u64)> = hours
        .iter()
        .map(|(h, n)| {
            let (_, hour, _) = Timestamp(*h).tehran();
            (localise(&format!("{hour:02}:00"), lang), *n)
        })
        .collect();
    let district_rows: Vec<(String, u64)> = districts.into_iter().collect();
    let total: u64 = buckets.iter().map(|b| b.check_ins).sum();
    let count = |k: &str| number(counts.get(k).copied().unwrap_or(0), lang);
    let body = format!(
        r#"{nav}<section><h2>{title}</h2><p class="muted">{updated}: {now}</p>
<div class="cards"><div><span>{total_l}</span><strong id="total">{total}</strong></div>
<div><span>{not_opened_l}</span><strong id="n-not-opened">{not_opened}</strong></div><div><span>{open_l}</span><strong id="n-open">{open}</strong></div>
<div><span>{closed_l}</span><strong id="n-closed">{closed}</strong></div><div><span>{reported_l}</span><strong id="n-reported">{reported_n}</strong></div>{quarantined_card}</div></section>
{closing}<section><h2>{alerts_h}</h2><ul id="alerts">{alert_rows}</ul>{no_alerts}</section>
<section><h2>{hours_h}</h2><div id="by-hour">{hour_chart}</div><h2>{districts_h}</h2><div id="by-district">{district_chart}</div></section>
<section><h2>{stations_h}</h2><table id="stations"><thead><tr><th>{code_l}</th><th>{name_l}</th><th>{district_l}</th><th>{state_l}</th><th>{checkins_l}</th><th>{ballots_l}</th><th>{last_l}</th></tr></thead><tbody>{rows}</tbody></table></section>
<script>setTimeout(() => location.reload(), 30000);</script>"#,
        nav = election_nav(lang, election, user),
        title = t(lang, "پایش روز رأی‌گیری", "Election-day dashboard"),
        closing = closing_html(state, lang, user, id).await?,
        updated = t(lang, "به‌روز تا", "As of"),
        now = super::when(now, lang),
        total_l = t(lang, "پذیرش‌ها", "Check-ins"),
        total = number(total, lang),
        not_opened_l = t(lang, "گشوده‌نشده", "Not opened"),
        not_opened = count("not_opened"),
        open_l = t(lang, "گشوده", "Open"),
        open = count("open"),
        closed_l = t(lang, "بسته", "Closed"),
        closed = count("closed"),
        reported_l = t(lang, "گزارش‌داده", "Reported"),
        reported_n = count("reported"),
        quarantined_card = if counts.contains_key("quarantined") {
            format!(
                r#"<div><span>{}</span><strong id="n-quarantined">{}</strong></div>"#,
                t(lang, "قرنطینه (شمرده نمی‌شود)", "Quarantined (not counted)"),
                count("quarantined")
            )
        } else {
            String::new()
        },
        alerts_h = t(lang, "هشدارها", "Alerts"),
        no_alerts = if alerts.is_empty() {
            format!(
                r#"<p class="muted">{}</p>"#,
                t(lang, "هشداری نیست.", "No alerts.")
            )
        } else {
            String::new()
        },
        hours_h = t(lang, "پذیرش در هر ساعت", "Check-ins per hour"),
        hour_chart = bars(&hour_rows, lang),
        districts_h = t(lang, "پذیرش در هر حوزه", "Check-ins per district"),
        district_chart = bars(&district_rows, lang),
        stations_h = t(lang, "شعبه‌ها", "Stations"),
        code_l = t(lang, "کد", "Code"),
        name_l = t(lang, "نام", "Name"),
        district_l = t(lang, "حوزه", "District"),
        state_l = t(lang, "وضعیت", "State"),
        checkins_l = t(lang, "پذیرش", "Check-ins"),
        ballots_l = t(lang, "برگ‌ها", "Ballots"),
        last_l = t(lang, "آخرین خبر", "Last heard"),
    );
    let style = r#"<style>.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: 0.6rem; } .cards div { background: #ecfdf5; border-radius: 8px; padding: 0.5rem 0.8rem; } .cards strong { display: block; font-size: 1.5rem; }
.silent { background: #fee2e2; color: #991b1b; border-radius: 6px; padding: 0 0.4rem; font-weight: 700; } .alert { margin: 0.4rem 0; } .ack { display: inline-flex; gap: 0.4rem; } .ack input { min-width: 14rem; } .acked { color: #166534; }</style>"#;
    Ok(layout(
        lang,
        t(lang, "پایش روز رأی‌گیری", "Election-day dashboard"),
        Some(user),
        election.spec.kind == sandoq_store::ElectionKind::Training,
        &(style.to_string() + &body),
        &format!("/dashboard/{}", id.0),
    )
    .into_response())
}

/// The closing of the count: a form for headquarters to close it, then its state, and a form for
/// each supervisor who has not signed.
async fn closing_html(
    state: &AppState,
    lang: Lang,
    user: &sandoq_store::User,
    id: ElectionId,
) -> Result<String, AppError> {
    let q = super::lang_param(lang);
    let e = id.0;
    let heading = t(lang, "پایان شمارش", "Closing the count");
    let Some((statement, signatures, required)) =
        crate::http::closing_api::closing(state, id).await?
    else {
        if user.role != sandoq_store::Role::Hq {
            return Ok(String::new());
        }
        return Ok(format!(
            r#"<section id="closing"><h2>{heading}</h2><p>{p}</p><form method="post" action="/dashboard/{e}/close{q}"><label for="required">{label}</label> <input id="required" name="required_signatures" type="number" min="1" value="2" required> <button type="submit" class="primary" id="close-count">{b}</button></form></section>"#,
            p = t(lang, "با بستن شمارش، گزارش‌های رسیده و نتیجه ثبت و قفل می‌شوند و گزارش دیگری پذیرفته نمی‌شود؛ شعبه‌های بی‌گزارش نام برده می‌شوند.", "Closing the count freezes the reports received and the result; no report is taken after; the stations that did not report are named."),
            label = t(lang, "امضای لازم ناظران", "Supervisors' signatures needed"),
            b = t(lang, "بستن شمارش", "Close the count"),
        ));
    };
    let statement: serde_json::Value = serde_json::from_str(&statement).unwrap_or_default();
    let signed: Vec<&str> = signatures.iter().map(|(u, _)| u.as_str()).collect();
    let status = if signed.len() >= required {
        t(lang, "نتیجه نهایی است.", "The result is final.")
    } else {
        t(
            lang,
            "در انتظار امضای ناظران.",
            "Waiting for the supervisors' signatures.",
        )
    };
    let missing = statement["stations_missing"].as_array().map_or(0, Vec::len);
    let form = if user.role == sandoq_store::Role::Supervisor
        && !signed.contains(&user.username.as_str())
    {
        format!(
            r#"<form method="post" action="/dashboard/{e}/sign{q}"><label for="sign-password">{label}</label> <input id="sign-password" name="password" type="password" required autocomplete="current-password"> <button type="submit" class="primary" id="sign-result">{b}</button></form>"#,
            label = t(lang, "گذرواژهٔ شما برای امضا", "Your password, to sign"),
            b = t(lang, "امضای نتیجه", "Sign the result"),
        )
    } else {
        String::new()
    };
    Ok(format!(
        r#"<section id="closing" data-signed="{n}" data-required="{required}"><h2>{heading}</h2><p><strong>{status}</strong> {signed_l}: {n_shown} / {k} ({names}). {missing_l}: {missing_n}.</p>{form}</section>"#,
        n = signed.len(),
        n_shown = number(signed.len() as u64, lang),
        k = number(required as u64, lang),
        signed_l = t(lang, "امضاها", "Signatures"),
        names = escape(&signed.join(", ")),
        missing_l = t(lang, "شعبه‌های بی‌گزارش", "Stations without a report"),
        missing_n = number(missing as u64, lang),
    ))
}

#[derive(Debug, Deserialize)]
struct CloseForm {
    required_signatures: usize,
}

#[derive(Debug, Deserialize)]
struct SignForm {
    password: String,
}

async fn close_form(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    form: Result<Form<CloseForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = query.lang();
    let (user, election) = match context(
        &state,
        &headers,
        lang,
        &[sandoq_store::Role::Hq],
        ElectionId(election),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let required = form.map(|Form(f)| f.required_signatures).unwrap_or(0);
    match crate::http::closing_api::close(&state, election.id, &user, required, (state.clock)())
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/dashboard/{}{}",
            election.id.0,
            super::lang_param(lang)
        ))
        .into_response(),
        Err(error) => page_error(lang, &user, error),
    }
}

async fn sign_form(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    form: Result<Form<SignForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = query.lang();
    let (user, election) = match context(
        &state,
        &headers,
        lang,
        &[sandoq_store::Role::Supervisor],
        ElectionId(election),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let password = form.map(|Form(f)| f.password).unwrap_or_default();
    match crate::http::closing_api::sign(&state, election.id, &user, &password, (state.clock)())
        .await
    {
        Ok(_) => Redirect::to(&format!(
            "/dashboard/{}{}",
            election.id.0,
            super::lang_param(lang)
        ))
        .into_response(),
        Err(error) => page_error(lang, &user, error),
    }
}

#[derive(Debug, Deserialize)]
struct AckForm {
    alert: String,
    note: String,
}

/// Acknowledges an alert the person can see, with a note; back to the dashboard.
async fn acknowledge(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    form: Result<Form<AckForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = query.lang();
    let (user, election) =
        match context(&state, &headers, lang, &DASHBOARD, ElectionId(election)).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let back = format!("/dashboard/{}{}", election.id.0, super::lang_param(lang));
    let Ok(Form(form)) = form else {
        return Redirect::to(&back).into_response();
    };
    // An alert names its station second (`kind:station:…`): only alerts of stations this person
    // sees can be acknowledged.
    let station = form.alert.split(':').nth(1).unwrap_or("");
    let seen = match stations_seen(&state.store, election.id, &user).await {
        Ok(seen) => seen,
        Err(error) => return page_error(lang, &user, error.into()),
    };
    let note = form.note.trim();
    // Only an alert the dashboard shows now: an acknowledgement cannot be made ahead of the fact
    // it is about (nor for an alert of a station this person does not see).
    let exists = match gather(&state, lang, &user, &election).await {
        Ok(found) => found.alerts.iter().any(|a| a.id == form.alert),
        Err(error) => return page_error(lang, &user, error),
    };
    if exists && seen.includes(station) && !note.is_empty() && note.chars().count() <= 500 {
        let ack = AlertAck {
            alert: form.alert.clone(),
            note: note.to_string(),
            by: user.username.clone(),
            at: (state.clock)(),
        };
        if let Err(error) = state.store.ack_alert(election.id, &ack).await {
            return page_error(lang, &user, error.into());
        }
    }
    Redirect::to(&back).into_response()
}
