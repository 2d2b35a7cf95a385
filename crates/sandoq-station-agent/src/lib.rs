//! The polling station agent (issue 4): `sandoq station --central URL --station CODE --data DIR`.
//!
//! It runs on the station's computer and serves two kinds of local page: the **check-in desk**
//! (`/desk`) for the officials and the **ballot box** (`/box/1`, `/box/2`, …) for voters, plus the
//! printable station report (`/report`). Everything it records is in DIR (see [`station`]); the
//! centre is asked for the election package, for each check-in, and is sent provisional
//! check-ins, the co-signed report and the ballot records, with retries: the station keeps
//! working while the network is down (the election's offline policy decides whether voters can
//! still be checked in).
//!
//! Invariants: the desk keeps nothing that links a token to a voter; a ballot box answers "your
//! vote is recorded" only after the ballot is on disk and signed; every page is Persian first.

pub mod client;
pub mod pages;
pub mod station;

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use client::Centre;
use ed25519_dalek::SigningKey;
use sandoq_station::lifecycle::State as Step;
use sandoq_station::merkle::hex;
use sandoq_station::Ballot;
use serde_json::{json, Value};
use sha2::Digest;
use station::{refusal, Package, Refusal, Station};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Seconds since 1970 (UTC); injected so that tests can run on polling day.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
            .unwrap_or(0)
    })
}

/// How the agent is started.
#[derive(Clone)]
pub struct Config {
    pub central: String,
    pub station: String,
    pub data: PathBuf,
    /// Ballot boxes (kiosks) at this station: `/box/1` … `/box/N`.
    pub boxes: u32,
    pub capacity: u64,
    /// A voter's session at a box ends, voided, after this long without a key pressed.
    pub session_timeout: Duration,
    /// How often the agent talks to the centre in the background.
    pub tick: Duration,
    pub clock: Clock,
    /// Fetch the candidates' photos with the package (for the ballot box pages). Always, except in
    /// the simulator at full scale, where no page is shown and 5,000 stations would fetch 300
    /// photos each.
    pub photos: bool,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("central", &self.central)
            .field("station", &self.station)
            .field("data", &self.data)
            .field("boxes", &self.boxes)
            .finish_non_exhaustive()
    }
}

/// The agent's shared state.
#[derive(Clone)]
pub struct Agent {
    pub config: Arc<Config>,
    centre: Centre,
    key: SigningKey,
    station: Arc<Mutex<Option<Station>>>,
    /// Why the package could not be had yet (for the desk), if so.
    waiting: Arc<Mutex<Option<Refusal>>>,
    /// National codes the desk refused itself (mistyped) since the agent started, while the
    /// station could check voters in: told to the centre with the status, for drills.
    desk_refusals: Arc<std::sync::atomic::AtomicU64>,
    /// Check-ins sent whose answer never came back: national code → the request id to ask with
    /// again (see [`Agent::check_in`]). In memory only.
    unanswered: Arc<Mutex<std::collections::HashMap<String, String>>>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn fail(r: Refusal) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
    (status, Json(r.json())).into_response()
}

impl Agent {
    /// Loads (or makes) the device key and, if the station already holds a package, the station.
    pub fn new(config: Config) -> Result<Agent, String> {
        std::fs::create_dir_all(&config.data).map_err(|e| e.to_string())?;
        let key = sandoq_station::keys::load_or_create(&config.data).map_err(|e| e.to_string())?;
        let centre = Centre::new(&config.central, key.clone()).ok_or_else(|| {
            format!(
                "the centre's address is http://host:port, not {}",
                config.central
            )
        })?;
        let agent = Agent {
            config: Arc::new(config),
            centre,
            key,
            station: Arc::new(Mutex::new(None)),
            waiting: Arc::new(Mutex::new(None)),
            desk_refusals: Arc::default(),
            unanswered: Arc::default(),
        };
        if let Ok(raw) = std::fs::read(agent.config.data.join("package.json")) {
            let package = Package::parse(raw).map_err(|e| e.en)?;
            agent.install(package)?;
        }
        Ok(agent)
    }

    /// Why the centre has not given the package yet, as the desk shows it (e.g. the centre
    /// refused the device's requests because its clock is off), if so.
    pub fn waiting(&self) -> Option<Refusal> {
        self.waiting.lock().ok().and_then(|w| w.clone())
    }

