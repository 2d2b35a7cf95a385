//! Drills for station officials (issue 6 §4), from the headquarters pages: a trainer picks a
//! station of a training election that has not opened, starts a drill, hands the officials the
//! drill card, and reads the checklist and the written debrief as they work. Supervisors can read
//! drills; only headquarters starts them. A live election has no drill page.

use super::setup::{context, election_nav, error_box, page_error};
use super::{escape, layout, t, when, LangQuery};
use crate::drill::{self, PRACTICES};
use crate::http::{AppError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use sandoq_i18n::{code, number, Lang};
use sandoq_store::{Election, ElectionKind, Role, Store, User};
use serde::Deserialize;

const READS: [Role; 2] = [Role::Hq, Role::Supervisor];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/elections/{election}/drills",
            get(drills_page).post(start_form),
        )
        .route("/elections/{election}/drills/{drill}", get(drill_page))
}

async fn list_html(
    state: &AppState,
    lang: Lang,
    user: &User,
    election: &Election,
    error: Option<&AppError>,
) -> Result<String, AppError> {
    let id = election.id.0;
    let q = super::lang_param(lang);
    let drills = state.store.drills(election.id).await?;
    let statuses = state.store.station_statuses(election.id).await?;
    let mut body = election_nav(lang, election, user);
    if user.role == Role::Hq {
        let options: String = state
            .store
            .stations(election.id)
            .await?
            .iter()
            .filter(|s| {
                !statuses
                    .iter()
                    .any(|st| st.station == s.code && st.state != "setup")
            })
            .map(|s| {
                format!(
                    r#"<option value="{v}">{c} — {name}</option>"#,
                    v = escape(&s.code),
                    c = escape(&code(&s.code, lang)),
                    name = escape(match lang {
                        Lang::Fa => &s.name_fa,
                        Lang::En => &s.name_en,
                    }),
                )
            })
            .collect();
        let form = if options.is_empty() {
            format!(
                r#"<p class="muted" id="no-station">{}</p>"#,
                t(
                    lang,
                    "همهٔ شعبه‌های این انتخابات گشوده شده‌اند؛ تمرین تازه‌ای آغاز نمی‌شود.",
                    "Every station of this election has opened: no new drill can start."
                )
            )
        } else {
            format!(
                r#"<form method="post" action="/elections/{id}/drills{q}"><label for="station">{station}</label>
<select id="station" name="station" required>{options}</select>
<button class="primary" type="submit">{go}</button></form>"#,
                station = t(lang, "شعبه", "Station"),
                go = t(lang, "آغاز تمرین", "Start the drill"),
            )
        };
        body.push_str(&format!(
            r#"<section class="card" id="start-drill"><h2>{title}</h2><p class="muted">{explain}</p>
{form}{error}</section>"#,
            title = t(lang, "آغاز تمرین برای مسئولان شعبه", "Start a drill for station officials"),
            explain = t(
                lang,
                "شعبه‌ای را برگزینید که هنوز گشوده نشده است. مسئولان شعبه با کارت تمرین، شعبه را می‌گشایند، افراد کارت را پذیرش یا رد می‌کنند، شعبه را می‌بندند و صورتجلسه را امضا کرده می‌فرستند؛ این صفحه آنچه را مرکز می‌بیند، گام‌به‌گام نشان می‌دهد.",
                "Pick a station that has not opened yet. With the drill card its officials open the station, check in or refuse the people on the card, close, co-sign and send the report; this page shows step by step what the centre sees."
            ),
            error = error.map(|e| error_box(lang, e)).unwrap_or_default(),
        ));
    }
    let mut rows = String::new();
    for d in &drills {
        let steps = state.store.drill_steps(d.id).await?;
        let done = drill::debrief(&steps).done();
        rows.push_str(&format!(
            r#"<tr class="drill" data-drill="{id_d}"><td><a href="/elections/{id}/drills/{id_d}{q}">{n}</a></td><td>{station}</td><td dir="auto">{by}</td><td>{at}</td><td class="numeric">{done} / {total}</td></tr>"#,
            id_d = d.id,
            n = number(d.id as u64, lang),
            station = escape(&code(&d.station, lang)),
            by = escape(&d.started_by),
            at = escape(&when(d.started_at, lang)),
            done = number(done as u64, lang),
            total = number(PRACTICES.len() as u64, lang),
        ));
    }
    let table = if rows.is_empty() {
        format!(
            r#"<p class="muted">{}</p>"#,
            t(
                lang,
                "هنوز تمرینی آغاز نشده است.",
                "No drill has been started yet."
            )
        )
    } else {
        format!(
            r#"<table id="drills"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>"#,
            t(lang, "تمرین", "Drill"),
            t(lang, "شعبه", "Station"),
            t(lang, "آغازکننده", "Started by"),
            t(lang, "زمان آغاز", "Started"),
            t(lang, "کارهای انجام‌شده", "Steps done"),
        )
    };
    body.push_str(&format!(
        r#"<section class="card"><h2>{}</h2>{table}</section>"#,
        t(lang, "تمرین‌ها", "Drills")
    ));
    Ok(body)
}

