//! Pages for headquarters, rendered on the server (issue 3 §5): Persian first
//! (right to left, Persian digits, Jalali dates, the Vazirmatn font served by
//! sandoq itself), English with `?lang=en`. Today: sign-in, the overview of
//! elections with turnout, and the audit log. Every page marks a training
//! election as «آموزشی / TRAINING».
//!
//! Invariants: every value written into HTML is escaped; no page loads anything
//! from another host; the session is the same cookie as the API's.

pub mod dashboard;
pub mod drills;
pub mod minutes;
pub mod results;
pub mod setup;

use crate::http::{people, AppError, AppState};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use sandoq_i18n::{localise, number, Lang};
use sandoq_store::{ElectionKind, Role, Store, Timestamp, User};
use serde::Deserialize;

const FONT_ARABIC_400: &[u8] =
    include_bytes!("../../assets/fonts/vazirmatn-arabic-400-normal.woff2");
const FONT_ARABIC_700: &[u8] =
    include_bytes!("../../assets/fonts/vazirmatn-arabic-700-normal.woff2");
const FONT_LATIN_400: &[u8] = include_bytes!("../../assets/fonts/vazirmatn-latin-400-normal.woff2");
const FONT_LATIN_700: &[u8] = include_bytes!("../../assets/fonts/vazirmatn-latin-700-normal.woff2");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview))
        .route("/sign-in", get(sign_in_page).post(sign_in_form))
        .route("/sign-out", post(sign_out))
        .route("/audit-log", get(audit_log))
        .route("/assets/fonts/{file}", get(font))
        .merge(setup::routes())
        .merge(results::routes())
        .merge(minutes::routes())
        .merge(dashboard::routes())
        .merge(drills::routes())
}

/// `?lang=en` for English; Persian otherwise.
#[derive(Debug, Deserialize, Default)]
pub struct LangQuery {
    #[serde(default)]
    lang: Option<String>,
}

impl LangQuery {
    fn lang(&self) -> Lang {
        if self.lang.as_deref() == Some("en") {
            Lang::En
        } else {
            Lang::Fa
        }
    }
}

fn t(lang: Lang, fa: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Fa => fa,
        Lang::En => en,
    }
}

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn lang_param(lang: Lang) -> &'static str {
    match lang {
        Lang::Fa => "",
        Lang::En => "?lang=en",
    }
}

/// An instant as a person in Tehran reads it: `۴ آذر ۱۴۰۵، ۰۹:۳۰`.
pub fn when(at: Timestamp, lang: Lang) -> String {
    let (date, hour, minute) = at.tehran();
    match lang {
        Lang::Fa => format!(
            "{}، {}",
            date.jalali_long(Lang::Fa),
            localise(&format!("{hour:02}:{minute:02}"), Lang::Fa)
        ),
        Lang::En => format!("{}, {hour:02}:{minute:02}", date.jalali_long(Lang::En)),
    }
}

const STYLE: &str = r#"
@font-face { font-family: Vazirmatn; font-weight: 400; font-display: swap; src: url(/assets/fonts/vazirmatn-arabic-400-normal.woff2) format("woff2");
  unicode-range: U+0600-06FF, U+0750-077F, U+0870-088E, U+0890-0891, U+0898-08E1, U+08E3-08FF, U+200C-200E, U+2010-2011, U+204F, U+2E41, U+FB50-FDFF, U+FE70-FE74, U+FE76-FEFC; }
@font-face { font-family: Vazirmatn; font-weight: 700; font-display: swap; src: url(/assets/fonts/vazirmatn-arabic-700-normal.woff2) format("woff2");
  unicode-range: U+0600-06FF, U+0750-077F, U+0870-088E, U+0890-0891, U+0898-08E1, U+08E3-08FF, U+200C-200E, U+2010-2011, U+204F, U+2E41, U+FB50-FDFF, U+FE70-FE74, U+FE76-FEFC; }
@font-face { font-family: Vazirmatn; font-weight: 400; font-display: swap; src: url(/assets/fonts/vazirmatn-latin-400-normal.woff2) format("woff2");
  unicode-range: U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+2000-206F, U+2074, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD; }