    /// The device key (for tools and tests that speak for this station).
    pub fn device_key(&self) -> SigningKey {
        self.key.clone()
    }

    pub fn public_key(&self) -> String {
        hex(self.key.verifying_key().as_bytes())
    }

    fn now(&self) -> i64 {
        (self.config.clock)()
    }

    fn install(&self, package: Package) -> Result<(), String> {
        let station = Station::load(
            &self.config.data,
            self.key.clone(),
            package,
            self.config.capacity,
            self.now(),
        )
        .map_err(|e| format!("[{}] {}", e.code, e.en))?;
        *self.station.lock().map_err(|_| "poisoned")? = Some(station);
        Ok(())
    }

    /// Runs `f` on the station as the desk and the ballot boxes do (the simulator drives a
    /// station this way when it runs without HTTP).
    pub async fn with_station<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Station) -> Result<T, Refusal> + Send + 'static,
    ) -> Result<T, Refusal> {
        self.with(f).await
    }

    /// Runs `f` on the station, off the async threads (it may write to disk).
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Station) -> Result<T, Refusal> + Send + 'static,
    ) -> Result<T, Refusal> {
        let station = self.station.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = station
                .lock()
                .map_err(|_| refusal(500, "internal", "internal error", "خطای درونی"))?;
            match guard.as_mut() {
                Some(station) => f(station),
                None => Err(refusal(
                    409,
                    "not_set_up",
                    "the station has not received its election package from the centre yet",
                    "شعبه هنوز بستهٔ انتخابات را از مرکز دریافت نکرده است",
                )),
            }
        })
        .await
        .unwrap_or_else(|_| Err(refusal(500, "internal", "internal error", "خطای درونی")))
    }

    /// Asks the centre for the package (signed by the device), checks it and saves its photos.
    async fn fetch_package(&self) -> Result<Package, Refusal> {
        let (status, bytes) = self
            .centre
            .signed_bytes("GET", "/api/station-package", b"", self.now())
            .await
            .map_err(|e| unreachable(&e.0))?;
        if status != 200 {
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let error = &body["error"];
            let code = error["code"].as_str().unwrap_or("refused").to_string();
            return Err(refusal(
                status,
                "centre_refused",
                format!(
                    "the centre refused this device ({code}): {}",
                    error["en"].as_str().unwrap_or("")
                ),
                format!(
                    "مرکز این دستگاه را نپذیرفت ({code}): {}",
                    error["fa"].as_str().unwrap_or("")
                ),
            ));
        }
        let package = Package::parse(bytes)?;
        if package.station != self.config.station {
            return Err(refusal(
                409,
                "wrong_station",
                format!(
                    "this device is registered for station {}, not {}",
                    package.station, self.config.station
                ),
                format!(
                    "این دستگاه برای شعبهٔ {} ثبت شده است، نه {}",
                    package.station, self.config.station
                ),
            ));
        }
        if !self.config.photos {
            return Ok(package);
        }
        let photos = self.config.data.join("photos");
        let _ = std::fs::create_dir_all(&photos);
        for photo in package.export["photos"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let (Some(code), Some(sha)) = (photo["candidate"].as_str(), photo["sha256"].as_str())
            else {
                continue;
            };
            if !code.chars().all(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            let path = photos.join(code);
            if std::fs::read(&path).is_ok_and(|b| hex(&sha2::Sha256::digest(&b)) == sha) {
                continue;
            }
            let url = format!("/api/elections/{}/photos/{code}", package.election);
            if let Ok((200, bytes)) = self.centre.get_bytes(&url).await {
                if hex(&sha2::Sha256::digest(&bytes)) == sha {
                    let _ = station::write_durably(&path, &bytes);
                }
            }
        }
        Ok(package)
    }

    /// One round of background work: the package, the centre's reachability, provisional
    /// check-ins, the report and the ballot records, idle sessions.
    pub async fn tick(&self) {
        let set_up = self.station.lock().map(|s| s.is_some()).unwrap_or(false);
        if !set_up {
            match self.fetch_package().await {
                Ok(package) => {
                    let path = self.config.data.join("package.json");
                    let installed = station::write_durably(&path, &package.raw)
                        .map_err(|e| e.to_string())
                        .and_then(|()| self.install(package));
                    if let Err(e) = installed {
                        eprintln!("sandoq station: {e}");
                    }
                    *self.waiting.lock().unwrap_or_else(|p| p.into_inner()) = None;
                }
                Err(e) => {
                    *self.waiting.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                }
            }
            return;
        }
        let now = self.now();
        let online = matches!(self.centre.get_bytes("/api/health").await, Ok((200, _)));
        let timeout = self.config.session_timeout + Duration::from_secs(15);
        let _ = self
            .with(move |s| {
                s.set_online(online, now);
                s.reap(timeout, now);
                Ok(())
            })
            .await;
        if !online {
            return;
        }
        self.sync_pending().await;
        self.send_report().await;
        self.send_status().await;
    }

    /// Tells the centre how the station is doing (its state and counters), for the dashboards.
    async fn send_status(&self) {
        let Ok(status) = self.with(|s| Ok(s.status())).await else {
            return;
        };
        let desk_refusals = self
            .desk_refusals
            .load(std::sync::atomic::Ordering::Relaxed);
        let body = json!({"state": status["state"], "ballots": status["ballots"],
                          "tokens_issued": status["tokens"]["issued"],
                          "tokens_voided": status["tokens"]["voided"],
                          "desk_refusals": desk_refusals});
        let path = format!("/api/elections/{}/station-status", status["election"]);
        let _ = self
            .centre
            .signed("POST", &path, body.to_string().as_bytes(), self.now())
            .await;
    }

    async fn sync_pending(&self) {
        let Ok((pending, election)) = self
            .with(|s| Ok((s.pending().to_vec(), s.package.election)))
            .await
        else {
            return;
        };
        let path = format!("/api/elections/{election}/provisional-check-ins");
        for p in pending {
            let body = json!({"national_code": p.national_code, "request_id": p.request_id, "checked_in_at": p.at});
            let Ok(answer) = self
                .centre
                .signed("POST", &path, body.to_string().as_bytes(), self.now())
                .await
            else {
                return;
            };
            // Taken (recorded, or turned into an incident for the supervisors), or refused for
            // good: either way the centre has decided and the entry leaves the queue.
            if answer.status == 200 || answer.status == 422 {
                let id = p.request_id.clone();
                let _ = self.with(move |s| s.synced(&id)).await;
            }
        }
    }

    async fn send_report(&self) {
        let Ok((report, election)) = self
            .with(|s| Ok((s.report_to_send(), s.package.election)))
            .await
        else {
            return;
        };
        if let Some(report) = report {
            let path = format!("/api/elections/{election}/station-reports");
            let now = self.now();
            match self
                .centre
                .signed("POST", &path, report.to_string().as_bytes(), now)
                .await
            {
                Ok(answer) if answer.status == 200 => {
                    let _ = self
                        .with(move |s| {
                            s.last_refusal = None;
                            s.reported(now)
                        })
                        .await;
                }
                Ok(answer) => self.remember_refusal(&answer.body).await,
                Err(_) => return,
            }
        }
        let Ok(Some(records)) = self.with(|s| s.records_to_send()).await else {
            return;
        };
        let path = format!("/api/elections/{election}/ballot-records");
        match self
            .centre
            .signed("POST", &path, records.as_bytes(), self.now())
            .await
        {
            Ok(answer) if answer.status == 200 => {
                let _ = self
                    .with(move |s| s.ballots_acknowledged(&answer.body))
                    .await;
            }
            Ok(answer) => self.remember_refusal(&answer.body).await,
            Err(_) => {}
        }
    }

    async fn remember_refusal(&self, body: &Value) {
        let error = body["error"].clone();
        let _ = self
            .with(move |s| {
                s.last_refusal = Some(refusal(
                    422,
                    "centre_refused",
                    format!(
                        "{}: {}",
                        error["code"].as_str().unwrap_or(""),
                        error["en"].as_str().unwrap_or("")
                    ),
                    format!(
                        "{}: {}",
                        error["code"].as_str().unwrap_or(""),
                        error["fa"].as_str().unwrap_or("")
                    ),
                ));
                Ok(())
            })
            .await;
    }
}

