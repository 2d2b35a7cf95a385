//! The results site's minutes page (issue 18 §4): `/results/{election}/minutes`, public. An
//! observer pastes (or, where the browser has `BarcodeDetector`, scans) the QR payloads of one
//! station's posted minutes (`SQR1 i/n …`, `sandoq_station::report::qr_payloads`); the page puts
//! them back together, fetches the station's published report
//! (`GET /api/elections/{id}/station-reports/{station}`) and says whether the record holds
//! exactly that report, another one, or none. Everything happens in the browser: nothing pasted
//! is sent anywhere; only the station's code is asked about.
//!
//! Invariants: the page's text is escaped here and the script puts every piece of data into the
//! page with `textContent`, never as HTML; the script is a file of this origin and the page's
//! Content-Security-Policy allows no other (no inline script, no other host).

use super::{escape, layout, t, LangQuery};
use crate::http::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sandoq_i18n::Lang;
use sandoq_store::{ElectionId, ElectionKind, Store};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/results/{election}/minutes", get(minutes_page))
        .route("/assets/minutes.js", get(script))
}

/// Scripts only from this origin (the one file below), data only from this origin; styles inline
/// (the pages' shared style sheet is inline); no forms posted, no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; font-src 'self'; img-src 'self'; media-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async fn minutes_page(
    State(state): State<AppState>,
    Path(election): Path<i64>,
    Query(query): Query<LangQuery>,
) -> Response {
    let lang = query.lang();
    let Ok(Some(found)) = state.store.election(ElectionId(election)).await else {
        return (
            StatusCode::NOT_FOUND,
            t(lang, "چنین انتخاباتی نیست", "No such election"),
        )
            .into_response();
    };
    let q = super::lang_param(lang);
    let body = format!(
        r#"<style>{STYLE}</style><section class="card minutes" id="minutes" data-election="{election}">
<h2>{title}</h2>
<p class="muted">{name}</p>
<p>{intro}</p>
<label for="payloads">{label}</label>
<p id="payloads-help" class="muted">{help}</p>
<textarea id="payloads" rows="8" dir="ltr" spellcheck="false" autocomplete="off" autocapitalize="off" aria-describedby="payloads-help"></textarea>
<div class="actions">
<button type="button" id="check" class="primary">{check}</button>
<button type="button" id="scan" class="secondary" hidden>{scan}</button>
</div>
<video id="camera" hidden muted playsinline aria-label="{camera}"></video>
<p id="scan-status" class="muted" role="status" aria-live="polite"></p>
<div id="verdict" role="status" aria-live="polite" tabindex="-1"></div>
<p class="muted small">{privacy}</p>
<p><a href="/results/{election}{q}">{back}</a></p>
</section>
<script src="/assets/minutes.js"></script>"#,
        title = t(
            lang,
            "بررسی صورتجلسهٔ الصاق‌شدهٔ یک شعبه",
            "Check a station's posted minutes"
        ),
        name = escape(match lang {
            Lang::Fa => &found.spec.name_fa,
            Lang::En => &found.spec.name_en,
        }),
        intro = t(
            lang,
            "هر شعبه صورتجلسهٔ امضاشدهٔ خود را با کدهای QR چاپ و در شعبه نصب می‌کند. متن کدهای یک شعبه را اینجا بگذارید تا ببینید سابقهٔ منتشرشده دقیقاً همان صورتجلسه را دارد یا نه.",
            "Every station prints its signed report with QR codes and posts it at the station. Put the text of one station's codes here to see whether the published record holds exactly that report."
        ),
        label = t(
            lang,
            "متن کدهای QR صورتجلسه، هر کد در یک سطر",
            "The text of the minutes' QR codes, one code a line"
        ),
        // Fixed text with markup of its own (a command kept left to right inside Persian).
        help = t(
            lang,
            r#"هر سطر با <code dir="ltr">SQR1</code> آغاز می‌شود، مانند <code dir="ltr">SQR1 1/2 …</code>. ترتیب مهم نیست."#,
            r#"Each line starts with <code>SQR1</code>, like <code>SQR1 1/2 …</code>. The order does not matter."#
        ),
        check = t(lang, "بررسی", "Check"),
        scan = t(lang, "خواندن با دوربین", "Scan with the camera"),
        camera = t(lang, "تصویر دوربین", "Camera view"),
        privacy = t(
            lang,
            r#"بررسی در همین مرورگر انجام می‌شود: متنی که می‌گذارید جایی فرستاده نمی‌شود؛ فقط گزارش منتشرشدهٔ آن شعبه از مرکز گرفته می‌شود. امضای دستگاهِ خودِ کاغذ را <code dir="ltr">sandoq verify --paper</code> بررسی می‌کند."#,
            r#"The check runs in this browser: nothing you paste is sent anywhere; only that station's published report is fetched from the centre. The paper's own device signature is checked by <code>sandoq verify --paper</code>."#
        ),
        back = t(lang, "بازگشت به نتایج", "Back to the results"),
    );
    let page = layout(
        lang,
        t(lang, "بررسی صورتجلسهٔ شعبه", "Check a station's minutes"),
        None,
        found.spec.kind == ElectionKind::Training,
        &body,
        &format!("/results/{election}/minutes"),
    );
    ([("content-security-policy", CSP)], page).into_response()
}

