//! Headquarters' setup pages (issue 3 §5): imports with their error reports,
//! lists and candidates with photos, stations and devices, incidents, users
//! and roles. Executive boards and station officials see only their own
//! stations (the same scoping as the API).

use super::{escape, layout, page_user, t, when, LangQuery};
use crate::http::scope::stations_seen;
use crate::http::setup_api::{incidents_seen, run_import, store_photo, MAX_IMPORT_BYTES};
use crate::http::{people, AppError, AppState};
use crate::tables::Format;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use sandoq_i18n::{code, number, Lang};
use sandoq_store::{
    AreaKind, DeviceKind, DeviceStatus, Election, ElectionId, ElectionKind, IncidentKind, Role,
    Store, User,
};
use serde::Deserialize;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/elections/{election}/imports",
            get(imports_page).post(imports_form),
        )
        .route(
            "/elections/{election}/candidates",
            get(candidates_page)
                .post(photo_form)
                .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
        .route("/elections/{election}/stations", get(stations_page))
        .route(
            "/elections/{election}/devices/{device}/revoke",
            axum::routing::post(revoke_form),
        )
        .route("/elections/{election}/incidents", get(incidents_page))
        .route("/users", get(users_page).post(users_form))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES))
}

const SEES_STATIONS: [Role; 4] = [Role::Hq, Role::Executive, Role::Supervisor, Role::Station];
/// Who watches the election-day dashboard (an executive board only its own area).
pub(super) const DASHBOARD: [Role; 3] = [Role::Hq, Role::Executive, Role::Supervisor];

fn text<'a>(lang: Lang, fa: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Fa => fa,
        Lang::En => en,
    }
}

pub fn role_name(role: Role, lang: Lang) -> &'static str {
    match role {
        Role::Hq => t(lang, "ستاد انتخابات", "Headquarters"),
        Role::Executive => t(lang, "هیئت اجرایی", "Executive board"),
        Role::Supervisor => t(lang, "هیئت نظارت", "Supervisory board"),
        Role::Station => t(lang, "مسئول شعبه", "Station official"),
        Role::Observer => t(lang, "ناظر عمومی", "Observer"),
    }
}

pub(super) fn error_box(lang: Lang, error: &AppError) -> String {
    format!(
        r#"<div class="error" role="alert" data-code="{}">{}</div>"#,
        escape(error.code),
        escape(text(lang, &error.fa, &error.en))
    )
}

/// The problems of a refused import, as a table.
fn report_table(lang: Lang, error: &AppError) -> String {
    let Some(report) = &error.report else {
        return error_box(lang, error);
    };
    let rows: String = report
        .problems
        .iter()
        .map(|p| {
            format!(
                r#"<tr data-code="{c}"><td class="numeric">{row}</td><td><bdi>{column}</bdi></td><td><code>{c}</code></td><td>{message}</td></tr>"#,
                row = number(p.row, lang),
                column = escape(p.column.unwrap_or("—")),
                c = escape(p.code),
                message = escape(text(lang, &p.fa, &p.en)),
            )
        })
        .collect();
    let more = if report.problems_found > report.problems.len() as u64 {
        format!(
            r#"<p class="muted">{} {}</p>"#,
            t(lang, "ایرادهای نشان‌داده‌نشده:", "Problems not listed:"),
            number(report.problems_found - report.problems.len() as u64, lang)
        )
    } else {
        String::new()
    };
    format!(
        r#"{}<table class="report"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>{more}"#,
        error_box(lang, error),
        t(lang, "ردیف", "Row"),
        t(lang, "ستون", "Column"),
        t(lang, "کد", "Code"),
        t(lang, "ایراد", "Problem"),
    )
}