fn unreachable(why: &str) -> Refusal {
    refusal(
        503,
        "centre_unreachable",
        format!("the centre cannot be reached ({why})"),
        format!("به مرکز دسترسی نیست ({why})"),
    )
}

/// Runs the background work every `tick` until the process ends.
pub fn spawn_background(agent: Agent) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            agent.tick().await;
            tokio::time::sleep(agent.config.tick).await;
        }
    })
}

/// The agent's pages and local API.
pub fn app(agent: Agent) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/desk") }))
        .route("/desk", get(pages::desk))
        .route("/box/{n}", get(pages::ballot_box))
        .route("/report", get(pages::report))
        .route("/assets/fonts/{file}", get(pages::font))
        .route("/photos/{code}", get(photo))
        .route("/api/status", get(status))
        .route("/api/desk/sign-in", post(sign_in))
        .route("/api/desk/sign-out", post(sign_out))
        .route("/api/desk/open", post(open))
        .route("/api/desk/extend", post(extend))
        .route("/api/desk/close", post(close))
        .route("/api/desk/cosign", post(cosign))
        .route("/api/desk/incident", post(incident))
        .route("/api/desk/check-in", post(check_in))
        .route("/api/box/definition", get(definition))
        .route("/api/box/{n}/unlock", post(unlock))
        .route("/api/box/{n}/touch", post(touch))
        .route("/api/box/{n}/cast", post(cast))
        .route("/api/box/{n}/void", post(void))
        .with_state(agent)
}

