//! A centre and a station agent, in one process, on polling day: the centre on SQLite with a
//! small election (two lists, an independent, photos), station S-1 with three officials, the
//! agent's device registered; the centre can be stopped and started again on the same port.
#![allow(dead_code)]

#[path = "../../../sandoq-central/tests/support/mod.rs"]
pub mod support;

use sandoq_central::http::{app, people, AppState, Clock};
use sandoq_registry::{synthetic, Date, NationalCode, RegistryEntry};
use sandoq_station_agent::{Agent, Config};
use sandoq_store::{
    ElectionId, ElectionKind, ElectionSpec, OfflinePolicy, Role, Store, Timestamp, Voter,
};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::Arc;

pub const PASSWORD: &str = "officials of station one";
pub const OFFICIALS: [&str; 3] = ["s1-head", "s1-secretary", "s1-member"];

/// A 1×1 PNG.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x08, 0xd7, 0x63, 0x68, 0x60, 0x60, 0x00,
    0x00, 0x00, 0x83, 0x00, 0x81, 0x2e, 0x28, 0x1b, 0x45, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

pub struct Fixture {
    pub store: sandoq_central::AnyStore,
    pub election: ElectionId,
    pub centre: SocketAddr,
    centre_task: Option<tokio::task::JoinHandle<()>>,
    pub now: Timestamp,
    pub voters: Vec<NationalCode>,
    pub agent: Agent,
    pub agent_addr: SocketAddr,
    pub data: std::path::PathBuf,
}

pub struct Options {
    pub policy: OfflinePolicy,
    pub paper_record: bool,
    pub session_timeout: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            policy: OfflinePolicy::Refuse,
            paper_record: false,
            session_timeout: 120,
        }
    }
}

fn start_centre(
    store: sandoq_central::AnyStore,
    listener: std::net::TcpListener,
    now: Timestamp,
) -> tokio::task::JoinHandle<()> {
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let clock: Clock = Arc::new(move || now);
    let state = AppState::new(store, clock);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app(state)).await;
    })
}