async fn script() -> Response {
    (
        [
            ("content-type", "text/javascript; charset=utf-8"),
            ("cache-control", "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

const STYLE: &str = r#"
.minutes textarea { width: 100%; min-height: 12rem; font: 16px/1.5 ui-monospace, monospace; padding: 0.6rem 0.8rem; border: 1px solid #94a3b8; border-radius: 8px; }
.minutes .actions { display: flex; gap: 0.75rem; flex-wrap: wrap; margin-top: 0.5rem; }
.minutes .actions button { flex: 1 1 12rem; min-height: 52px; margin-top: 0.5rem; font: inherit; font-weight: 700; border-radius: 8px; cursor: pointer; }
.minutes button.secondary { background: #fff; color: #14532d; border: 2px solid #14532d; }
.minutes video { width: 100%; max-height: 50vh; margin-top: 0.75rem; border-radius: 8px; background: #000; }
.minutes :focus-visible, header a:focus-visible { outline: 3px solid #b45309; outline-offset: 2px; }
.verdict { border-radius: 8px; padding: 0.8rem 1rem; margin-top: 1rem; font-weight: 700; border: 2px solid; }
.verdict.same { background: #dcfce7; color: #14532d; border-color: #16a34a; }
.verdict.differs, .verdict.missing, .verdict.unknown_station { background: #fee2e2; color: #7f1d1d; border-color: #dc2626; }
.verdict.unreadable, .verdict.network, .verdict.empty { background: #fef3c7; color: #78350f; border-color: #d97706; }
.verdict p { margin: 0.3rem 0 0; font-weight: 400; }
.small { font-size: 0.9rem; }
.minutes code { font-size: 0.9em; unicode-bidi: isolate; white-space: nowrap; }
"#;

/// The page's script. It mirrors `sandoq_record::paper::reassemble` (the same rules for lines)
/// and compares the parsed reports member by member.
const SCRIPT: &str = r#""use strict";
(() => {
  const root = document.getElementById("minutes");
  if (!root) return;
  const election = root.dataset.election;
  const en = document.documentElement.lang === "en";
  const $ = (id) => document.getElementById(id);
  const area = $("payloads"), verdict = $("verdict"), scan = $("scan"), video = $("camera"), scanStatus = $("scan-status");
  const num = (n) => en ? String(n) : String(n).replace(/[0-9]/g, (d) => "۰۱۲۳۴۵۶۷۸۹"[d]);
  // Station codes and field names keep their direction inside a sentence of the other one.
  const iso = (s) => "\u2068" + s + "\u2069";
  const T = en ? {
    same: (s) => `The published record holds exactly this report of station ${iso(s)}.`,
    differs: (s) => `The published record holds a DIFFERENT report for station ${iso(s)} than these minutes.`,
    differs_in: (keys) => `They differ in: ${keys}. (If the paper itself may be forged, ${iso("sandoq verify --paper")} checks its device signature.)`,
    missing: (s) => `The published record has NO report from station ${iso(s)}: it lists the station as missing (never reported).`,
    unknown_station: (s) => `The published record has no report from station ${iso(s)}: the election has no such station.`,
    no_codes: "The text holds no code of sandoq's printed minutes (SQR1 i/n …).",
    bad_line: (l) => `Line ${num(l)} is not a code of sandoq's printed minutes (SQR1 i/n …).`,
    counts: (a, b) => `The codes disagree on how many there are (${num(a)} and ${num(b)}): they come from different minutes.`,
    twice: (i, n) => `Code ${num(i)} of ${num(n)} appears twice with different text.`,
    chunk_missing: (list, n) => `Code ${list} of ${num(n)} is missing: scan every code of the minutes.`,
    not_report: "The codes put together are not a station report.",
    network: "The centre could not be asked. Try again.",
    empty: "Paste or scan the codes of the minutes first.",
    scanning: (have, n) => n ? `Scanned ${num(have)} of ${num(n)} codes.` : "Point the camera at the minutes' QR codes.",
    stop: "Stop the camera", scan: "Scan with the camera", no_camera: "The camera could not be opened.",
  } : {
    same: (s) => `سابقهٔ منتشرشده دقیقاً همین صورتجلسهٔ شعبهٔ ${iso(s)} را دارد.`,
    differs: (s) => `سابقهٔ منتشرشده برای شعبهٔ ${iso(s)} گزارشی «متفاوت» با این صورتجلسه دارد.`,
    differs_in: (keys) => `تفاوت در: ${keys}. (اگر ممکن است خودِ کاغذ جعلی باشد، ${iso("sandoq verify --paper")} امضای دستگاهش را بررسی می‌کند.)`,
    missing: (s) => `سابقهٔ منتشرشده «هیچ» گزارشی از شعبهٔ ${iso(s)} ندارد: این شعبه را غایب (بی‌گزارش) آورده است.`,
    unknown_station: (s) => `سابقهٔ منتشرشده گزارشی از شعبهٔ ${iso(s)} ندارد: این انتخابات چنین شعبه‌ای ندارد.`,
    no_codes: "این متن هیچ کدی از صورتجلسهٔ چاپی صندوق (SQR1 i/n …) ندارد.",
    bad_line: (l) => `سطر ${num(l)} کدی از صورتجلسهٔ چاپی صندوق نیست (SQR1 i/n …).`,
    counts: (a, b) => `کدها در شمار کل یکی نیستند (${num(a)} و ${num(b)}): از صورتجلسه‌های مختلف‌اند.`,
    twice: (i, n) => `کد ${num(i)} از ${num(n)} دو بار با متن متفاوت آمده است.`,
    chunk_missing: (list, n) => `کد ${list} از ${num(n)} نیست: همهٔ کدهای صورتجلسه را بخوانید.`,
    not_report: "کدها کنار هم صورتجلسهٔ شعبه نیستند.",
    network: "پرسش از مرکز ممکن نشد. دوباره بکوشید.",
    empty: "نخست کدهای صورتجلسه را بگذارید یا با دوربین بخوانید.",
    scanning: (have, n) => n ? `${num(have)} کد از ${num(n)} خوانده شد.` : "دوربین را به سوی کدهای QR صورتجلسه بگیرید.",
    stop: "بستن دوربین", scan: "خواندن با دوربین", no_camera: "دوربین باز نشد.",
  };

  // The same rules as `sandoq verify --paper`: one code a line, any order, blank lines and a
  // final "\r" ignored, a code twice only with the same text.
  function reassemble(text) {
    const pieces = new Map();
    let count = null;
    const lines = text.split("\n");
    for (let k = 0; k < lines.length; k++) {
      let line = lines[k];
      if (line.endsWith("\r")) line = line.slice(0, -1);
      if (line.trim() === "") continue;
      const m = /^SQR1 ([0-9]{1,6})\/([0-9]{1,6}) /.exec(line);
      const i = m ? Number(m[1]) : 0, n = m ? Number(m[2]) : 0;
      if (!m || i < 1 || i > n || n > 4096) return {error: T.bad_line(k + 1)};
      const piece = line.slice(m[0].length);
      if (count !== null && count !== n) return {error: T.counts(count, n)};
      count = n;
      if (pieces.has(i) && pieces.get(i) !== piece) return {error: T.twice(i, n)};
      pieces.set(i, piece);
    }
    if (count === null) return {error: T.no_codes};
    const missing = [];
    for (let i = 1; i <= count; i++) if (!pieces.has(i)) missing.push(num(i));
    if (missing.length) {
      const shown = missing.length > 10 ? missing.slice(0, 10).join(en ? ", " : "، ") + " …" : missing.join(en ? ", " : "، ");
      return {error: T.chunk_missing(shown, count), have: pieces.size, count};
    }
    let out = "";
    for (let i = 1; i <= count; i++) out += pieces.get(i);
    return {text: out, have: pieces.size, count};
  }

  function equal(a, b) {
    if (a === b) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    const ka = Object.keys(a), kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]));
  }

  function show(kind, sentence, detail) {
    verdict.className = "verdict " + kind;
    verdict.dataset.verdict = kind;
    verdict.replaceChildren();
    const p = document.createElement("strong");
    p.textContent = sentence;
    verdict.appendChild(p);
    if (detail) {
      const d = document.createElement("p");
      d.textContent = detail;
      verdict.appendChild(d);
    }
    verdict.focus();
  }

  async function check() {
    if (area.value.trim() === "") { show("empty", T.empty); return; }
    const found = reassemble(area.value);
    if (found.error) { show("unreadable", found.error); return; }
    let paper;
    try { paper = JSON.parse(found.text); } catch (e) { paper = null; }
    if (!paper || typeof paper !== "object" || Array.isArray(paper) || typeof paper.station !== "string") {
      show("unreadable", T.not_report);
      return;
    }
    const station = paper.station;
    let answer;
    try {
      answer = await fetch(`/api/elections/${encodeURIComponent(election)}/station-reports/${encodeURIComponent(station)}`,
        {credentials: "omit", cache: "no-store", headers: {"accept": "application/json"}});
    } catch (e) { show("network", T.network); return; }
    let body = null;
    try { body = await answer.json(); } catch (e) { body = null; }
    if (answer.status === 404 && body && body.error) {
      const code = body.error.code === "no_station_report" ? "missing" : "unknown_station";
      show(code, T[code](station));
      return;
    }
    if (answer.status !== 200 || body === null) { show("network", T.network); return; }
    if (equal(paper, body)) { show("same", T.same(station)); return; }
    const keys = [...new Set([...Object.keys(paper), ...Object.keys(body || {})])].filter((k) => !equal(paper[k], body[k]));
    show("differs", T.differs(station), T.differs_in(keys.map(iso).join(en ? ", " : "، ")));
  }

  $("check").addEventListener("click", check);

  // The camera, where the browser can read QR codes itself (BarcodeDetector: Chromium on Android
  // and macOS; not on desktop Linux, where the button stays hidden and pasting remains).
  let stream = null, timer = null;
  function stopScan() {
    if (timer) clearInterval(timer);
    timer = null;
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    scan.textContent = T.scan;
  }
  function progress() {
    const found = reassemble(area.value);
    scanStatus.textContent = T.scanning(found.have || 0, found.count || 0);
    return found;
  }
  async function startScan() {
    let detector;
    try {
      detector = new BarcodeDetector({formats: ["qr_code"]});
      stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
    } catch (e) { stopScan(); scanStatus.textContent = T.no_camera; return; }
    video.srcObject = stream;
    video.hidden = false;
    scan.textContent = T.stop;
    try { await video.play(); } catch (e) { /* shown once frames come */ }
    progress();
    timer = setInterval(async () => {
      let codes = [];
      try { codes = await detector.detect(video); } catch (e) { return; }
      const have = new Set(area.value.split("\n").map((l) => l.replace(/\r$/, "")));
      for (const code of codes) {
        const value = String(code.rawValue || "");
        if (value.startsWith("SQR1 ") && !value.includes("\n") && !have.has(value)) {
          have.add(value);
          area.value += (area.value === "" || area.value.endsWith("\n") ? "" : "\n") + value + "\n";
        }
      }
      const found = progress();
      if (found.text !== undefined) { stopScan(); check(); }
    }, 250);
  }
  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scan.hidden = false;
    scan.addEventListener("click", () => { if (stream) stopScan(); else startScan(); });
  }
  document.body.dataset.ready = "true";
})();
"#;