const COOKIE: &str = "sandoq_desk";

fn bad_json(rejection: &JsonRejection) -> Refusal {
    refusal(
        400,
        "invalid_json",
        format!("send a JSON object as application/json ({rejection})"),
        format!("یک شیء JSON با نوع application/json بفرستید ({rejection})"),
    )
}

fn cookie(headers: &HeaderMap) -> String {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .next()
        .unwrap_or("")
        .to_string()
}

/// The official signed in at this desk, or a refusal.
async fn official(agent: &Agent, headers: &HeaderMap) -> Result<String, Refusal> {
    let cookie = cookie(headers);
    agent
        .with(move |s| {
            s.official(&cookie).map(str::to_string).ok_or_else(|| {
                refusal(
                    401,
                    "sign_in_needed",
                    "an official must sign in at the desk first",
                    "نخست یکی از مسئولان شعبه باید وارد شود",
                )
            })
        })
        .await
}

fn field(body: &Value, name: &str) -> String {
    body[name].as_str().unwrap_or("").to_string()
}

/// Everything the desk shows (the officials' view); others see the station's state only.
async fn status(State(agent): State<Agent>, headers: HeaderMap) -> Response {
    let signed_in = official(&agent, &headers).await.ok();
    let waiting = agent.waiting.lock().ok().and_then(|w| w.clone());
    let result = agent.with(|s| Ok(s.status())).await;
    let mut answer = match result {
        Ok(status) if signed_in.is_some() => status,
        Ok(status) => {
            json!({"station": status["station"], "state": status["state"], "training": status["training"],
                              "officials_needed": status["officials_needed"], "officials_present": status["officials_present"]})
        }
        Err(_) => json!({"station": agent.config.station, "state": "unregistered"}),
    };
    answer["device_key"] = json!(agent.public_key());
    answer["official"] = json!(signed_in);
    if let Some(w) = waiting {
        answer["waiting"] = w.json()["error"].clone();
    }
    Json(answer).into_response()
}

async fn sign_in(State(agent): State<Agent>, body: Result<Json<Value>, JsonRejection>) -> Response {
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return fail(bad_json(&rejection)),
    };
    let (username, password) = (field(&body, "username"), field(&body, "password"));
    let result = agent
        .with(move |s| {
            s.check_official(&username, &password)?;
            Ok((s.sign_in(&username), s.present()))
        })
        .await;
    match result {
        Ok((cookie, present)) => (
            [(
                "set-cookie",
                format!("{COOKIE}={cookie}; Path=/; HttpOnly; SameSite=Strict"),
            )],
            Json(json!({"signed_in": true, "officials_present": present})),
        )
            .into_response(),
        Err(r) => fail(r),
    }
}