@font-face { font-family: Vazirmatn; font-weight: 700; font-display: swap; src: url(/assets/fonts/vazirmatn-latin-700-normal.woff2) format("woff2");
  unicode-range: U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+2000-206F, U+2074, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD; }
* { box-sizing: border-box; }
body { margin: 0; font-family: Vazirmatn, sans-serif; font-size: 18px; line-height: 1.7; color: #1d2733; background: #f4f6f8; }
header { display: flex; align-items: center; gap: 1.5rem; padding: 0.75rem 1.5rem; background: #14532d; color: #fff; flex-wrap: wrap; }
header h1 { font-size: 1.3rem; margin: 0; }
header nav { display: flex; gap: 1rem; flex: 1; }
header a, header button { color: #fff; font: inherit; }
header button { background: none; border: 1px solid #fff; border-radius: 6px; padding: 0.25rem 0.9rem; cursor: pointer; min-height: 44px; }
main { max-width: 1100px; margin: 1.5rem auto; padding: 0 1rem; }
.card { background: #fff; border-radius: 10px; padding: 1.25rem 1.5rem; margin-bottom: 1.25rem; box-shadow: 0 1px 3px rgba(0,0,0,0.12); }
.training { background: #b45309; color: #fff; text-align: center; font-weight: 700; padding: 0.35rem; letter-spacing: 0.05em; }
.badge { display: inline-block; border-radius: 999px; padding: 0 0.7rem; font-size: 0.85rem; background: #e2e8f0; }
.badge.training { background: #b45309; color: #fff; padding: 0 0.7rem; letter-spacing: 0; }
table { width: 100%; border-collapse: collapse; }
th, td { padding: 0.45rem 0.6rem; border-bottom: 1px solid #e2e8f0; text-align: start; }
th { background: #f8fafc; }
.numeric { font-variant-numeric: tabular-nums; }
form.sign-in { max-width: 420px; margin: 3rem auto; }
label { display: block; margin-top: 1rem; font-weight: 700; }
input { width: 100%; font: inherit; padding: 0.6rem 0.8rem; border: 1px solid #94a3b8; border-radius: 8px; min-height: 48px; }
button.primary { margin-top: 1.5rem; width: 100%; min-height: 52px; font: inherit; font-weight: 700; color: #fff; background: #14532d; border: 0; border-radius: 8px; cursor: pointer; }
.error { background: #fee2e2; color: #7f1d1d; border-radius: 8px; padding: 0.6rem 0.9rem; margin-top: 1rem; }
.muted { color: #64748b; }
.ok { background: #dcfce7; color: #14532d; border-radius: 8px; padding: 0.6rem 0.9rem; margin-top: 1rem; }
.subnav { margin: 0 0 1rem; }
select { width: 100%; font: inherit; padding: 0.6rem 0.8rem; border: 1px solid #94a3b8; border-radius: 8px; min-height: 48px; background: #fff; }
form.inline { display: flex; gap: 0.5rem; align-items: center; }
form.inline input[type=file] { min-height: 40px; padding: 0.3rem; }
form.inline button { white-space: nowrap; font: inherit; min-height: 40px; border-radius: 8px; border: 1px solid #14532d; background: #fff; color: #14532d; cursor: pointer; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
img.photo { border-radius: 50%; object-fit: cover; background: #e2e8f0; }
ul.devices { margin: 0; padding-inline-start: 1rem; font-size: 0.9rem; }
table.report td { vertical-align: top; }
"#;

/// The frame of every page.
fn layout(
    lang: Lang,
    title: &str,
    user: Option<&User>,
    training: bool,
    body: &str,
    here: &str,
) -> Html<String> {
    let (html_lang, dir) = match lang {
        Lang::Fa => ("fa", "rtl"),
        Lang::En => ("en", "ltr"),
    };
    let switch = match lang {
        Lang::Fa => format!(r#"<a href="{here}?lang=en" lang="en">English</a>"#),
        Lang::En => format!(r#"<a href="{here}" lang="fa">فارسی</a>"#),
    };
    let nav = match user {
        Some(user) => {
            let users = if user.role == Role::Hq {
                format!(
                    r#"<a href="/users{}">{}</a>"#,
                    lang_param(lang),
                    t(lang, "کاربران و نقش‌ها", "Users and roles")
                )
            } else {
                String::new()
            };
            let audit = if matches!(user.role, Role::Hq | Role::Supervisor) {
                format!(
                    r#"<a href="/audit-log{}">{}</a>"#,
                    lang_param(lang),
                    t(lang, "گزارش رویدادها", "Audit log")
                )
            } else {
                String::new()
            };
            format!(
                r#"<nav><a href="/{q}">{overview}</a>{users}{audit}</nav><span class="muted" style="color:#d1fae5">{name} · {role}</span>
<form method="post" action="/sign-out{q}"><button type="submit">{out}</button></form>"#,
                q = lang_param(lang),
                overview = t(lang, "نمای کلی", "Overview"),
                name = escape(&user.username),
                role = escape(user.role.name()),
                out = t(lang, "خروج", "Sign out"),
            )
        }
        None => "<nav></nav>".to_string(),
    };
    let banner = if training {
        r#"<div class="training">آموزشی / TRAINING</div>"#
    } else {
        ""
    };
    Html(format!(
        r#"<!doctype html>
<html lang="{html_lang}" dir="{dir}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — {brand}</title><style>{STYLE}</style></head>
<body>{banner}<header><h1>{brand}</h1>{nav}{switch}</header>
<main>{body}</main></body></html>"#,
        title = escape(title),
        brand = t(lang, "صندوق", "sandoq"),
    ))
}

async fn font(axum::extract::Path(file): axum::extract::Path<String>) -> Response {
    let bytes = match file.as_str() {
        "vazirmatn-arabic-400-normal.woff2" => FONT_ARABIC_400,
        "vazirmatn-arabic-700-normal.woff2" => FONT_ARABIC_700,
        "vazirmatn-latin-400-normal.woff2" => FONT_LATIN_400,
        "vazirmatn-latin-700-normal.woff2" => FONT_LATIN_700,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            ("content-type", "font/woff2"),
            ("cache-control", "public, max-age=86400"),
        ],
        bytes,
    )
        .into_response()
}

fn sign_in_html(lang: Lang, error: Option<&AppError>) -> Html<String> {
    let error = error
        .map(|e| {
            let text = match lang {
                Lang::Fa => &e.fa,
                Lang::En => &e.en,
            };
            format!(
                r#"<div class="error" role="alert" data-code="{}">{}</div>"#,
                escape(e.code),
                escape(text)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<form class="card sign-in" method="post" action="/sign-in{q}">
<h2>{title}</h2>
<label for="username">{user}</label><input id="username" name="username" autocomplete="username" required>
<label for="password">{pass}</label><input id="password" name="password" type="password" autocomplete="current-password" required>
{error}<button class="primary" type="submit">{go}</button></form>"#,
        q = lang_param(lang),
        title = t(
            lang,
            "ورود ستاد انتخابات",
            "Sign in to election headquarters"
        ),
        user = t(lang, "نام کاربری", "Username"),
        pass = t(lang, "گذرواژه", "Password"),
        go = t(lang, "ورود", "Sign in"),
    );
    layout(
        lang,
        t(lang, "ورود", "Sign in"),
        None,
        false,
        &body,
        "/sign-in",
    )
}

async fn sign_in_page(Query(query): Query<LangQuery>) -> Html<String> {
    sign_in_html(query.lang(), None)
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    username: String,
    password: String,
}

async fn sign_in_form(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = query.lang();
    let now = (state.clock)();
    let user = match people::sign_in(&state.store, &form.username, &form.password, now).await {
        Ok(user) => user,
        Err(error) => return (error.status, sign_in_html(lang, Some(&error))).into_response(),
    };
    let (token, hash) = people::new_session_token();
    if let Err(error) = state
        .store
        .create_session(
            user.id,
            &hash,
            Timestamp(now.0 + people::SESSION_SECONDS),
            now,
        )
        .await
    {
        let error = AppError::from(error);
        return (error.status, sign_in_html(lang, Some(&error))).into_response();
    }
    (
        [("set-cookie", people::session_cookie(&token))],
        Redirect::to(&format!("/{}", lang_param(lang))),
    )
        .into_response()
}

async fn sign_out(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = people::session_token(&headers) {
        let _ = state
            .store
            .delete_session(&people::token_hash(&token))
            .await;
    }
    (
        [("set-cookie", people::cleared_cookie())],
        Redirect::to(&format!("/sign-in{}", lang_param(query.lang()))),
    )
        .into_response()
}

/// The signed-in person, or the response to send instead (the sign-in page, or a refusal).
async fn page_user(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    allowed: &[Role],
) -> Result<User, Response> {
    match people::require(&state.store, headers, (state.clock)(), allowed).await {
        Ok(user) => Ok(user),
        Err(error) if error.status == StatusCode::UNAUTHORIZED => {
            Err(Redirect::to(&format!("/sign-in{}", lang_param(lang))).into_response())
        }
        Err(error) => {
            let text = match lang {
                Lang::Fa => &error.fa,
                Lang::En => &error.en,
            };
            let body = format!(
                r#"<div class="card error" role="alert" data-code="{}">{}</div>"#,
                escape(error.code),
                escape(text)
            );
            Err((
                error.status,
                layout(
                    lang,
                    t(lang, "دسترسی ندارید", "Not allowed"),
                    None,
                    false,
                    &body,
                    "/",
                ),
            )
                .into_response())
        }
    }
}

async fn overview(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let user = match page_user(&state, &headers, lang, &Role::ALL).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let elections = match state.store.elections().await {
        Ok(elections) => elections,
        Err(error) => return AppError::from(error).into_response(),
    };
    let mut body = String::new();
    if elections.is_empty() {
        body.push_str(&format!(
            r#"<div class="card muted">{}</div>"#,
            t(
                lang,
                "هنوز انتخاباتی تعریف نشده است.",
                "No election has been defined yet."
            )
        ));
    }
    let any_training = elections
        .iter()
        .any(|e| e.spec.kind == ElectionKind::Training);
    for election in &elections {
        let spec = &election.spec;
        let name = match lang {
            Lang::Fa => &spec.name_fa,
            Lang::En => &spec.name_en,
        };
        let kind = match spec.kind {
            ElectionKind::Training => {
                r#"<span class="badge training">آموزشی / TRAINING</span>"#.to_string()
            }
            ElectionKind::Live => {
                format!(r#"<span class="badge">{}</span>"#, t(lang, "واقعی", "live"))
            }
        };
        // An executive board or a station official counts only the stations it sees.
        let seen = match crate::http::scope::stations_seen(&state.store, election.id, &user).await {
            Ok(seen) => seen,
            Err(error) => return AppError::from(error).into_response(),
        };
        let mut turnout = match state.store.turnout(election.id).await {
            Ok(turnout) => turnout,
            Err(error) => return AppError::from(error).into_response(),
        };
        turnout.retain(|b| seen.includes(&b.station));
        let total: u64 = turnout.iter().map(|b| b.check_ins).sum();
        let rows: String = turnout
            .iter()
            .map(|b| {
                format!(
                    r#"<tr><td>{}</td><td>{}</td><td class="numeric">{}</td></tr>"#,
                    escape(&sandoq_i18n::code(&b.station, lang)),
                    escape(&when(b.hour_start, lang)),
                    number(b.check_ins, lang)
                )
            })
            .collect();
        let table = if rows.is_empty() {
            format!(
                r#"<p class="muted">{}</p>"#,
                t(
                    lang,
                    "هنوز کسی پذیرش نشده است.",
                    "Nobody has checked in yet."
                )
            )
        } else {
            format!(
                r#"<table><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>"#,
                t(lang, "شعبه", "Station"),
                t(lang, "ساعت (به وقت تهران)", "Hour (Tehran time)"),
                t(lang, "پذیرش‌ها", "Check-ins")
            )
        };
        body.push_str(&format!(
            r#"<section class="card" data-election="{id}"><h2>{name} {kind}</h2>
<p>{day_label}: <strong class="polling-day">{day}</strong> · {hours_label}: <span class="hours">{hours}</span> · {seats_label}: {seats} · {area_label}: <bdi>{area}</bdi></p>
<p>{status_label}: <strong class="status" data-status="{status_code}">{status}</strong></p>
<p>{total_label}: <strong class="numeric total">{total}</strong></p>{links}{table}</section>"#,
            links = setup::election_nav(lang, election, &user),
            id = election.id.0,
            name = escape(name),
            day_label = t(lang, "روز رأی‌گیری", "Polling day"),
            day = escape(&spec.polling_day.jalali_long(lang)),
            hours_label = t(lang, "ساعت رأی‌گیری", "Polling hours"),
            hours = escape(&localise(
                &format!(
                    "{} {} {}",
                    sandoq_store::PollingHours::text(spec.hours.opens),
                    t(lang, "تا", "to"),
                    sandoq_store::PollingHours::text(spec.hours.closes)
                ),
                lang
            )),
            status_label = t(lang, "وضعیت", "Status"),
            status_code = election.status.name(),
            status = match election.status {
                sandoq_store::ElectionStatus::Setup => t(lang, "در حال آماده‌سازی", "being set up"),
                sandoq_store::ElectionStatus::Voting => t(lang, "رأی‌گیری", "voting"),
                sandoq_store::ElectionStatus::Closed => t(lang, "پایان رأی‌گیری", "closed"),
            },
            seats_label = t(lang, "کرسی‌ها", "Seats"),
            seats = number(spec.seats, lang),
            area_label = t(lang, "حوزهٔ انتخابیه", "Constituency"),
            area = escape(&spec.constituency),
            total_label = t(lang, "پذیرش‌شدگان تا این لحظه", "Checked in so far"),
            total = number(total, lang),
        ));
    }
    layout(
        lang,
        t(lang, "نمای کلی", "Overview"),
        Some(&user),
        any_training,
        &body,
        "/",
    )
    .into_response()
}

async fn audit_log(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let user = match page_user(&state, &headers, lang, &[Role::Hq, Role::Supervisor]).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let entries = match state.store.audit_log(500).await {
        Ok(entries) => entries,
        Err(error) => return AppError::from(error).into_response(),
    };
    let rows: String = entries
        .iter()
        .map(|e| {
            format!(
                r#"<tr><td>{}</td><td dir="auto">{}</td><td dir="auto">{}</td><td dir="auto">{}</td></tr>"#,
                escape(&when(e.at, lang)),
                escape(&e.actor),
                escape(&e.action),
                escape(&e.detail)
            )
        })
        .collect();
    let body = format!(
        r#"<section class="card"><h2>{title}</h2><p class="muted">{note}</p>
<table><thead><tr><th>{at}</th><th>{who}</th><th>{what}</th><th>{detail}</th></tr></thead><tbody>{rows}</tbody></table></section>"#,
        title = t(
            lang,
            "گزارش رویدادهای اداری",
            "Audit log of administrative actions"
        ),
        note = t(
            lang,
            "فقط افزودنی است: هیچ ردیفی ویرایش یا پاک نمی‌شود.",
            "Append-only: no line is ever changed or removed."
        ),
        at = t(lang, "زمان", "When"),
        who = t(lang, "کننده", "Who"),
        what = t(lang, "کار", "What"),
        detail = t(lang, "جزئیات", "Detail"),
    );
    layout(
        lang,
        t(lang, "گزارش رویدادها", "Audit log"),
        Some(&user),
        false,
        &body,
        "/audit-log",
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_and_dates() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        let at = Timestamp::from_tehran(
            sandoq_registry::Date::from_jalali(1405, 9, 4).unwrap(),
            9,
            30,
        );
        assert_eq!(when(at, Lang::Fa), "۴ آذر ۱۴۰۵، ۰۹:۳۰");
        assert_eq!(when(at, Lang::En), "4 Azar 1405, 09:30");
    }
}
