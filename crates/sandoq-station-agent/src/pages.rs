//! The station's pages: the check-in desk, the ballot box (kiosk) and the printable report.
//! Persian first (right to left, Persian digits, Vazirmatn served from here), English with
//! `?lang=en`; large touch targets; everything works from the keyboard.

use crate::{Agent, LangQuery};
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use sandoq_i18n::persian_digits;
use serde_json::Value;

const FONT_ARABIC_400: &[u8] =
    include_bytes!("../../sandoq-central/assets/fonts/vazirmatn-arabic-400-normal.woff2");
const FONT_ARABIC_700: &[u8] =
    include_bytes!("../../sandoq-central/assets/fonts/vazirmatn-arabic-700-normal.woff2");
const FONT_LATIN_400: &[u8] =
    include_bytes!("../../sandoq-central/assets/fonts/vazirmatn-latin-400-normal.woff2");
const FONT_LATIN_700: &[u8] =
    include_bytes!("../../sandoq-central/assets/fonts/vazirmatn-latin-700-normal.woff2");

pub async fn font(UrlPath(file): UrlPath<String>) -> Response {
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

/// A QR code as inline SVG.
pub fn qr_svg(data: &str, size: u32) -> String {
    match qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(size, size)
            .quiet_zone(true)
            .build()
            .replace(r#"<?xml version="1.0" standalone="yes"?>"#, ""),
        Err(_) => String::new(),
    }
}

pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn english(query: &LangQuery) -> bool {
    query.get("lang").map(String::as_str) == Some("en")
}

const STYLE: &str = r#"
@font-face { font-family: Vazirmatn; font-weight: 400; src: url(/assets/fonts/vazirmatn-arabic-400-normal.woff2) format("woff2"); unicode-range: U+0600-06FF, U+200C-200E, U+FB50-FDFF, U+FE70-FEFF; }
@font-face { font-family: Vazirmatn; font-weight: 700; src: url(/assets/fonts/vazirmatn-arabic-700-normal.woff2) format("woff2"); unicode-range: U+0600-06FF, U+200C-200E, U+FB50-FDFF, U+FE70-FEFF; }
@font-face { font-family: Vazirmatn; font-weight: 400; src: url(/assets/fonts/vazirmatn-latin-400-normal.woff2) format("woff2"); unicode-range: U+0000-00FF, U+2000-206F; }
@font-face { font-family: Vazirmatn; font-weight: 700; src: url(/assets/fonts/vazirmatn-latin-700-normal.woff2) format("woff2"); unicode-range: U+0000-00FF, U+2000-206F; }
* { box-sizing: border-box; }
body { font-family: Vazirmatn, sans-serif; margin: 0; background: #f4f6f8; color: #17202a; font-size: 18px; }
header { background: #0b5345; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; justify-content: space-between; }
header h1 { font-size: 22px; margin: 0; }
header a { color: #fff; }
.training { background: #b7950b; color: #000; text-align: center; padding: 6px; font-weight: 700; }
main { padding: 16px 20px; max-width: 1200px; margin: 0 auto; }
section { background: #fff; border-radius: 10px; padding: 14px 18px; margin-bottom: 14px; box-shadow: 0 1px 3px rgba(0,0,0,.12); }
h2 { font-size: 20px; margin: 0 0 10px; }
label { display: block; margin: 8px 0 4px; }
input { font-family: inherit; font-size: 20px; padding: 10px; min-height: 52px; width: 100%; max-width: 420px; border: 2px solid #839192; border-radius: 8px; }
button { font-family: inherit; font-size: 20px; min-height: 56px; min-width: 120px; padding: 8px 18px; border-radius: 10px; border: 0; background: #117864; color: #fff; cursor: pointer; margin: 6px 4px; }
button.secondary { background: #5d6d7e; }
button.danger { background: #a93226; }
button:focus-visible, input:focus-visible { outline: 4px solid #f39c12; outline-offset: 2px; }
.error { background: #fadbd8; color: #78281f; border: 2px solid #c0392b; padding: 10px 14px; border-radius: 8px; margin: 8px 0; font-weight: 700; }
.ok { background: #d5f5e3; color: #145a32; border: 2px solid #1e8449; padding: 10px 14px; border-radius: 8px; margin: 8px 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(180px, 1fr)); gap: 8px; }
.figures div { background: #eaf2f8; border-radius: 8px; padding: 8px 12px; }
.figures b { display: block; font-size: 26px; }
.token { font-size: 44px; font-weight: 700; letter-spacing: 4px; direction: ltr; unicode-bidi: isolate; text-align: center; background: #fef9e7; border: 3px dashed #b7950b; border-radius: 10px; padding: 12px; }
.hidden { display: none !important; }
table { border-collapse: collapse; width: 100%; }
td, th { border: 1px solid #aab7b8; padding: 6px 8px; text-align: start; }
.ltr { direction: ltr; unicode-bidi: isolate; }
"#;

fn shell(en: bool, title: &str, body: &str, script: &str, extra_style: &str) -> String {
    let (lang, dir, other, other_label) = if en {
        ("en", "ltr", "?lang=fa", "فارسی")
    } else {
        ("fa", "rtl", "?lang=en", "English")
    };
    format!(
        r#"<!doctype html><html lang="{lang}" dir="{dir}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>{STYLE}{extra_style}</style></head><body>
<header><h1>{title}</h1><a id="lang-switch" href="{other}">{other_label}</a></header>
{body}<script>const EN = {en};
const fa = (x) => EN ? String(x) : String(x).replace(/[0-9]/g, d => "۰۱۲۳۴۵۶۷۸۹"[d]);
// Data never becomes markup: every value from the centre or the election goes through esc()
// before it is put into an HTML template.
const esc = (x) => String(x).replace(/[&<>"']/g, c => "&#" + c.charCodeAt(0) + ";");
const t = (f, e) => EN ? e : f;
async function call(method, url, body) {{
  const r = await fetch(url, {{method, headers: {{"content-type": "application/json"}}, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin"}});
  let data = null; try {{ data = await r.json(); }} catch (e) {{}}
  return {{status: r.status, data}};
}}
function errorText(data) {{ const e = (data && data.error) || {{}}; return {{code: e.code || "error", text: (EN ? e.en : e.fa) || t("خطا", "Error")}}; }}
{script}</script></body></html>"#,
        title = escape(title),
    )
}

// ----- the check-in desk ------------------------------------------------------------------

pub async fn desk(query: LangQuery) -> Html<String> {
    let en = english(&query);
    let tr = |f: &'static str, e: &'static str| if en { e } else { f };
    let body = format!(
        r#"<div id="training" class="training hidden">{training}</div>
<main>
<div id="message" role="status"></div>
<section><h2>{status_h}</h2>
 <p>{station_l}: <b id="station"></b> — {state_l}: <b id="state" data-state=""></b> — <span id="online"></span></p>
 <p id="day"></p>
 <div class="figures" id="figures"></div>
 <p id="present"></p>
</section>
<section id="check-in-section" class="hidden"><h2>{check_in_h}</h2>
 <form id="check-in-form"><label for="national-code">{code_l}</label><input id="national-code" class="ltr" inputmode="numeric" autocomplete="off" required>
 <div><button id="check-in" type="submit">{check_in_b}</button></div></form>
 <div id="check-in-result"></div>
</section>
<section id="sign-in-section"><h2>{sign_in_h}</h2>
 <form id="sign-in-form"><label for="username">{username_l}</label><input id="username" autocomplete="username" required>
 <label for="password">{password_l}</label><input id="password" type="password" autocomplete="current-password" required>
 <div><button id="sign-in" type="submit">{sign_in_b}</button><button id="sign-out" type="button" class="secondary">{sign_out_b}</button></div></form>
</section>
<section id="steps" class="hidden"><h2>{steps_h}</h2>
 <button id="open" type="button">{open_b}</button>
 <button id="close" type="button" class="danger">{close_b}</button>
 <form id="extend-form"><label for="extend-until">{extend_l}</label><input id="extend-until" class="ltr" placeholder="19:00" inputmode="numeric">
 <label for="extend-reason">{reason_l}</label><input id="extend-reason"><div><button id="extend" type="submit" class="secondary">{extend_b}</button></div></form>
 <form id="incident-form"><label for="incident-note">{incident_l}</label><input id="incident-note" maxlength="200">
 <div><button id="incident" type="submit" class="secondary">{incident_b}</button></div></form>
</section>
<section id="report-section" class="hidden"><h2>{report_h}</h2>
 <p id="report-state"></p><p><a id="report-link" href="/report{lang_q}">{report_link}</a></p>
 <form id="cosign-form"><label for="cosign-username">{username_l}</label><input id="cosign-username" required>
 <label for="cosign-password">{password_l}</label><input id="cosign-password" type="password" required>
 <div><button id="cosign" type="submit">{cosign_b}</button></div></form>
</section>
<section><h2>{boxes_h}</h2><p>{boxes_p}</p><p class="ltr" id="device-key"></p></section>
</main>"#,
        training = tr(
            "آموزشی / TRAINING — این شعبه در انتخابات واقعی به کار نمی‌رود",
            "TRAINING / آموزشی — not a real election"
        ),
        status_h = tr("وضعیت شعبه", "Station status"),
        station_l = tr("شعبه", "Station"),
        state_l = tr("وضعیت", "State"),
        sign_in_h = tr("ورود مسئولان شعبه", "Officials' sign-in"),
        username_l = tr("نام کاربری", "Username"),
        password_l = tr("گذرواژه", "Password"),
        sign_in_b = tr("ورود", "Sign in"),
        sign_out_b = tr("خروج", "Sign out"),
        steps_h = tr("گشودن، تمدید و بستن", "Open, extend, close"),
        open_b = tr("گشودن شعبه", "Open the station"),
        close_b = tr(
            "بستن شعبه و ساختن صورتجلسه",
            "Close the station and make the report"
        ),
        extend_l = tr("تمدید تا ساعت (به وقت تهران)", "Extend until (Tehran time)"),
        reason_l = tr("دلیل تمدید", "Reason"),
        extend_b = tr("تمدید ساعت رأی‌گیری", "Extend the hours"),
        check_in_h = tr("پذیرش رأی‌دهنده", "Check a voter in"),
        incident_l = tr(
            "ثبت رویداد در دفتر شعبه (بدون نام یا کد ملی کسی)",
            "Record an incident in the station's log (no one's name or national code)"
        ),
        incident_b = tr("ثبت رویداد", "Record the incident"),
        code_l = tr("کد ملی", "National code"),
        check_in_b = tr("پذیرش و صدور برگه", "Check in and issue a token"),
        report_h = tr("صورتجلسهٔ شعبه", "Station report"),
        report_link = tr("نمایش و چاپ صورتجلسه", "Show and print the report"),
        cosign_b = tr("امضای صورتجلسه", "Co-sign the report"),
        boxes_h = tr("صندوق‌ها", "Ballot boxes"),
        boxes_p = tr(
            "هر صندوق در نشانی ‎/box/1‎، ‎/box/2‎ و… باز می‌شود. کلید این دستگاه:",
            "Each ballot box opens at /box/1, /box/2, … This device's key:"
        ),
        lang_q = if en { "?lang=en" } else { "" },
    );
    Html(shell(
        en,
        if en {
            "sandoq — check-in desk"
        } else {
            "صندوق — میز پذیرش"
        },
        &body,
        DESK_SCRIPT,
        "",
    ))
}

const DESK_SCRIPT: &str = r###"
const STATES = {setup: ["آماده‌سازی", "setup"], open: ["گشوده", "open"], voting: ["رأی‌گیری", "voting"], closed: ["بسته", "closed"], reported: ["گزارش‌شده", "reported"], unregistered: ["در انتظار بستهٔ انتخابات از مرکز", "waiting for the centre's election package"]};
const $ = (id) => document.getElementById(id);
function show(kind, text, code) {
  const m = $("message");
  m.innerHTML = "";
  const d = document.createElement("div");
  d.className = kind; d.textContent = text; if (code) d.dataset.code = code;
  m.appendChild(d);
}
function fail(r) { const e = errorText(r.data); show("error", fa(e.text), e.code); }
function figure(label, value, id) { return `<div><span>${label}</span><b id="${id}">${esc(fa(value))}</b></div>`; }
async function refresh() {
  const r = await call("GET", "/api/status");
  const s = r.data || {};
  $("station").textContent = fa(s.station || "");
  const st = STATES[s.state] || [s.state, s.state];
  $("state").textContent = t(st[0], st[1]); $("state").dataset.state = s.state || "";
  $("training").classList.toggle("hidden", s.training === false);
  $("online").textContent = s.online === false ? t("ارتباط با مرکز قطع است", "centre unreachable") : (s.online ? t("ارتباط با مرکز برقرار است", "centre reachable") : "");
  $("online").dataset.online = String(s.online);
  $("device-key").textContent = s.device_key || "";
  if (s.polling_day_fa) $("day").textContent = t("روز رأی‌گیری: ", "Polling day: ") + (EN ? s.polling_day_en : s.polling_day_fa) + " — " + t("ساعت ", "hours ") + fa(s.opens + "–" + (s.extended_until || s.closes));
  const present = (s.officials_present || []).join("، ");
  $("present").textContent = t("مسئولان حاضر: ", "Officials present: ") + (present || "—") + " (" + t("برای گشودن لازم: ", "needed to open: ") + fa(s.officials_needed || 0) + ")";
  const signed = !!s.official;
  $("steps").classList.toggle("hidden", !signed);
  $("check-in-section").classList.toggle("hidden", !signed || !(s.state === "open" || s.state === "voting"));
  $("report-section").classList.toggle("hidden", !(s.state === "closed" || s.state === "reported"));
  if (s.tokens) {
    $("figures").innerHTML = figure(t("برگ‌های ریخته‌شده", "Ballots cast"), s.ballots, "f-ballots")
      + figure(t("برگه‌های صادرشده", "Tokens issued"), s.tokens.issued, "f-issued")
      + figure(t("برگه‌های به‌کاررفته", "Tokens used"), s.tokens.used, "f-used")
      + figure(t("برگه‌های باطل", "Tokens voided"), s.tokens.voided, "f-voided")
      + figure(t("پذیرش موقت در انتظار", "Provisional, waiting"), s.pending_provisional, "f-pending");
    let rs = t("امضاها: ", "Co-signatures: ") + fa(s.cosignatures) + " / " + fa(s.officials_needed);
    if (s.state === "reported") rs += " — " + t("مرکز صورتجلسه را پذیرفت", "the centre accepted the report");
    if (s.ballots_sent) rs += " — " + t("برگ‌ها به مرکز رسید", "the ballot records reached the centre");
    if (s.last_refusal) rs += " — " + fa(errorText(s.last_refusal).text);
    $("report-state").textContent = rs;
    $("report-state").dataset.reported = String(s.state === "reported");
    $("report-state").dataset.ballotsSent = String(!!s.ballots_sent);
  } else { $("figures").innerHTML = ""; }
  return s;
}
$("sign-in-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const r = await call("POST", "/api/desk/sign-in", {username: $("username").value, password: $("password").value});
  $("password").value = "";
  if (r.status === 200) { show("ok", t("ورود انجام شد.", "Signed in."), "signed_in"); $("username").value = ""; } else fail(r);
  refresh();
});
$("sign-out").addEventListener("click", async () => { await call("POST", "/api/desk/sign-out"); show("ok", t("خارج شدید.", "Signed out."), "signed_out"); refresh(); });
$("open").addEventListener("click", async () => {
  const r = await call("POST", "/api/desk/open");
  if (r.status === 200) show("ok", t("شعبه گشوده شد: تعریف انتخابات با مرکز یکی است و صندوق خالی است.", "The station is open: its election definition is the centre's and the ballot box is empty."), "opened"); else fail(r);
  refresh();
});
$("close").addEventListener("click", async () => {
  if (!confirm(t("شعبه بسته شود؟ پس از بستن رأی دیگری پذیرفته نمی‌شود.", "Close the station? No ballot is taken after closing."))) return;
  const r = await call("POST", "/api/desk/close");
  if (r.status === 200) show("ok", t("شعبه بسته شد و صورتجلسه ساخته شد؛ مسئولان حاضر آن را امضا کنند.", "The station is closed and its report made; the officials present co-sign it."), "closed"); else fail(r);
  refresh();
});
$("extend-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const r = await call("POST", "/api/desk/extend", {until: $("extend-until").value, reason: $("extend-reason").value});
  if (r.status === 200) show("ok", t("ساعت رأی‌گیری تمدید شد.", "The hours are extended."), "extended"); else fail(r);
  refresh();
});
$("incident-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const r = await call("POST", "/api/desk/incident", {note: $("incident-note").value});
  if (r.status === 200) { show("ok", t("رویداد ثبت شد.", "The incident is recorded."), "incident_recorded"); $("incident-note").value = ""; } else fail(r);
});
$("check-in-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const out = $("check-in-result"); out.innerHTML = "";
  const r = await call("POST", "/api/desk/check-in", {national_code: $("national-code").value});
  const d = document.createElement("div");
  if (r.status === 200 && r.data.token) {
    const tok = r.data.token.replace(/(\d{4})(?=\d)/g, "$1 ");
    d.className = "ok"; d.dataset.outcome = r.data.outcome;
    d.innerHTML = `<p>${esc(fa(EN ? r.data.message.en : r.data.message.fa))}</p><p>${t("برگهٔ رأی (یک‌بارمصرف، فقط در این شعبه):", "Voting token (once, at this station only):")}</p><div class="token" id="token" data-token="${esc(r.data.token)}">${esc(fa(tok))}</div>`;
    $("national-code").value = "";
  } else if (r.status === 200) {
    d.className = "error"; d.dataset.outcome = r.data.outcome;
    d.textContent = fa(EN ? r.data.message.en : r.data.message.fa);
  } else {
    const e = errorText(r.data); d.className = "error"; d.dataset.outcome = e.code; d.textContent = fa(e.text);
  }
  out.appendChild(d);
  refresh();
});
$("cosign-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const r = await call("POST", "/api/desk/cosign", {username: $("cosign-username").value, password: $("cosign-password").value});
  $("cosign-password").value = "";
  if (r.status === 200) { show("ok", t("امضا شد: ", "Co-signed: ") + fa(r.data.cosignatures) + " / " + fa(r.data.needed), "cosigned"); $("cosign-username").value = ""; } else fail(r);
  refresh();
});
refresh(); setInterval(refresh, 2000);
"###;

// ----- the ballot box ---------------------------------------------------------------------

pub async fn ballot_box(
    State(agent): State<Agent>,
    UrlPath(n): UrlPath<String>,
    query: LangQuery,
) -> Response {
    let en = english(&query);
    let Ok(n) = n.parse::<u32>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if n == 0 || n > agent.config.boxes {
        return StatusCode::NOT_FOUND.into_response();
    }
    let tr = |f: &'static str, e: &'static str| if en { e } else { f };
    let keypad: String = [
        "1", "2", "3", "4", "5", "6", "7", "8", "9", "back", "0", "clear",
    ]
    .iter()
    .map(|k| {
        let label = match *k {
            "back" => tr("⌫ پاک کردن رقم", "⌫ Delete digit").to_string(),
            "clear" => tr("پاک کردن همه", "Clear").to_string(),
            d if en => d.to_string(),
            d => persian_digits(d),
        };
        format!(r#"<button type="button" class="key" data-key="{k}" id="key-{k}">{label}</button>"#)
    })
    .collect();
    let body = format!(
        r#"<div id="training" class="training hidden">{training}</div>
<main class="kiosk"><div class="screen">
<div id="box-error" role="alert"></div>
<section id="locked"><h2>{locked_h}</h2><p>{locked_p}</p>
 <div class="entry ltr" id="token-entry" aria-live="polite"></div>
</section>
<section id="voting" class="hidden"><h2>{voting_h}</h2><p id="rules"></p>
 <div class="entry ltr" id="code" aria-live="polite"></div>
 <div id="preview" aria-live="polite"></div>
 <div><button id="add" type="button">{add_b}</button><button id="review" type="button" class="secondary">{review_b}</button><button id="blank" type="button" class="secondary">{blank_b}</button></div>
 <h2>{choices_h}</h2><ol id="choices"></ol>
</section>
<section id="confirm" class="hidden"><h2>{confirm_h}</h2><div id="confirm-list"></div>
 <button id="cast" type="button">{cast_b}</button><button id="back" type="button" class="secondary">{back_b}</button></section>
<section id="done" class="hidden"><div class="ok big" id="recorded">{recorded}</div>
 <div id="slip" class="slip hidden"><h2>{slip_h}</h2><div id="slip-choices"></div><div id="slip-qr"></div><p class="ltr small" id="slip-id"></p><p>{slip_p}</p>
 <button id="print" type="button">{print_b}</button></div>
 <button id="finish" type="button" class="secondary">{finish_b}</button></section>
<section id="timed-out" class="hidden"><div class="error big">{timeout}</div></section>
</div>
<div id="keypad" class="keypad">{keypad}<button type="button" id="unlock" class="wide">{unlock_b}</button></div>
</main>"#,
        training = tr(
            "آموزشی / TRAINING — این رأی شمرده نمی‌شود",
            "TRAINING / آموزشی — this vote does not count"
        ),
        locked_h = tr("صندوق قفل است", "The ballot box is locked"),
        locked_p = tr(
            "برگهٔ رأی (۱۲ رقم) را که میز پذیرش داده است وارد کنید و «گشودن» را بزنید.",
            "Type the 12-digit voting token the desk gave you and press Unlock."
        ),
        voting_h = tr(
            "کد یک فهرست، یا کد نامزدها را یکی‌یکی وارد کنید",
            "Enter one list code, or candidate codes one at a time"
        ),
        add_b = tr("افزودن این کد", "Add this code"),
        review_b = tr("بازبینی و تأیید", "Review and confirm"),
        blank_b = tr("برگ سفید (بدون انتخاب)", "Blank ballot (no choice)"),
        choices_h = tr("انتخاب‌های شما", "Your choices"),
        unlock_b = tr("گشودن", "Unlock"),
        confirm_h = tr("انتخاب‌های خود را بازبینی کنید", "Check your choices"),
        cast_b = tr("تأیید و ثبت رأی", "Confirm and cast"),
        back_b = tr("بازگشت و ویرایش", "Go back and change"),
        recorded = tr(
            "رأی شما ثبت شد. سپاسگزاریم.",
            "Your vote is recorded. Thank you."
        ),
        slip_h = tr("برگهٔ کاغذی رأی", "Paper record of your vote"),
        slip_p = tr(
            "این برگه را بررسی کنید و در صندوق مهروموم‌شده بیندازید؛ آن را با خود نبرید.",
            "Check this slip and drop it into the sealed box; do not take it with you."
        ),
        print_b = tr("چاپ برگه", "Print the slip"),
        finish_b = tr("پایان", "Finish"),
        timeout = tr(
            "زمان به پایان رسید؛ نوبت رأی بدون ثبت رأی باطل شد. به میز پذیرش مراجعه کنید.",
            "Time ran out: the session ended without a vote. Please go back to the desk."
        ),
    );
    let style = r#"
header { padding: 6px 16px; } header h1 { font-size: 20px; }
main.kiosk { max-width: none; display: grid; grid-template-columns: minmax(0, 1fr) minmax(300px, 38%); gap: 16px; align-items: start; padding: 10px 16px; }
main.kiosk:has(#keypad.hidden) { grid-template-columns: minmax(0, 1fr); }
#choices { max-height: 40vh; overflow-y: auto; margin: 0; }
html[lang=fa] ol { list-style-type: persian; }
.entry { font-size: 40px; min-height: 70px; background: #fff; border: 3px solid #117864; border-radius: 10px; padding: 6px 14px; text-align: center; letter-spacing: 3px; }
.keypad { display: grid; grid-template-columns: repeat(3, minmax(80px, 1fr)); gap: 10px; direction: ltr; position: sticky; top: 10px; }
.keypad button { min-height: 76px; font-size: 34px; margin: 0; min-width: 0; }
.keypad button.key[data-key=back], .keypad button.key[data-key=clear] { font-size: 22px; background: #5d6d7e; }
.keypad .wide { grid-column: 1 / -1; }
#preview { min-height: 96px; }
.card { display: flex; gap: 14px; align-items: center; background: #eaf2f8; border-radius: 10px; padding: 8px 12px; margin: 6px 0; font-size: 22px; }
.card img { width: 64px; height: 78px; object-fit: cover; border-radius: 6px; background: #d5d8dc; }
.card .remove { margin-inline-start: auto; background: #a93226; min-width: 90px; }
.big { font-size: 30px; text-align: center; padding: 20px; }
.slip { border: 2px solid #000; padding: 14px; margin: 12px 0; background: #fff; }
.small { font-size: 12px; }
@media print { header, .keypad, #finish, #print, #recorded { display: none !important; } body { background: #fff; } .slip { border: 1px solid #000; } }
"#;
    let script = BOX_SCRIPT.replace("__BOX__", &n.to_string());
    Html(shell(
        en,
        &if en {
            format!("sandoq — ballot box {n}")
        } else {
            format!("صندوق — صندوق رأی {}", persian_digits(&n.to_string()))
        },
        &body,
        &script,
        style,
    ))
    .into_response()
}

const BOX_SCRIPT: &str = r###"
const BOX = __BOX__;
const $ = (id) => document.getElementById(id);
let DEF = null, session = null, typed = "", choices = [], timer = null, lastTouch = 0, screen = "locked";
const ascii = (s) => s.replace(/[۰-۹]/g, d => "۰۱۲۳۴۵۶۷۸۹".indexOf(d)).replace(/[٠-٩]/g, d => "٠١٢٣٤٥٦٧٨٩".indexOf(d));
function entry(code) { return DEF.entries.find(e => e.code === code); }
function name(e) { return EN ? (e.name_en || e.name_fa) : e.name_fa; }
function listName(e) { return EN ? (e.list_en || e.list_fa) : e.list_fa; }
function say(code, fa_text, en_text) {
  const box = $("box-error"); box.innerHTML = "";
  if (!code) return;
  const d = document.createElement("div"); d.className = "error"; d.dataset.code = code; d.textContent = fa(t(fa_text, en_text)); box.appendChild(d);
}
function sayError(data) { const e = errorText(data); say(e.code, e.text, e.text); }
function card(e, removable) {
  const photo = e.kind === "candidate" ? (e.photo ? `<img alt="" src="${esc(e.photo)}">` : `<img alt="">`) : "";
  const list = e.kind === "list" ? t("فهرست", "List") : (e.list ? t("از فهرست «", "on the list “") + esc(listName(e)) + t("»", "”") : t("نامزد منفرد", "independent candidate"));
  const remove = removable ? `<button type="button" class="remove" data-code="${esc(e.code)}">${t("حذف", "Remove")}</button>` : "";
  return `<div class="card" data-code="${esc(e.code)}">${photo}<div><b>${esc(fa(e.code))}</b> — <span class="name">${esc(name(e))}</span><br><small>${list}</small></div>${remove}</div>`;
}
function showScreen(name) {
  screen = name;
  for (const id of ["locked", "voting", "confirm", "done", "timed-out"]) $(id).classList.toggle("hidden", id !== name);
  $("keypad").classList.toggle("hidden", !(name === "locked" || name === "voting"));
  $("unlock").classList.toggle("hidden", name !== "locked");
  document.body.dataset.screen = name;
}
function render() {
  if (screen === "locked") { $("token-entry").textContent = fa(typed.replace(/(\d{4})(?=\d)/g, "$1 ")); return; }
  $("code").textContent = fa(typed);
  const p = $("preview");
  if (!typed) { p.innerHTML = ""; }
  else {
    const e = entry(typed);
    if (e) p.innerHTML = card(e, false);
    else if (DEF.entries.some(x => x.code.startsWith(typed))) p.innerHTML = "";
    else p.innerHTML = `<div class="error" data-code="unknown_code">${t("چنین کدی در این انتخابات نیست", "No such code in this election")}</div>`;
  }
  $("choices").innerHTML = choices.map(c => `<li>${card(entry(c), true)}</li>`).join("");
  for (const b of document.querySelectorAll("#choices .remove")) b.addEventListener("click", () => { choices = choices.filter(c => c !== b.dataset.code); activity(); render(); });
}
function activity() {
  if (!session) return;
  clearTimeout(timer);
  timer = setTimeout(timeOut, DEF.timeout_seconds * 1000);
  const now = Date.now();
  if (now - lastTouch > 5000) { lastTouch = now; call("POST", `/api/box/${BOX}/touch`, {session}); }
}
async function timeOut() {
  if (!session) return;
  const s = session; session = null;
  await call("POST", `/api/box/${BOX}/void`, {session: s});
  typed = ""; choices = []; say(null);
  showScreen("timed-out");
  setTimeout(() => { showScreen("locked"); render(); }, 5000);
}
function key(k) {
  say(null);
  if (k === "back") typed = typed.slice(0, -1);
  else if (k === "clear") typed = "";
  else if (/^[0-9]$/.test(k)) { if (typed.length < (screen === "locked" ? 12 : 10)) typed += k; }
  activity(); render();
}
async function unlock() {
  const r = await call("POST", `/api/box/${BOX}/unlock`, {token: typed});
  if (r.status !== 200) { sayError(r.data); return; }
  session = r.data.session; typed = ""; choices = []; say(null);
  showScreen("voting"); activity(); render();
}
function add() {
  const code = typed;
  if (!code) return;
  const e = entry(code);
  if (!e) return say("unknown_code", "این کد در این انتخابات نیست؛ آن را پاک کنید و دوباره وارد کنید", "This code is not in this election; delete it and type again");
  if (choices.includes(code)) return say("duplicate_candidate", "این کد را پیش‌تر افزوده‌اید", "You have added this code already");
  const kinds = choices.map(c => entry(c).kind);
  if (e.kind === "list" && kinds.includes("candidate") || e.kind === "candidate" && kinds.includes("list")) return say("list_in_candidate_ballot", "یا یک فهرست، یا نامزدها: این دو با هم نمی‌آیند", "Either one list or candidates: not both");
  if (e.kind === "list" && kinds.includes("list")) return say("one_list_only", "فقط یک فهرست می‌توان برگزید", "Only one list can be chosen");
  if (e.kind === "candidate" && choices.length >= DEF.seats) return say("too_many_candidates", `بیش از ${fa(DEF.seats)} نامزد نمی‌توان برگزید`, `No more than ${DEF.seats} candidates`);
  choices.push(code); typed = ""; activity(); render();
}
function review(blank) {
  if (!blank && typed) { add(); if (typed) return; }
  if (!blank && choices.length === 0) return say("nothing_chosen", "چیزی برنگزیده‌اید؛ برای برگ سفید دکمهٔ «برگ سفید» را بزنید", "Nothing is chosen; for a blank ballot press “Blank ballot”");
  if (blank) choices = [];
  $("confirm-list").innerHTML = blank ? `<div class="card" data-code="blank"><b>${t("برگ سفید: هیچ فهرست یا نامزدی برگزیده نشده است", "Blank ballot: no list and no candidate chosen")}</b></div>` : choices.map(c => card(entry(c), false)).join("");
  $("confirm").dataset.blank = String(!!blank);
  showScreen("confirm"); activity();
}
async function castBallot() {
  const blank = $("confirm").dataset.blank === "true";
  const kinds = choices.map(c => entry(c).kind);
  const ballot = blank ? {blank: true} : (kinds[0] === "list" ? {list: choices[0]} : {candidates: choices});
  $("cast").disabled = true;
  const r = await call("POST", `/api/box/${BOX}/cast`, {session, ballot});
  $("cast").disabled = false;
  if (r.status !== 200) { sayError(r.data); if (r.data && r.data.error && r.data.error.code === "no_session") { session = null; showScreen("locked"); } return; }
  clearTimeout(timer); session = null;
  if (r.data.qr_svg) {
    $("slip").classList.remove("hidden");
    $("slip-choices").innerHTML = blank ? `<p><b>${t("برگ سفید", "Blank ballot")}</b></p>` : choices.map(c => card(entry(c), false)).join("");
    $("slip-qr").innerHTML = r.data.qr_svg;
    $("slip-id").textContent = r.data.ballot_id;
  } else { $("slip").classList.add("hidden"); }
  showScreen("done");
  choices = []; typed = "";
}
function finish() { $("slip-qr").innerHTML = ""; $("slip-id").textContent = ""; $("slip-choices").innerHTML = ""; showScreen("locked"); render(); }
for (const b of document.querySelectorAll(".key")) b.addEventListener("click", () => key(b.dataset.key));
$("unlock").addEventListener("click", unlock);
$("add").addEventListener("click", add);
$("review").addEventListener("click", () => review(false));
$("blank").addEventListener("click", () => review(true));
$("back").addEventListener("click", () => { showScreen("voting"); render(); activity(); });
$("cast").addEventListener("click", castBallot);
$("finish").addEventListener("click", finish);
$("print").addEventListener("click", () => window.print());
document.addEventListener("keydown", (ev) => {
  if (ev.target && ev.target.tagName === "BUTTON" && (ev.key === "Enter" || ev.key === " ")) return;
  const k = ascii(ev.key);
  if (/^[0-9]$/.test(k) && (screen === "locked" || screen === "voting")) { key(k); ev.preventDefault(); }
  else if (ev.key === "Backspace" && (screen === "locked" || screen === "voting")) { key("back"); ev.preventDefault(); }
  else if (ev.key === "Enter") {
    ev.preventDefault();
    if (screen === "locked") unlock(); else if (screen === "voting") { if (typed) add(); else review(false); }
    else if (screen === "confirm") castBallot(); else if (screen === "done") finish();
  } else if (ev.key === "Escape" && screen === "confirm") { showScreen("voting"); render(); }
});
(async () => {
  const r = await call("GET", "/api/box/definition");
  if (r.status !== 200) { sayError(r.data); return; }
  DEF = r.data;
  $("training").classList.toggle("hidden", !DEF.training);
  $("rules").textContent = t(`یک فهرست، یا تا ${fa(DEF.seats)} نامزد. کد را بزنید: نام و عکس آن نمایش داده می‌شود.`, `One list, or up to ${DEF.seats} candidates. Type a code: its name and photo appear.`);
  showScreen("locked"); render();
  document.body.dataset.ready = "true";
})();
"###;

// ----- the report -------------------------------------------------------------------------

pub async fn report(State(agent): State<Agent>, query: LangQuery) -> Response {
    let en = english(&query);
    let found = agent
        .with(|s| Ok((s.report().cloned(), s.package.export.clone(), s.status())))
        .await;
    let Ok((Some(report), export, status)) = found else {
        let body = format!(
            r#"<main><div class="error" data-code="no_report">{}</div></main>"#,
            if en {
                "The report is made when the station closes."
            } else {
                "صورتجلسه هنگام بستن شعبه ساخته می‌شود."
            }
        );
        return Html(shell(
            en,
            if en {
                "Station report"
            } else {
                "صورتجلسهٔ شعبه"
            },
            &body,
            "",
            "",
        ))
        .into_response();
    };
    Html(report_html(en, &report, &export, &status)).into_response()
}

fn num(en: bool, value: &Value) -> String {
    let text = sandoq_i18n::group_thousands(value.as_u64().unwrap_or(0));
    if en {
        text
    } else {
        persian_digits(&text)
    }
}

fn report_html(en: bool, report: &Value, export: &Value, status: &Value) -> String {
    let tr = |f: &'static str, e: &'static str| if en { e } else { f };
    let definition = &export["definition"];
    let names = |v: &Value| -> String {
        let key = if en { "name_en" } else { "name_fa" };
        escape(v[key].as_str().or(v["name_fa"].as_str()).unwrap_or(""))
    };
    let mut lists = String::new();
    for list in definition["lists"].as_array().cloned().unwrap_or_default() {
        let code = list["code"].as_str().unwrap_or("");
        lists.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            if en {
                code.to_string()
            } else {
                persian_digits(code)
            },
            names(&list),
            num(en, &report["list_ballots"][code])
        ));
    }
    let mut people = String::new();
    let mut all: Vec<(Value, Value)> = Vec::new();
    for list in definition["lists"].as_array().cloned().unwrap_or_default() {
        for c in list["candidates"].as_array().cloned().unwrap_or_default() {
            all.push((c, list.clone()));
        }
    }
    for c in definition["independents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        all.push((c, Value::Null));
    }
    for (c, list) in &all {
        let code = c["code"].as_str().unwrap_or("");
        let direct = report["candidate_votes_direct"][code].as_u64().unwrap_or(0);
        let total = report["candidate_votes"][code].as_u64().unwrap_or(0);
        let through = if list.is_null() {
            0
        } else {
            total.saturating_sub(direct)
        };
        people.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            if en {
                code.to_string()
            } else {
                persian_digits(code)
            },
            names(c),
            if list.is_null() {
                tr("منفرد", "independent").to_string()
            } else {
                names(list)
            },
            num(en, &Value::from(direct)),
            num(en, &Value::from(through)),
            num(en, &Value::from(total)),
        ));
    }
    let cosigners: Vec<String> = report["cosignatures"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| escape(c["official"].as_str().unwrap_or("")))
        .collect();
    // The signed report in QR codes (`SQR1 i/n …`), the one cutting `sandoq verify --paper` and
    // the results site's minutes page read back.
    let payloads = sandoq_station::report::qr_payloads(report);
    let qrs: String = payloads
        .iter()
        .enumerate()
        .map(|(i, data)| {
            format!(
                r#"<figure class="qr">{}<figcaption>{}</figcaption></figure>"#,
                qr_svg(data, 180),
                persian_or(en, &format!("{}/{}", i + 1, payloads.len()))
            )
        })
        .collect();
    let tokens = &report["tokens"];
    let training = if status["training"] == Value::Bool(true) {
        format!(
            r#"<div class="training">{}</div>"#,
            tr(
                "آموزشی / TRAINING — این صورتجلسه در شمارش واقعی به کار نمی‌رود",
                "TRAINING / آموزشی — this report is not part of a real count"
            )
        )
    } else {
        String::new()
    };
    let day = export["election"]["polling_day"]
        .as_str()
        .and_then(|d| sandoq_registry::Date::parse(d).ok())
        .map(|d| {
            d.jalali_long(if en {
                sandoq_i18n::Lang::En
            } else {
                sandoq_i18n::Lang::Fa
            })
        })
        .unwrap_or_default();
    let body = format!(
        r#"{training}<main class="sheet">
<section><h2>{title} — {station_l} <span id="r-station">{station}</span></h2>
<p>{election} — {day}</p><p>{state_l}: <b id="r-state">{state}</b></p>
<table class="figures-table"><tr><th>{ballots_l}</th><td id="r-ballots">{ballots}</td><th>{blank_l}</th><td id="r-blank">{blank}</td></tr>
<tr><th>{cand_l}</th><td>{cand}</td><th>{issued_l}</th><td>{issued}</td></tr>
<tr><th>{used_l}</th><td>{used}</td><th>{voided_l}</th><td>{voided}</td></tr></table></section>
<section><h2>{lists_h}</h2><table><tr><th>{code_l}</th><th>{name_l}</th><th>{ballots_l}</th></tr>{lists}</table></section>
<section><h2>{people_h}</h2><table><tr><th>{code_l}</th><th>{name_l}</th><th>{list_l}</th><th>{direct_l}</th><th>{through_l}</th><th>{total_l}</th></tr>{people}</table></section>
<section><h2>{commit_h}</h2><p class="ltr small">merkle_root {root}<br>event_log {events} · {head}<br>device {device}<br>signature {signature}</p>
<p>{cosign_l}: <span id="r-cosigners">{cosigners}</span></p>
<div class="signatures">{sign_lines}</div></section>
<section class="qrs"><h2>{qr_h}</h2>{qrs}</section>
<p class="noprint"><button type="button" onclick="window.print()">{print_b}</button> <a href="/desk{lang_q}">{back_l}</a></p>
</main>"#,
        title = tr("صورتجلسهٔ شعبه", "Station report"),
        station_l = tr("شعبه", "station"),
        station = escape(report["station"].as_str().unwrap_or("")),
        election = names(&export["election"]),
        state_l = tr("وضعیت", "State"),
        state = state_name(en, status["state"].as_str().unwrap_or("")),
        ballots_l = tr("برگ‌های ریخته‌شده", "Ballots cast"),
        ballots = num(en, &report["ballots"]),
        blank_l = tr("برگ‌های سفید", "Blank ballots"),
        blank = num(en, &report["blank"]),
        cand_l = tr("برگ‌های نامزدی", "Candidate ballots"),
        cand = num(en, &report["candidate_ballots"]),
        issued_l = tr("برگه‌های صادرشده", "Tokens issued"),
        issued = num(en, &tokens["issued"]),
        used_l = tr("برگه‌های به‌کاررفته", "Tokens used"),
        used = num(en, &tokens["used"]),
        voided_l = tr("برگه‌های باطل", "Tokens voided"),
        voided = num(en, &tokens["voided"]),
        lists_h = tr("برگ‌های فهرستی", "List ballots"),
        code_l = tr("کد", "Code"),
        name_l = tr("نام", "Name"),
        list_l = tr("فهرست", "List"),
        people_h = tr("رأی نامزدها", "Candidates' votes"),
        direct_l = tr("مستقیم", "Direct"),
        through_l = tr("از راه فهرست", "Through the list"),
        total_l = tr("جمع", "Total"),
        commit_h = tr("تعهد رمزنگاشتی و امضاها", "Commitment and signatures"),
        root = escape(report["commitment"]["merkle_root"].as_str().unwrap_or("")),
        events = report["event_log"]["events"],
        head = escape(report["event_log"]["head"].as_str().unwrap_or("")),
        device = escape(report["device_key"].as_str().unwrap_or("")),
        signature = escape(report["signature"].as_str().unwrap_or("")),
        cosign_l = tr("امضای الکترونیکی مسئولان", "Officials' co-signatures"),
        cosigners = if cosigners.is_empty() {
            "—".to_string()
        } else {
            cosigners.join("، ")
        },
        sign_lines = (0..3)
            .map(|_| format!("<div>{}</div>", tr("نام و امضا", "Name and signature")))
            .collect::<String>(),
        qr_h = tr(
            "داده‌های امضاشده (برای بررسی برون‌خط)",
            "The signed data (for offline checking)"
        ),
        print_b = tr("چاپ", "Print"),
        back_l = tr("بازگشت به میز پذیرش", "Back to the desk"),
        lang_q = if en { "?lang=en" } else { "" },
    );
    let style = r#"
@page { size: A4; margin: 12mm; }
.sheet { max-width: 190mm; }
.figures-table th { width: 30%; }
.qrs { display: flex; flex-wrap: wrap; gap: 8px; }
.qrs h2 { width: 100%; }
.qr { margin: 0; text-align: center; }
.small { font-size: 11px; word-break: break-all; }
.signatures { display: flex; gap: 20px; } .signatures div { flex: 1; border-top: 1px solid #000; padding-top: 4px; margin-top: 40px; }
@media print { header, .noprint { display: none !important; } body { background: #fff; font-size: 12px; } section { box-shadow: none; padding: 4px 0; } }
"#;
    shell(en, tr("صورتجلسهٔ شعبه", "Station report"), &body, "", style)
}

fn state_name(en: bool, state: &str) -> String {
    let (fa, en_name) = match state {
        "setup" => ("آماده‌سازی", "setup"),
        "open" => ("گشوده", "open"),
        "voting" => ("رأی‌گیری", "voting"),
        "closed" => ("بسته", "closed"),
        "reported" => (
            "گزارش‌شده و پذیرفته‌شده در مرکز",
            "reported, accepted by the centre",
        ),
        other => (other, other),
    };
    escape(if en { en_name } else { fa })
}

fn persian_or(en: bool, text: &str) -> String {
    if en {
        text.to_string()
    } else {
        persian_digits(text)
    }
}