async fn sign_out(State(agent): State<Agent>, headers: HeaderMap) -> Response {
    let cookie = cookie(&headers);
    let _ = agent
        .with(move |s| {
            s.sign_out(&cookie);
            Ok(())
        })
        .await;
    (
        [("set-cookie", format!("{COOKIE}=; Path=/; Max-Age=0"))],
        Json(json!({"signed_out": true})),
    )
        .into_response()
}

/// Opens the station: the officials present, the definition compared with the centre's now.
async fn open(State(agent): State<Agent>, headers: HeaderMap) -> Response {
    if let Err(r) = official(&agent, &headers).await {
        return fail(r);
    }
    let fresh = match agent.fetch_package().await {
        Ok(package) => package,
        Err(r) if r.code == "centre_unreachable" => {
            return fail(refusal(
                503,
                "centre_unreachable",
                "opening compares this station's election definition with the centre's: the centre cannot be reached; try again",
                "برای گشودن، تعریف انتخابات این شعبه با مرکز سنجیده می‌شود و مرکز در دسترس نیست؛ دوباره بکوشید",
            ))
        }
        Err(r) => return fail(r),
    };
    let now = agent.now();
    let result = agent
        .with(move |s| {
            let hash = fresh.hash;
            let opened = s.open(now, &hash);
            if let Err(r) = &opened {
                if r.code == "definition_mismatch" {
                    // Refused; the station takes the centre's definition so that opening can
                    // be tried again (only while it is being set up and its box is empty).
                    s.refresh(fresh)?;
                }
            }
            opened.map(|()| s.status())
        })
        .await;
    match result {
        Ok(status) => Json(status).into_response(),
        Err(r) => fail(r),
    }
}

/// Extends the hours: `until` is Tehran time `HH:MM` on polling day.
async fn extend(
    State(agent): State<Agent>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return fail(bad_json(&rejection)),
    };
    if let Err(r) = official(&agent, &headers).await {
        return fail(r);
    }
    let (until, reason) = (field(&body, "until"), field(&body, "reason"));
    let now = agent.now();
    let result = agent
        .with(move |s| {
            let day = s.package.export["election"]["polling_day"]
                .as_str()
                .unwrap_or("")
                .to_string();
            let bad = || {
                refusal(
                    422,
                    "bad_extension",
                    "give the new closing time as HH:MM (Tehran time) and a reason",
                    "زمان پایان تازه را به شکل HH:MM (به وقت تهران) و دلیل آن را بنویسید",
                )
            };
            let hours =
                sandoq_store::PollingHours::parse("00:00", &sandoq_i18n::ascii_digits(&until))
                    .map_err(|_| bad())?;
            let date = sandoq_registry::Date::parse(&day).map_err(|_| bad())?;
            if reason.trim().is_empty() {
                return Err(bad());
            }
            let until = sandoq_store::Timestamp::from_tehran(
                date,
                u32::from(hours.closes / 60),
                u32::from(hours.closes % 60),
            );
            s.extend(now, until.0, reason.trim())?;
            Ok(json!({"extended_until": until.to_string()}))
        })
        .await;
    match result {
        Ok(answer) => Json(answer).into_response(),
        Err(r) => fail(r),
    }
}

async fn close(State(agent): State<Agent>, headers: HeaderMap) -> Response {
    if let Err(r) = official(&agent, &headers).await {
        return fail(r);
    }
    let now = agent.now();
    match agent.with(move |s| s.close(now).map(|()| s.status())).await {
        Ok(status) => Json(status).into_response(),
        Err(r) => fail(r),
    }
}

/// An official records an incident in the station's event log.
async fn incident(
    State(agent): State<Agent>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return fail(bad_json(&rejection)),
    };
    let official = match official(&agent, &headers).await {
        Ok(name) => name,
        Err(r) => return fail(r),
    };
    let note = format!("{official}: {}", field(&body, "note"));
    let empty = field(&body, "note").trim().is_empty();
    let now = agent.now();
    match agent
        .with(move |s| {
            if empty {
                return s.incident(now, "");
            }
            s.incident(now, &note)
        })
        .await
    {
        Ok(()) => Json(json!({"recorded": true})).into_response(),
        Err(r) => fail(r),
    }
}