/// The reader and the election of a drills page: a training election only.
async fn training_context(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    election: i64,
) -> Result<(User, std::sync::Arc<Election>), Response> {
    let (user, election) = context(
        state,
        headers,
        lang,
        &READS,
        sandoq_store::ElectionId(election),
    )
    .await?;
    if election.spec.kind != ElectionKind::Training {
        return Err(page_error(lang, &user, drill::not_training()));
    }
    Ok((user, election))
}

async fn drills_page(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let (user, election) = match training_context(&state, &headers, lang, election).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match list_html(&state, lang, &user, &election, None).await {
        Ok(body) => page(lang, &user, &election, &body),
        Err(error) => page_error(lang, &user, error),
    }
}

fn page(lang: Lang, user: &User, election: &Election, body: &str) -> Response {
    layout(
        lang,
        t(lang, "تمرین مسئولان شعبه", "Drills for station officials"),
        Some(user),
        true,
        body,
        &format!("/elections/{}/drills", election.id.0),
    )
    .into_response()
}

#[derive(Debug, Deserialize)]
struct StartForm {
    station: String,
}

async fn start_form(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    form: Result<Form<StartForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = query.lang();
    let (user, election) = match context(
        &state,
        &headers,
        lang,
        &[Role::Hq],
        sandoq_store::ElectionId(election),
    )
    .await
    {
        Ok(found) => found,
        Err(response) => return response,
    };
    let station = form.map(|Form(f)| f.station).unwrap_or_default();
    let refused = match drill::refusal(&state.store, &election, station.trim()).await {
        Ok(refused) => refused,
        Err(error) => return page_error(lang, &user, error),
    };
    if let Some(error) = refused {
        if election.spec.kind != ElectionKind::Training {
            return page_error(lang, &user, error);
        }
        return match list_html(&state, lang, &user, &election, Some(&error)).await {
            Ok(body) => (error.status, page(lang, &user, &election, &body)).into_response(),
            Err(error) => page_error(lang, &user, error),
        };
    }
    let station = station.trim();
    let now = (state.clock)();
    let card = match drill::card(&state.store, &election, now.0 as u64).await {
        Ok(card) => drill::card_json(&card),
        Err(error) => return page_error(lang, &user, error),
    };
    let id = match state
        .store
        .start_drill(election.id, station, &card, &user.username, now)
        .await
    {
        Ok(id) => id,
        Err(error) => return page_error(lang, &user, error.into()),
    };
    state.drills.started(election.id, station);
    Redirect::to(&format!(
        "/elections/{}/drills/{id}{}",
        election.id.0,
        super::lang_param(lang)
    ))
    .into_response()
}

async fn drill_page(
    State(state): State<AppState>,
    Path((election, drill_id)): Path<(i64, i64)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let (user, election) = match training_context(&state, &headers, lang, election).await {
        Ok(found) => found,
        Err(response) => return response,
    };
    match drill_html(&state, lang, &user, &election, drill_id).await {
        Ok(body) => layout(
            lang,
            t(lang, "تمرین مسئولان شعبه", "Drills for station officials"),
            Some(&user),
            true,
            &body,
            &format!("/elections/{}/drills/{drill_id}", election.id.0),
        )
        .into_response(),
        Err(error) => page_error(lang, &user, error),
    }
}