/// The links of one election's pages.
pub fn election_nav(lang: Lang, election: &Election, user: &User) -> String {
    let id = election.id.0;
    let q = super::lang_param(lang);
    let mut links = vec![(
        format!("/elections/{id}/candidates{q}"),
        t(lang, "فهرست‌ها و نامزدها", "Lists and candidates"),
    )];
    if DASHBOARD.contains(&user.role) {
        links.push((
            format!("/dashboard/{id}{q}"),
            t(lang, "پایش روز رأی‌گیری", "Election-day dashboard"),
        ));
    }
    links.push((format!("/results/{id}{q}"), t(lang, "نتایج", "Results")));
    if SEES_STATIONS.contains(&user.role) {
        links.push((
            format!("/elections/{id}/stations{q}"),
            t(lang, "شعبه‌ها و دستگاه‌ها", "Stations and devices"),
        ));
        links.push((
            format!("/elections/{id}/incidents{q}"),
            t(lang, "رخدادها", "Incidents"),
        ));
    }
    if training(election) && matches!(user.role, Role::Hq | Role::Supervisor) {
        links.push((
            format!("/elections/{id}/drills{q}"),
            t(lang, "تمرین مسئولان شعبه", "Drills"),
        ));
    }
    if user.role == Role::Hq {
        links.push((
            format!("/elections/{id}/imports{q}"),
            t(lang, "درون‌ریزی", "Imports"),
        ));
    }
    let name = text(lang, &election.spec.name_fa, &election.spec.name_en);
    let links: String = links
        .iter()
        .map(|(href, label)| format!(r#"<a href="{href}">{label}</a>"#))
        .collect::<Vec<_>>()
        .join(" · ");
    format!(
        r#"<p class="subnav"><strong>{}</strong> — {links}</p>"#,
        escape(name)
    )
}

/// The page's user and election, or the response to send instead.
pub(super) async fn context(
    state: &AppState,
    headers: &HeaderMap,
    lang: Lang,
    allowed: &[Role],
    election: ElectionId,
) -> Result<(User, std::sync::Arc<Election>), Response> {
    let user = page_user(state, headers, lang, allowed).await?;
    match state.election(election).await {
        Ok(found) => Ok((user, found)),
        Err(error) => Err(page_error(lang, &user, error)),
    }
}

pub(super) fn page_error(lang: Lang, user: &User, error: AppError) -> Response {
    let body = format!(r#"<div class="card">{}</div>"#, error_box(lang, &error));
    (
        error.status,
        layout(lang, t(lang, "خطا", "Error"), Some(user), false, &body, "/"),
    )
        .into_response()
}

fn training(election: &Election) -> bool {
    election.spec.kind == ElectionKind::Training
}

const IMPORT_KINDS: [(&str, &str, &str, &str); 5] = [
    (
        "areas",
        "شهرستان‌ها و بخش‌ها",
        "Counties and districts",
        "code,kind,parent,name_fa,name_en",
    ),
    (
        "stations",
        "شعبه‌ها",
        "Polling stations",
        "code,district,name_fa,name_en,address",
    ),
    (
        "devices",
        "دستگاه‌های شعبه",
        "Station devices",
        "station,kind,public_key",
    ),
    (
        "candidates",
        "فهرست‌ها و نامزدها",
        "Lists and candidates",
        "type,code,list,name_fa,name_en",
    ),
    (
        "registry",
        "فهرست واجدان شرایط",
        "Registry of eligible voters",
        "national_code,birth_date,constituency,deceased,barred",
    ),
];

fn imports_html(
    lang: Lang,
    user: &User,
    election: &Election,
    outcome: Option<(&str, Result<String, AppError>)>,
) -> Html<String> {
    let id = election.id.0;
    let q = super::lang_param(lang);
    let mut body = election_nav(lang, election, user);
    for (kind, fa, en, columns) in IMPORT_KINDS {
        let result = match &outcome {
            Some((done, Ok(message))) if *done == kind => {
                format!(r#"<div class="ok" role="status">{}</div>"#, escape(message))
            }
            Some((done, Err(error))) if *done == kind => report_table(lang, error),
            _ => String::new(),
        };
        let formats = t(lang, "CSV یا JSON", "CSV or JSON");
        body.push_str(&format!(
            r#"<section class="card" id="import-{kind}"><h2>{title}</h2>
<p class="muted">{formats} · {columns_label}: <code dir="ltr">{columns}</code></p>
<form method="post" action="/elections/{id}/imports{q}" enctype="multipart/form-data">
<input type="hidden" name="kind" value="{kind}">
<label for="file-{kind}">{file_label}</label><input id="file-{kind}" name="file" type="file" accept=".csv,.json" required>
<button class="primary" type="submit">{go}</button></form>{result}</section>"#,
            title = text(lang, fa, en),
            columns_label = t(lang, "ستون‌ها", "Columns"),
            file_label = t(lang, "پرونده", "File"),
            go = t(lang, "درون‌ریزی (همه یا هیچ)", "Import (all or nothing)"),
        ));
    }
    layout(
        lang,
        t(lang, "درون‌ریزی", "Imports"),
        Some(user),
        training(election),
        &body,
        &format!("/elections/{id}/imports"),
    )
}

async fn imports_page(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    match context(&state, &headers, lang, &[Role::Hq], ElectionId(election)).await {
        Ok((user, election)) => imports_html(lang, &user, &election, None).into_response(),
        Err(response) => response,
    }
}

/// Reads the uploaded form: its text fields and the one file (bytes and file name).
async fn read_form(
    mut multipart: Multipart,
) -> Result<(HashMap<String, String>, Vec<u8>, String), AppError> {
    let bad = || {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_upload",
            "the upload could not be read (too large, or not a form)",
            "بارگذاری خوانده نشد (بیش از اندازه یا فرم نادرست)",
        )
    };
    let mut fields = HashMap::new();
    let mut file = Vec::new();
    let mut file_name = String::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            file_name = field.file_name().unwrap_or("").to_string();
            file = field.bytes().await.map_err(|_| bad())?.to_vec();
        } else {
            fields.insert(name, field.text().await.map_err(|_| bad())?);
        }
    }
    Ok((fields, file, file_name))
}

async fn imports_form(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let lang = query.lang();
    let (user, election) =
        match context(&state, &headers, lang, &[Role::Hq], ElectionId(election)).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let form = match multipart {
        Ok(multipart) => read_form(multipart).await,
        Err(_) => Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_upload",
            "send the file with the form",
            "پرونده را با همین فرم بفرستید",
        )),
    };
    let (fields, file, file_name) = match form {
        Ok(form) => form,
        Err(error) => return page_error(lang, &user, error),
    };
    let kind = fields.get("kind").cloned().unwrap_or_default();
    let Some(&(kind, ..)) = IMPORT_KINDS.iter().find(|k| k.0 == kind) else {
        return page_error(
            lang,
            &user,
            AppError::new(
                StatusCode::BAD_REQUEST,
                "unknown_import",
                "unknown import",
                "درون‌ریزی ناشناخته",
            ),
        );
    };
    let format = if file_name.to_ascii_lowercase().ends_with(".json") {
        Format::Json
    } else {
        Format::Csv
    };
    let actor = format!("user:{}", user.username);
    let result = run_import(&state, election.id, kind, &file, format, &actor)
        .await
        .map(|answer| {
            let n = answer["imported"].as_u64().unwrap_or(0);
            match lang {
                Lang::Fa => format!("{} ردیف وارد شد.", number(n, lang)),
                Lang::En => format!("{n} rows imported."),
            }
        });
    let status = match &result {
        Ok(_) => StatusCode::OK,
        Err(error) => error.status,
    };
    (
        status,
        imports_html(lang, &user, &election, Some((kind, result))),
    )
        .into_response()
}