/// An official present co-signs the report with their password.
async fn cosign(
    State(agent): State<Agent>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return fail(bad_json(&rejection)),
    };
    if let Err(r) = official(&agent, &headers).await {
        return fail(r);
    }
    let (username, password) = (field(&body, "username"), field(&body, "password"));
    let result = agent
        .with(move |s| {
            let key = s.check_official(&username, &password)?;
            let n = s.cosign(&username, &key)?;
            Ok(json!({"cosignatures": n, "needed": sandoq_station::lifecycle::MIN_OFFICIALS}))
        })
        .await;
    match result {
        Ok(answer) => Json(answer).into_response(),
        Err(r) => fail(r),
    }
}

/// Checks a voter in at the desk (an official signed in).
async fn check_in(
    State(agent): State<Agent>,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return fail(bad_json(&rejection)),
    };
    if let Err(r) = official(&agent, &headers).await {
        return fail(r);
    }
    let answer = agent.check_in(&field(&body, "national_code")).await;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY);
    (status, Json(answer.body)).into_response()
}

/// What the desk answers to a check-in: the HTTP status and the JSON body the desk page shows.
#[derive(Debug, Clone)]
pub struct DeskAnswer {
    pub status: u16,
    pub body: Value,
}

impl From<Refusal> for DeskAnswer {
    fn from(r: Refusal) -> DeskAnswer {
        DeskAnswer {
            status: r.status,
            body: r.json(),
        }
    }
}

impl Agent {
    /// Checks a voter in: the centre decides (or, when it cannot be reached, the election's
    /// offline policy); on success the voter gets a one-time token for a ballot box of this
    /// station (`outcome` `recorded` or `provisional`, and `token`).
    ///
    /// A check-in the centre may have recorded without its answer reaching the desk (the centre
    /// died or the network broke after the request left) is asked again with the same request
    /// id, so that the centre answers it as the same check-in rather than as a second visit of
    /// the same person; a provisional check-in taken then carries that id too, so that its sync
    /// is the same check-in and no double vote is reported. The ids wait in memory only.
    pub async fn check_in(&self, typed: &str) -> DeskAnswer {
        let now = self.now();
        let election = match self
            .with(move |s| s.can_check_in(now).map(|()| s.package.election))
            .await
        {
            Ok(election) => election,
            Err(r) => return r.into(),
        };
        let code = match sandoq_registry::NationalCode::parse(typed) {
            Ok(code) => code.to_string(),
            Err(e) => {
                self.desk_refusals
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return refusal(422, e.code, e.en, e.fa).into();
            }
        };
        let request_id = {
            let mut unanswered = self.unanswered.lock().unwrap_or_else(|p| p.into_inner());
            unanswered
                .entry(code.clone())
                .or_insert_with(|| {
                    let mut id = [0u8; 16];
                    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut id);
                    hex(&id)
                })
                .clone()
        };
        let request = json!({"national_code": code, "request_id": request_id});
        let path = format!("/api/elections/{election}/check-ins");
        let sent = self
            .centre
            .signed("POST", &path, request.to_string().as_bytes(), now)
            .await;
        if let Ok(answer) = &sent {
            // The centre decided (or refused the request itself): a later attempt is new. A
            // server error leaves it unknown whether the check-in was recorded.
            if answer.status < 500 {
                self.answered(&code);
            }
        }
        match sent {
            Ok(answer) if answer.status == 200 => {
                let _ = self
                    .with(move |s| {
                        s.set_online(true, now);
                        Ok(())
                    })
                    .await;
                let mut out =
                    json!({"outcome": answer.body["outcome"], "message": answer.body["message"]});
                if answer.body["outcome"] == "recorded" {
                    match self.with(|s| s.issue_token()).await {
                        Ok(token) => out["token"] = json!(token),
                        Err(r) => return r.into(),
                    }
                } else {
                    for key in ["previous_station", "previous_at_tehran"] {
                        out[key] = answer.body[key].clone();
                    }
                }
                DeskAnswer {
                    status: 200,
                    body: out,
                }
            }
            Ok(answer) => DeskAnswer {
                status: answer.status,
                body: answer.body,
            },
            Err(e) => {
                let id = request_id.clone();
                let provisional_code = code.clone();
                let result = self
                    .with(move |s| {
                        s.set_online(false, now);
                        if s.package.provisional() {
                            s.provisional_check_in(&provisional_code, &id, now)
                                .map(Some)
                        } else {
                            Ok(None)
                        }
                    })
                    .await;
                match result {
                    Ok(Some(token)) => {
                        // The pending check-in carries the id now; its sync settles it.
                        self.answered(&code);
                        DeskAnswer {
                            status: 200,
                            body: json!({
                                "outcome": "provisional", "token": token,
                                "message": {"fa": "مرکز در دسترس نیست؛ پذیرش موقت ثبت شد و پس از برقراری ارتباط به مرکز فرستاده می‌شود.",
                                            "en": "The centre cannot be reached: a provisional check-in is recorded and will be sent to the centre when it is back."},
                            }),
                        }
                    }
                    Ok(None) => refusal(
                        503,
                        "centre_unreachable_refuse",
                        format!("the centre cannot be reached ({}) and this election does not check voters in offline; try again shortly", e.0),
                        format!("مرکز در دسترس نیست ({}) و در این انتخابات پذیرش برون‌خط مجاز نیست؛ کمی بعد دوباره بکوشید", e.0),
                    )
                    .into(),
                    Err(r) => r.into(),
                }
            }
        }
    }

    /// The centre answered a check-in of `code` (or a provisional one took its id).
    fn answered(&self, code: &str) {
        self.unanswered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(code);
    }
}