impl Fixture {
    pub async fn new(options: Options) -> Fixture {
        let store = support::sqlite_store().await;
        let polling_day = Date::from_jalali(1405, 2, 11).unwrap();
        let now = Timestamp::from_tehran(polling_day, 9, 30);
        let spec = ElectionSpec {
            code: support::unique("tehran-1405-training"),
            name_fa: "هفتمین دورهٔ انتخابات شورای اسلامی شهر تهران (آزمایشی)".into(),
            name_en: "7th Tehran City Council election (training)".into(),
            kind: ElectionKind::Training,
            seats: 3,
            constituency: "tehran-rey-tajrish".into(),
            polling_day,
            hours: sandoq_store::PollingHours::default(),
            offline_policy: options.policy,
            paper_record: options.paper_record,
            rules: ElectionSpec::DEFAULT_RULES.into(),
        };
        let election = store.create_election(&spec, "setup", now).await.unwrap();
        use sandoq_central::tables::{self, Format};
        tables::import_areas(&store, election, b"code,kind,parent,name_fa,name_en\nT,county,,\xd8\xaa\xd9\x87\xd8\xb1\xd8\xa7\xd9\x86,Tehran\nT-1,district,T,\xd8\xa8\xd8\xae\xd8\xb4 \xdb\xb1,District 1\nT-2,district,T,\xd8\xa8\xd8\xae\xd8\xb4 \xdb\xb2,District 2\n", Format::Csv, "setup", now).await.unwrap();
        tables::import_stations(&store, election, "code,district,name_fa,name_en,address\nS-1,T-1,مدرسهٔ فردوسی,Ferdowsi school,خیابان انقلاب\nS-2,T-1,مدرسهٔ سعدی,Saadi school,خیابان آزادی\nS-3,T-2,مدرسهٔ حافظ,Hafez school,خیابان ولیعصر\n".as_bytes(), Format::Csv, "setup", now).await.unwrap();
        let candidates = "type,code,list,name_fa,name_en\nlist,101,,فهرست امید,Hope list\ncandidate,10101,101,مریم احمدی,Maryam Ahmadi\ncandidate,10102,101,علی رضایی,Ali Rezaei\nlist,102,,فهرست آینده,Future list\ncandidate,10201,102,زهرا کریمی,Zahra Karimi\ncandidate,9001,,حسن موسوی,Hassan Mousavi\n";
        let definition = tables::parse_candidates(candidates.as_bytes(), Format::Csv, 3).unwrap();
        let canonical = definition.canonical();
        let hash = sandoq_central::definition::content_hash(&canonical);
        store
            .set_definition(election, &canonical, &hash, "setup", now)
            .await
            .unwrap();
        for candidate in ["10101", "10201"] {
            let photo = sandoq_store::Photo {
                candidate: candidate.into(),
                content_type: "image/png".into(),
                sha256: sandoq_central::definition::content_hash_bytes(PNG),
                bytes: PNG.to_vec(),
            };
            store
                .set_photo(election, &photo, "setup", now)
                .await
                .unwrap();
        }
        for name in OFFICIALS {
            people::store_user(&store, name, Role::Station, "S-1", PASSWORD, "setup", now)
                .await
                .unwrap();
        }
        people::store_user(
            &store,
            "s2-head",
            Role::Station,
            "S-2",
            PASSWORD,
            "setup",
            now,
        )
        .await
        .unwrap();
        for (name, role, scope) in [
            ("hq-admin", Role::Hq, ""),
            ("board-t1", Role::Executive, "T-1"),
            ("board-t2", Role::Executive, "T-2"),
            ("sup-1", Role::Supervisor, ""),
            ("sup-2", Role::Supervisor, ""),
            ("sup-3", Role::Supervisor, ""),
        ] {
            people::store_user(&store, name, role, scope, PASSWORD, "setup", now)
                .await
                .unwrap();
        }
        let adult = Date::from_jalali(1360, 1, 1).unwrap();
        let voters: Vec<NationalCode> = synthetic::national_codes(7).take(40).collect();
        let mut rows: Vec<Voter> = voters
            .iter()
            .map(|&c| Voter {
                national_code: c,
                entry: RegistryEntry {
                    birth_date: adult,
                    constituency: "tehran-rey-tajrish".into(),
                    deceased: false,
                    barred: false,
                },
            })
            .collect();
        // One person for each refusal (for the drill card): under eighteen, another
        // constituency, deceased, barred.
        let child = Date::from_jalali(1395, 1, 1).unwrap();
        for (i, code) in synthetic::national_codes(8).take(4).enumerate() {
            rows.push(Voter {
                national_code: code,
                entry: RegistryEntry {
                    birth_date: if i == 0 { child } else { adult },
                    constituency: if i == 1 {
                        "isfahan"
                    } else {
                        "tehran-rey-tajrish"
                    }
                    .into(),
                    deceased: i == 2,
                    barred: i == 3,
                },
            });
        }
        store
            .import_voters(election, &rows, "setup", now)
            .await
            .unwrap();

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let centre = listener.local_addr().unwrap();
        let centre_task = Some(start_centre(store.clone(), listener, now));

        let data = std::env::temp_dir().join(support::unique("sandoq-agent"));
        let config = Config {
            central: format!("http://{centre}"),
            station: "S-1".into(),
            data: data.clone(),
            boxes: 2,
            capacity: 256,
            session_timeout: std::time::Duration::from_secs(options.session_timeout),
            tick: std::time::Duration::from_millis(200),
            clock: Arc::new(move || now.0),
            photos: true,
        };
        let agent = Agent::new(config).unwrap();
        let devices = format!(
            "station,kind,public_key\nS-1,check_in_desk,{}\n",
            agent.public_key()
        );
        tables::import_devices(
            &store,
            election,
            devices.as_bytes(),
            Format::Csv,
            "setup",
            now,
        )
        .await
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let agent_addr = listener.local_addr().unwrap();
        let served = agent.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, sandoq_station_agent::app(served)).await;
        });
        Fixture {
            store,
            election,
            centre,
            centre_task,
            now,
            voters,
            agent,
            agent_addr,
            data,
        }
    }

    /// The election moves to voting at the centre (check-ins open).
    pub async fn start_voting(&self) {
        assert!(self
            .store
            .set_election_status(
                self.election,
                sandoq_store::ElectionStatus::Setup,
                sandoq_store::ElectionStatus::Voting,
                "hq",
                self.now
            )
            .await
            .unwrap());
    }

    pub async fn stop_centre(&mut self) {
        if let Some(task) = self.centre_task.take() {
            task.abort();
            let _ = task.await;
        }
        // Until the port is free again, nothing answers there.
        for _ in 0..50 {
            if tokio::net::TcpStream::connect(self.centre).await.is_err() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub async fn start_centre(&mut self) {
        let listener = std::net::TcpListener::bind(self.centre).unwrap();
        self.centre_task = Some(start_centre(self.store.clone(), listener, self.now));
    }

    /// A request to the agent, with an optional desk cookie.
    pub async fn call(&self, method: &str, path: &str, cookie: &str, body: Value) -> (u16, Value) {
        let mut headers = vec![("content-type", "application/json".to_string())];
        if !cookie.is_empty() {
            headers.push(("cookie", format!("sandoq_desk={cookie}")));
        }
        let payload = if method == "GET" {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let answer = support::request(self.agent_addr, method, path, &headers, &payload).await;
        (answer.status, answer.body)
    }

    /// Signs an official in; returns the desk cookie.
    pub async fn sign_in(&self, name: &str) -> String {
        let mut headers = vec![("content-type", "application/json".to_string())];
        headers.push(("x-none", String::new()));
        let body = json!({"username": name, "password": PASSWORD}).to_string();
        let answer = support::request(
            self.agent_addr,
            "POST",
            "/api/desk/sign-in",
            &headers,
            body.as_bytes(),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let line = answer
            .head
            .lines()
            .find(|l| l.starts_with("set-cookie:"))
            .expect("a cookie");
        line.split("sandoq_desk=")
            .nth(1)
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    }

    /// Signs a person in at the centre; returns the session cookie (`name=value`).
    pub async fn centre_session(&self, name: &str) -> String {
        let body = json!({"username": name, "password": PASSWORD}).to_string();
        let answer = support::request(
            self.centre,
            "POST",
            "/api/sessions",
            &[("content-type", "application/json".into())],
            body.as_bytes(),
        )
        .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        let line = answer
            .head
            .lines()
            .find(|l| l.starts_with("set-cookie:"))
            .expect("a session cookie");
        line["set-cookie:".len()..]
            .trim()
            .split(';')
            .next()
            .unwrap()
            .to_string()
    }

    /// A request to the centre as a signed-in person.
    pub async fn centre_call(
        &self,
        method: &str,
        path: &str,
        cookie: &str,
        body: Value,
    ) -> (u16, Value) {
        let payload = if body.is_null() {
            Vec::new()
        } else {
            body.to_string().into_bytes()
        };
        let answer = support::request(
            self.centre,
            method,
            path,
            &[
                ("content-type", "application/json".into()),
                ("cookie", cookie.to_string()),
            ],
            &payload,
        )
        .await;
        (answer.status, answer.body)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.agent_addr)
    }
}