fn definition_of(canonical: &str) -> serde_json::Value {
    serde_json::from_str(canonical).unwrap_or_default()
}

async fn candidates_html(
    state: &AppState,
    lang: Lang,
    user: &User,
    election: &Election,
    message: Option<Result<String, AppError>>,
) -> Result<Html<String>, AppError> {
    let id = election.id.0;
    let q = super::lang_param(lang);
    let mut body = election_nav(lang, election, user);
    match message {
        Some(Ok(done)) => body.push_str(&format!(
            r#"<div class="ok" role="status">{}</div>"#,
            escape(&done)
        )),
        Some(Err(error)) => body.push_str(&error_box(lang, &error)),
        None => {}
    }
    let Some((canonical, hash)) = state.store.definition(election.id).await? else {
        body.push_str(&format!(
            r#"<div class="card muted">{}</div>"#,
            t(
                lang,
                "هنوز فهرست و نامزدی وارد نشده است.",
                "No lists or candidates have been imported yet."
            )
        ));
        return Ok(layout(
            lang,
            t(lang, "فهرست‌ها و نامزدها", "Lists and candidates"),
            Some(user),
            training(election),
            &body,
            &format!("/elections/{id}/candidates"),
        ));
    };
    let export = crate::definition::export(&state.store, election).await?;
    let photos: HashMap<String, String> = state
        .store
        .photo_hashes(election.id)
        .await?
        .into_iter()
        .collect();
    body.push_str(&format!(
        r#"<section class="card"><p>{def_label}: <code class="hash" dir="ltr">{hash}</code></p><p>{export_label}: <code class="export-hash" dir="ltr">{export}</code></p><p class="muted">{note}</p></section>"#,
        def_label = t(lang, "چکیدهٔ تعریف (SHA-256)", "Definition hash (SHA-256)"),
        export_label = t(lang, "چکیدهٔ برون‌بری برای شعبه‌ها", "Export hash stations check"),
        export = escape(&export.map(|e| e.1).unwrap_or_default()),
        note = t(lang, "هر شعبه پیش از گشایش همین چکیده را با نسخهٔ خود می‌سنجد.", "Every station compares this hash with its own copy before opening."),
    ));
    let definition = definition_of(&canonical);
    let hq = user.role == Role::Hq;
    let candidate_row = |c: &serde_json::Value| -> String {
        let code_text = c["code"].as_str().unwrap_or("");
        let photo = if photos.contains_key(code_text) {
            format!(
                r#"<img class="photo" src="/api/elections/{id}/photos/{c}" alt="{alt}" width="56" height="56">"#,
                c = escape(code_text),
                alt = escape(
                    c[if lang == Lang::Fa {
                        "name_fa"
                    } else {
                        "name_en"
                    }]
                    .as_str()
                    .unwrap_or("")
                )
            )
        } else {
            format!(
                r#"<span class="no-photo muted">{}</span>"#,
                t(lang, "بی‌عکس", "no photo")
            )
        };
        let upload = if hq {
            format!(
                r#"<form class="inline" method="post" action="/elections/{id}/candidates{q}" enctype="multipart/form-data"><input type="hidden" name="candidate" value="{c}"><label class="sr" for="photo-{c}">{label}</label><input id="photo-{c}" name="file" type="file" accept="image/jpeg,image/png" required><button type="submit">{go}</button></form>"#,
                c = escape(code_text),
                label = t(lang, "عکس", "Photo"),
                go = t(lang, "بارگذاری عکس", "Upload photo"),
            )
        } else {
            String::new()
        };
        format!(
            r#"<tr data-candidate="{raw}"><td>{photo}</td><td class="numeric"><bdi>{code}</bdi></td><td>{name}</td><td>{upload}</td></tr>"#,
            raw = escape(code_text),
            code = escape(&code(code_text, lang)),
            name = escape(
                c[if lang == Lang::Fa {
                    "name_fa"
                } else {
                    "name_en"
                }]
                .as_str()
                .unwrap_or("")
            ),
        )
    };
    let table = |title: String, candidates: &[serde_json::Value]| -> String {
        let rows: String = candidates.iter().map(&candidate_row).collect();
        format!(
            r#"<section class="card"><h2>{title}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th></th></tr></thead><tbody>{rows}</tbody></table></section>"#,
            t(lang, "عکس", "Photo"),
            t(lang, "کد", "Code"),
            t(lang, "نام", "Name"),
        )
    };
    for list in definition["lists"].as_array().into_iter().flatten() {
        let list_code = list["code"].as_str().unwrap_or("");
        let name = list[if lang == Lang::Fa {
            "name_fa"
        } else {
            "name_en"
        }]
        .as_str()
        .unwrap_or("");
        let title = format!(
            "{} {} — {}",
            t(lang, "فهرست", "List"),
            escape(&code(list_code, lang)),
            escape(name)
        );
        body.push_str(&table(
            title,
            list["candidates"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        ));
    }
    let independents = definition["independents"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if !independents.is_empty() {
        body.push_str(&table(
            t(lang, "نامزدهای منفرد", "Independent candidates").to_string(),
            independents,
        ));
    }
    let _ = hash;
    Ok(layout(
        lang,
        t(lang, "فهرست‌ها و نامزدها", "Lists and candidates"),
        Some(user),
        training(election),
        &body,
        &format!("/elections/{id}/candidates"),
    ))
}

async fn candidates_page(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let (user, election) =
        match context(&state, &headers, lang, &Role::ALL, ElectionId(election)).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    match candidates_html(&state, lang, &user, &election, None).await {
        Ok(html) => html.into_response(),
        Err(error) => page_error(lang, &user, error),
    }
}

async fn photo_form(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let lang = query.lang();
    let (user, election) =
        match context(&state, &headers, lang, &[Role::Hq], ElectionId(election)).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let outcome = match multipart {
        Ok(multipart) => match read_form(multipart).await {
            Ok((fields, file, _)) => {
                let candidate = fields.get("candidate").cloned().unwrap_or_default();
                store_photo(
                    &state,
                    election.id,
                    &candidate,
                    &file,
                    &format!("user:{}", user.username),
                )
                .await
                .map(|photo| match lang {
                    Lang::Fa => format!("عکس نامزد {} ذخیره شد.", code(&photo.candidate, lang)),
                    Lang::En => format!("The photo of candidate {} is stored.", photo.candidate),
                })
            }
            Err(error) => Err(error),
        },
        Err(_) => Err(AppError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad_upload",
            "send the photo with the form",
            "عکس را با همین فرم بفرستید",
        )),
    };
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(error) => error.status,
    };
    match candidates_html(&state, lang, &user, &election, Some(outcome)).await {
        Ok(html) => (status, html).into_response(),
        Err(error) => page_error(lang, &user, error),
    }
}