async fn drill_html(
    state: &AppState,
    lang: Lang,
    user: &User,
    election: &Election,
    drill_id: i64,
) -> Result<String, AppError> {
    let Some(d) = state
        .store
        .drills(election.id)
        .await?
        .into_iter()
        .find(|d| d.id == drill_id)
    else {
        return Err(AppError::new(
            StatusCode::NOT_FOUND,
            "unknown_drill",
            "this election has no such drill",
            "این انتخابات چنین تمرینی ندارد",
        ));
    };
    let steps = state.store.drill_steps(d.id).await?;
    let debrief = drill::debrief(&steps);
    let card = drill::card_from_json(&d.card);
    let q = super::lang_param(lang);
    let mut body = election_nav(lang, election, user);
    let card_rows: String = card
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let typed = match &line.code {
                Some(c) => format!(r#"<code dir="ltr" class="code">{}</code>"#, escape(c)),
                None => format!(
                    r#"<span class="muted">{}</span>"#,
                    t(
                        lang,
                        "چنین کسی در این فهرست نیست؛ از این گام بگذرید",
                        "nobody of this kind in this registry: skip this step"
                    )
                ),
            };
            format!(
                r#"<tr data-practice="{p}"><td class="numeric">{n}</td><td>{typed}</td><td>{what}</td></tr>"#,
                p = line.practice,
                n = number(i as u64 + 1, lang),
                what = escape(match lang {
                    Lang::Fa => line.fa,
                    Lang::En => line.en,
                }),
            )
        })
        .collect();
    let card_section = format!(
        r#"<section class="card" id="card"><h2>{card_label} {n} — {station_label} {station}</h2><p>{before}</p>
<table><thead><tr><th>#</th><th>{code_h}</th><th>{what_h}</th></tr></thead><tbody>{card_rows}</tbody></table><p>{after}</p></section>"#,
        card_label = t(lang, "کارت تمرین", "Drill card"),
        n = number(d.id as u64, lang),
        station_label = t(lang, "شعبهٔ", "station"),
        station = escape(&code(&d.station, lang)),
        before = t(
            lang,
            "۱. سه مسئول شعبه وارد شوند و شعبه را بگشایند.",
            "1. Three of the station's officials sign in and open the station."
        ),
        code_h = t(lang, "کد ملی برای وارد کردن", "National code to type"),
        what_h = t(lang, "آنچه باید رخ دهد", "What should happen"),
        after = t(
            lang,
            "سپس شعبه را ببندید، صورتجلسه را سه مسئول امضا کنند و آن را بفرستید.",
            "Then close the station, have three officials co-sign the report, and send it."
        ),
    );
    let rows: String = debrief
        .checklist
        .iter()
        .map(|c| {
            let (mark, class, at) = match c.first_at {
                Some(at) => ("✓", "done", when(at, lang)),
                None => ("—", "missing", String::new()),
            };
            format!(
                r#"<tr class="step {class}" data-practice="{p}"><td>{mark}</td><td>{name}</td><td>{at}</td><td class="numeric">{count}</td></tr>"#,
                p = c.practice.id,
                name = escape(match lang {
                    Lang::Fa => c.practice.fa,
                    Lang::En => c.practice.en,
                }),
                at = escape(&at),
                // Only answers to check-ins and reports are events; a state or a counter comes
                // with every status the station sends, so how often says nothing.
                count = if c.first_at.is_some() && c.practice.counted() { number(c.count, lang) } else { String::new() },
            )
        })
        .collect();
    body.push_str(&format!(
        r#"<section class="card" id="debrief"><h2>{title}</h2>
<p class="written" id="written">{written}</p>
<table><thead><tr><th></th><th>{step_h}</th><th>{first_h}</th><th>{count_h}</th></tr></thead><tbody>{rows}</tbody></table>
<p><a href="/elections/{id}/drills/{drill_id}{q}">{refresh}</a> · <a href="/elections/{id}/drills{q}">{all}</a></p></section>"#,
        title = t(lang, "گزارش تمرین", "Debrief"),
        written = escape(&debrief.written(&d, lang)),
        step_h = t(lang, "کار", "Step"),
        first_h = t(lang, "نخستین بار", "First seen"),
        count_h = t(lang, "دفعه‌ها", "Times"),
        id = election.id.0,
        refresh = t(lang, "تازه کردن", "Refresh"),
        all = t(lang, "همهٔ تمرین‌ها", "All drills"),
    ));
    body.push_str(&card_section);
    Ok(body)
}