/// What a ballot box shows: lists and candidates with names and photos, the number of seats.
async fn definition(State(agent): State<Agent>) -> Response {
    let timeout = agent.config.session_timeout.as_secs();
    let boxes = agent.config.boxes;
    match agent
        .with(move |s| {
            let definition = &s.package.export["definition"];
            let photos: Vec<String> = s.package.export["photos"]
                .as_array()
                .map(|p| p.iter().filter_map(|x| x["candidate"].as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let mut entries = Vec::new();
            let person = |c: &Value, list: &Value| {
                let code = c["code"].as_str().unwrap_or("");
                json!({"kind": "candidate", "code": code, "name_fa": c["name_fa"], "name_en": c["name_en"],
                       "list": list["code"], "list_fa": list["name_fa"], "list_en": list["name_en"],
                       "photo": photos.iter().any(|p| p == code).then(|| format!("/photos/{code}"))})
            };
            for list in definition["lists"].as_array().cloned().unwrap_or_default() {
                entries.push(json!({"kind": "list", "code": list["code"], "name_fa": list["name_fa"], "name_en": list["name_en"]}));
                for c in list["candidates"].as_array().cloned().unwrap_or_default() {
                    entries.push(person(&c, &list));
                }
            }
            for c in definition["independents"].as_array().cloned().unwrap_or_default() {
                entries.push(person(&c, &Value::Null));
            }
            Ok(json!({
                "seats": definition["seats"], "entries": entries, "paper_record": s.package.paper_record(),
                "timeout_seconds": timeout, "boxes": boxes, "training": s.package.training(),
                "election_fa": s.package.export["election"]["name_fa"], "election_en": s.package.export["election"]["name_en"],
            }))
        })
        .await
    {
        Ok(answer) => Json(answer).into_response(),
        Err(r) => fail(r),
    }
}

fn box_number(agent: &Agent, n: &str) -> Result<u32, Refusal> {
    n.parse::<u32>()
        .ok()
        .filter(|n| (1..=agent.config.boxes).contains(n))
        .ok_or_else(|| {
            refusal(
                404,
                "unknown_box",
                format!("this station has ballot boxes 1 to {}", agent.config.boxes),
                format!(
                    "این شعبه صندوق‌های ۱ تا {} را دارد",
                    sandoq_i18n::persian_digits(&agent.config.boxes.to_string())
                ),
            )
        })
}

async fn unlock(
    State(agent): State<Agent>,
    UrlPath(n): UrlPath<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return fail(bad_json(&rejection)),
    };
    let n = match box_number(&agent, &n) {
        Ok(n) => n,
        Err(r) => return fail(r),
    };
    let token = field(&body, "token");
    match agent.with(move |s| s.unlock(n, &token)).await {
        Ok(session) => Json(json!({"session": session})).into_response(),
        Err(r) => fail(r),
    }
}

async fn touch(
    State(agent): State<Agent>,
    UrlPath(n): UrlPath<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return fail(bad_json(&rejection)),
    };
    let n = match box_number(&agent, &n) {
        Ok(n) => n,
        Err(r) => return fail(r),
    };
    let session = field(&body, "session");
    match agent.with(move |s| s.touch(n, &session)).await {
        Ok(()) => Json(json!({"ok": true})).into_response(),
        Err(r) => fail(r),
    }
}