async fn stations_page(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let (user, election) =
        match context(&state, &headers, lang, &SEES_STATIONS, ElectionId(election)).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    match stations_html(&state, lang, &user, &election).await {
        Ok(html) => html.into_response(),
        Err(error) => page_error(lang, &user, error),
    }
}

async fn stations_html(
    state: &AppState,
    lang: Lang,
    user: &User,
    election: &Election,
) -> Result<Html<String>, AppError> {
    let id = election.id;
    let seen = stations_seen(&state.store, id, user).await?;
    let areas = state.store.areas(id).await?;
    let area_name: HashMap<&str, &str> = areas
        .iter()
        .map(|a| (a.code.as_str(), text(lang, &a.name_fa, &a.name_en)))
        .collect();
    let county_of: HashMap<&str, &str> = areas
        .iter()
        .filter(|a| a.kind == AreaKind::District)
        .map(|a| (a.code.as_str(), a.parent.as_str()))
        .collect();
    let devices = state.store.devices(id).await?;
    let mut check_ins: HashMap<String, u64> = HashMap::new();
    for bucket in state.store.turnout(id).await? {
        *check_ins.entry(bucket.station).or_default() += bucket.check_ins;
    }
    let stations: Vec<_> = state
        .store
        .stations(id)
        .await?
        .into_iter()
        .filter(|s| seen.includes(&s.code))
        .collect();
    let rows: String = stations
        .iter()
        .map(|s| {
            let kit: String = devices
                .iter()
                .filter(|d| d.station == s.code)
                .map(|d| {
                    let kind = match d.kind {
                        DeviceKind::CheckInDesk => t(lang, "میز پذیرش", "check-in desk"),
                        DeviceKind::BallotBox => t(lang, "صندوق", "ballot box"),
                    };
                    let status = match d.status {
                        DeviceStatus::Active => t(lang, "فعال", "active"),
                        DeviceStatus::Revoked => t(lang, "باطل", "revoked"),
                    };
                    let revoke = if user.role == Role::Hq && d.status == DeviceStatus::Active {
                        format!(
                            r#" <form class="inline revoke" method="post" action="/elections/{}/devices/{}/revoke{}"><button type="submit">{}</button></form>"#,
                            election.id.0,
                            d.id.0,
                            super::lang_param(lang),
                            t(lang, "ابطال", "Revoke")
                        )
                    } else {
                        String::new()
                    };
                    format!(
                        r#"<li data-device="{id}">{kind} · <span class="device-status">{status}</span> · <code dir="ltr" title="{key}">{short}…</code>{revoke}</li>"#,
                        id = d.id.0,
                        key = escape(&d.public_key),
                        short = escape(&d.public_key[..d.public_key.len().min(12)]),
                    )
                })
                .collect();
            let district = s.district.as_str();
            let county = county_of.get(district).copied().unwrap_or("");
            format!(
                r#"<tr data-station="{raw}"><td><bdi>{code}</bdi></td><td>{name}</td><td>{district}</td><td>{county}</td><td>{address}</td><td><ul class="devices">{kit}</ul></td><td class="numeric">{count}</td></tr>"#,
                raw = escape(&s.code),
                code = escape(&code(&s.code, lang)),
                name = escape(text(lang, &s.name_fa, &s.name_en)),
                district = escape(area_name.get(district).copied().unwrap_or(district)),
                county = escape(area_name.get(county).copied().unwrap_or(county)),
                address = escape(&s.address),
                count = number(check_ins.get(&s.code).copied().unwrap_or(0), lang),
            )
        })
        .collect();
    let scope_note = match user.role {
        Role::Executive | Role::Station => format!(
            r#"<p class="muted scope">{} <bdi>{}</bdi></p>"#,
            t(
                lang,
                "فقط شعبه‌های محدودهٔ شما:",
                "Only the stations of your area:"
            ),
            escape(&user.scope)
        ),
        _ => String::new(),
    };
    let body = format!(
        r#"{nav}<section class="card"><h2>{title}</h2>{scope_note}<p>{count_label}: <strong class="numeric station-count">{count}</strong></p>
<table><thead><tr><th>{c}</th><th>{n}</th><th>{d}</th><th>{co}</th><th>{a}</th><th>{dev}</th><th>{ci}</th></tr></thead><tbody>{rows}</tbody></table></section>"#,
        nav = election_nav(lang, election, user),
        title = t(lang, "شعبه‌ها و دستگاه‌ها", "Stations and devices"),
        count_label = t(lang, "شمار شعبه‌ها", "Stations"),
        count = number(stations.len(), lang),
        c = t(lang, "کد", "Code"),
        n = t(lang, "نام", "Name"),
        d = t(lang, "بخش", "District"),
        co = t(lang, "شهرستان", "County"),
        a = t(lang, "نشانی", "Address"),
        dev = t(lang, "دستگاه‌ها", "Devices"),
        ci = t(lang, "پذیرش‌ها", "Check-ins"),
    );
    Ok(layout(
        lang,
        t(lang, "شعبه‌ها و دستگاه‌ها", "Stations and devices"),
        Some(user),
        training(election),
        &body,
        &format!("/elections/{}/stations", id.0),
    ))
}