async fn void(
    State(agent): State<Agent>,
    UrlPath(n): UrlPath<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return fail(bad_json(&rejection)),
    };
    let n = match box_number(&agent, &n) {
        Ok(n) => n,
        Err(r) => return fail(r),
    };
    let session = field(&body, "session");
    let now = agent.now();
    match agent.with(move |s| s.void(n, &session, now)).await {
        Ok(()) => Json(json!({"voided": true})).into_response(),
        Err(r) => fail(r),
    }
}

/// Reads the voter's choice: `{"list": "101"}`, `{"candidates": [...]}` or `{"blank": true}`.
/// A ballot as the box page sends it: `{"list"}`, `{"candidates"}` or `{"blank": true}`.
pub fn ballot_of(value: &Value) -> Result<Ballot, Refusal> {
    let bad = || {
        refusal(
            422,
            "bad_ballot",
            "a ballot is a list code, candidate codes, or blank",
            "برگ رأی یک کد فهرست، کدهای نامزدها یا سفید است",
        )
    };
    if value["blank"] == json!(true) {
        return Ok(Ballot::Blank);
    }
    if let Some(code) = value["list"].as_str() {
        return Ok(Ballot::List(code.to_string()));
    }
    let codes = value["candidates"].as_array().ok_or_else(bad)?;
    let codes: Option<Vec<String>> = codes
        .iter()
        .map(|c| c.as_str().map(str::to_string))
        .collect();
    let codes = codes.ok_or_else(bad)?;
    if codes.is_empty() {
        return Err(bad());
    }
    Ok(Ballot::Candidates(codes))
}

async fn cast(
    State(agent): State<Agent>,
    UrlPath(n): UrlPath<String>,
    body: Result<Json<Value>, JsonRejection>,
) -> Response {
    let body = match body {
        Ok(Json(body)) => body,
        Err(rejection) => return fail(bad_json(&rejection)),
    };
    let n = match box_number(&agent, &n) {
        Ok(n) => n,
        Err(r) => return fail(r),
    };
    let ballot = match ballot_of(&body["ballot"]) {
        Ok(ballot) => ballot,
        Err(r) => return fail(r),
    };
    let session = field(&body, "session");
    let now = agent.now();
    match agent
        .with(move |s| {
            let (id, ballot) = s.cast(n, &session, &ballot, now)?;
            Ok((id, ballot, s.package.paper_record()))
        })
        .await
    {
        Ok((id, ballot, paper)) => {
            // Shown to the voter (and printed on the slip when the election uses paper); the
            // agent keeps nothing of this answer.
            let mut answer = json!({"recorded": true, "ballot": serde_json::from_str::<Value>(&ballot.canonical()).unwrap_or(Value::Null)});
            if paper {
                answer["ballot_id"] = json!(hex(&id));
                answer["qr_svg"] = json!(pages::qr_svg(&hex(&id), 160));
            }
            Json(answer).into_response()
        }
        Err(r) => fail(r),
    }
}

async fn photo(State(agent): State<Agent>, UrlPath(code): UrlPath<String>) -> Response {
    if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match std::fs::read(agent.config.data.join("photos").join(&code)) {
        Ok(bytes) => {
            let kind = if bytes.starts_with(b"\x89PNG") {
                "image/png"
            } else {
                "image/jpeg"
            };
            (
                [("content-type", kind), ("cache-control", "max-age=3600")],
                bytes,
            )
                .into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `?lang=en` for English; Persian otherwise.
pub type LangQuery = Query<std::collections::HashMap<String, String>>;

/// Whether the station is in a state where the report page has something to show.
pub fn has_report(state: Step) -> bool {
    matches!(state, Step::Closed | Step::Reported)
}

/// Serves the agent on `listener` with its background work, until the process ends.
pub async fn serve(agent: Agent, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    spawn_background(agent.clone());
    axum::serve(listener, app(agent)).await
}

pub fn html(page: String) -> Html<String> {
    Html(page)
}