async fn incidents_page(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let (user, election) =
        match context(&state, &headers, lang, &SEES_STATIONS, ElectionId(election)).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let incidents = match incidents_seen(&state, election.id, &user).await {
        Ok(found) => found,
        Err(error) => return page_error(lang, &user, error),
    };
    let rows: String = incidents
        .iter()
        .map(|i| {
            let (kind, first) = match i.kind {
                IncidentKind::DoubleVote => (
                    t(lang, "رأی دوگانه", "Double vote"),
                    format!(
                        "{} <bdi>{}</bdi> — {}",
                        t(lang, "شعبهٔ", "station"),
                        escape(&code(&i.first_station, lang)),
                        escape(&when(i.first_at, lang))
                    ),
                ),
                IncidentKind::Ineligible => (
                    t(lang, "فاقد شرایط", "Not eligible"),
                    format!("<code>{}</code>", escape(&i.detail)),
                ),
            };
            format!(
                r#"<tr data-kind="{k}"><td>{kind}</td><td class="numeric"><bdi>{nc}</bdi></td><td>{st} <bdi>{station}</bdi> — {at}</td><td>{first}</td></tr>"#,
                k = i.kind.name(),
                nc = escape(&sandoq_i18n::localise(&i.national_code, lang)),
                st = t(lang, "شعبهٔ", "station"),
                station = escape(&code(&i.station, lang)),
                at = escape(&when(i.at, lang)),
            )
        })
        .collect();
    let empty = if incidents.is_empty() {
        format!(
            r#"<p class="muted">{}</p>"#,
            t(
                lang,
                "رخدادی ثبت نشده است.",
                "No incident has been recorded."
            )
        )
    } else {
        String::new()
    };
    let body = format!(
        r#"{nav}<section class="card"><h2>{title}</h2><p class="muted">{note}</p>{empty}
<table><thead><tr><th>{k}</th><th>{nc}</th><th>{sync}</th><th>{first}</th></tr></thead><tbody>{rows}</tbody></table></section>"#,
        nav = election_nav(lang, &election, &user),
        title = t(lang, "رخدادهای پذیرش برون‌خط", "Incidents from offline check-ins"),
        note = t(
            lang,
            "پذیرش‌هایی که شعبه بی‌ارتباط با مرکز ثبت کرد و هنگام همگام‌سازی مشکل داشتند.",
            "Check-ins a station recorded while it could not reach the centre that showed a problem when synced."
        ),
        k = t(lang, "نوع", "Kind"),
        nc = t(lang, "کد ملی", "National code"),
        sync = t(lang, "پذیرش برون‌خط", "Offline check-in"),
        first = t(lang, "پذیرش پیشین / علت", "Earlier check-in / reason"),
    );
    layout(
        lang,
        t(lang, "رخدادها", "Incidents"),
        Some(&user),
        training(&election),
        &body,
        &format!("/elections/{}/incidents", election.id.0),
    )
    .into_response()
}

async fn users_html(
    state: &AppState,
    lang: Lang,
    user: &User,
    message: Option<Result<String, AppError>>,
) -> Result<Html<String>, AppError> {
    let users = state.store.users().await?;
    let rows: String = users
        .iter()
        .map(|u| {
            format!(
                r#"<tr data-user="{name}"><td dir="ltr">{name}</td><td>{role}</td><td><bdi>{scope}</bdi></td></tr>"#,
                name = escape(&u.username),
                role = role_name(u.role, lang),
                scope = escape(&u.scope),
            )
        })
        .collect();
    let message = match message {
        Some(Ok(done)) => format!(r#"<div class="ok" role="status">{}</div>"#, escape(&done)),
        Some(Err(error)) => error_box(lang, &error),
        None => String::new(),
    };
    let options: String = Role::ALL
        .iter()
        .map(|r| {
            format!(
                r#"<option value="{}">{}</option>"#,
                r.name(),
                role_name(*r, lang)
            )
        })
        .collect();
    let q = super::lang_param(lang);
    let body = format!(
        r#"<section class="card"><h2>{title}</h2><table><thead><tr><th>{u}</th><th>{r}</th><th>{s}</th></tr></thead><tbody>{rows}</tbody></table></section>
<section class="card"><h2>{new}</h2>{message}<form method="post" action="/users{q}">
<label for="username">{u}</label><input id="username" name="username" dir="ltr" required>
<label for="role">{r}</label><select id="role" name="role">{options}</select>
<label for="scope">{s}</label><input id="scope" name="scope" dir="ltr"><p class="muted">{scope_help}</p>
<label for="password">{p}</label><input id="password" name="password" type="password" autocomplete="new-password" required>
<button class="primary" type="submit">{go}</button></form></section>"#,
        title = t(lang, "کاربران و نقش‌ها", "Users and roles"),
        u = t(lang, "نام کاربری", "Username"),
        r = t(lang, "نقش", "Role"),
        s = t(lang, "محدوده", "Scope"),
        p = t(lang, "گذرواژه (دست‌کم ۱۲ نویسه)", "Password (at least 12 characters)"),
        new = t(lang, "کاربر تازه", "New user"),
        scope_help = t(
            lang,
            "برای هیئت اجرایی کد شهرستان یا بخش، برای مسئول شعبه کد شعبه؛ برای دیگران خالی.",
            "A county or district code for an executive board, a station code for a station official; empty otherwise."
        ),
        go = t(lang, "ساختن کاربر", "Create user"),
    );
    Ok(layout(
        lang,
        t(lang, "کاربران و نقش‌ها", "Users and roles"),
        Some(user),
        false,
        &body,
        "/users",
    ))
}

async fn users_page(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let user = match page_user(&state, &headers, lang, &[Role::Hq]).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    match users_html(&state, lang, &user, None).await {
        Ok(html) => html.into_response(),
        Err(error) => page_error(lang, &user, error),
    }
}

#[derive(Debug, Deserialize)]
struct NewUserForm {
    username: String,
    role: String,
    #[serde(default)]
    scope: String,
    password: String,
}

async fn users_form(
    State(state): State<AppState>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
    form: Result<Form<NewUserForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let lang = query.lang();
    let user = match page_user(&state, &headers, lang, &[Role::Hq]).await {
        Ok(user) => user,
        Err(response) => return response,
    };
    let outcome = match form {
        Ok(Form(form)) => {
            let created = people::create_user(
                &state.store,
                &user,
                &form.username,
                &form.role,
                &form.scope,
                &form.password,
                (state.clock)(),
            )
            .await
            .map(|_| form.username.clone());
            state.checks.users_changed();
            created
        }
        Err(_) => Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "bad_form",
            "the form could not be read",
            "فرم خوانده نشد",
        )),
    }
    .map(|name| match lang {
        Lang::Fa => format!("کاربر {name} ساخته شد."),
        Lang::En => format!("User {name} created."),
    });
    let status = match &outcome {
        Ok(_) => StatusCode::OK,
        Err(error) => error.status,
    };
    match users_html(&state, lang, &user, Some(outcome)).await {
        Ok(html) => (status, html).into_response(),
        Err(error) => page_error(lang, &user, error),
    }
}

/// Revokes a device from the stations page, then shows the page again.
async fn revoke_form(
    State(state): State<AppState>,
    Path((election, device)): Path<(i64, i64)>,
    Query(query): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = query.lang();
    let (user, election) =
        match context(&state, &headers, lang, &[Role::Hq], ElectionId(election)).await {
            Ok(found) => found,
            Err(response) => return response,
        };
    let actor = format!("user:{}", user.username);
    match state
        .store
        .revoke_device(
            election.id,
            sandoq_store::DeviceId(device),
            &actor,
            (state.clock)(),
        )
        .await
    {
        Ok(_) => {
            state.devices_changed();
            axum::response::Redirect::to(&format!(
                "/elections/{}/stations{}",
                election.id.0,
                super::lang_param(lang)
            ))
            .into_response()
        }
        Err(error) => page_error(lang, &user, AppError::from(error)),
    }
}
