//! A training election shaped like Tehran's, set up in a central store the way headquarters sets
//! one up (the same imports, the same checks): counties, districts and stations, lists and
//! independents with Persian names and portraits drawn by sandoq, a synthetic registry with valid
//! national codes (plus one person for each refusal the desk can give), and the people who sign
//! in: headquarters, supervisors, an executive board per district, three officials per station.
//!
//! Everything is marked training and is synthetic.

use crate::names;
use crate::portrait;
use sandoq_central::http::people;
use sandoq_central::tables::{self, Format};
use sandoq_registry::{synthetic, Date, NationalCode, RegistryEntry};
use sandoq_store::{
    ElectionId, ElectionKind, ElectionSpec, OfflinePolicy, PollingHours, Role, Store, Timestamp,
    Voter,
};
use sha2::Digest;

/// The password of every demo account (printed by `sandoq demo`; training data only).
pub const DEMO_PASSWORD: &str = "sandoq-training-1405";

/// The public seed of the lots (announced before polling day in a real election).
pub const LOT_SEED: &str = "sandoq training election: public lot seed";

/// What to build.
#[derive(Debug, Clone)]
pub struct Shape {
    pub code: String,
    pub seats: u32,
    pub lists: usize,
    pub independents: usize,
    pub stations: usize,
    /// Eligible voters in the registry (the refusal cases come on top).
    pub voters: u64,
    pub seed: u64,
    pub offline_policy: OfflinePolicy,
    pub paper_record: bool,
}

impl Shape {
    /// The demo: 21 seats, ten lists, a hundred independents, three stations.
    pub fn demo(voters: u64) -> Shape {
        Shape {
            code: "tehran-1405-training".into(),
            seats: 21,
            lists: 10,
            independents: 100,
            stations: 3,
            voters,
            seed: 1405,
            offline_policy: OfflinePolicy::Provisional,
            paper_record: true,
        }
    }
}

/// A person who can sign in.
#[derive(Debug, Clone)]
pub struct Person {
    pub username: String,
    pub role: Role,
    pub scope: String,
    pub what_en: String,
    pub what_fa: String,
}

/// A polling station of the training election.
#[derive(Debug, Clone)]
pub struct StationInfo {
    pub code: String,
    pub district: String,
    pub name_fa: String,
    pub name_en: String,
    /// Its three officials' usernames (head, secretary, member).
    pub officials: [String; 3],
}

/// Someone in the registry whom the desk must refuse, and why.
#[derive(Debug, Clone)]
pub struct Refused {
    pub national_code: NationalCode,
    pub why_en: &'static str,
    pub why_fa: &'static str,
}

/// The election as built.
#[derive(Debug, Clone)]
pub struct Training {
    pub election: ElectionId,
    pub polling_day: Date,
    pub stations: Vec<StationInfo>,
    pub people: Vec<Person>,
    /// Eligible voters, in registry order.
    pub voters: Vec<NationalCode>,
    pub refused: Vec<Refused>,
    /// The codes of the lists, and of every candidate (list candidates and independents).
    pub lists: Vec<(String, Vec<String>)>,
    pub independents: Vec<String>,
}

const DISTRICTS: [(&str, &str, &str); 3] = [
    ("THR-1", "بخش مرکزی تهران", "Central Tehran"),
    ("THR-2", "بخش ری", "Rey"),
    ("THR-3", "بخش شمیرانات (تجریش)", "Shemiranat (Tajrish)"),
];

fn fail<E: std::fmt::Debug>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{what}: {e:?}")
}

/// How many candidates list `i` (from 0) presents: the big lists a full slate, the small ones fewer.
fn list_size(i: usize, seats: u32) -> usize {
    let seats = seats as usize;
    let sizes = [
        seats,
        seats,
        seats,
        seats * 6 / 7,
        seats * 5 / 7,
        seats * 4 / 7,
        seats / 2,
        seats * 2 / 7,
        seats / 4,
        seats / 5,
    ];
    sizes.get(i).copied().unwrap_or(seats / 5).max(1)
}

/// Everything the training election is made of, before it is stored.
#[derive(Debug, Clone)]
pub struct Plan {
    pub spec: ElectionSpec,
    areas: String,
    stations: String,
    candidates: String,
    registry: Vec<Voter>,
    /// The election as it will be (its id set when stored).
    pub training: Training,
}

/// Plans the training election of `shape` for `polling_day`: the same shape, seed and day always
/// give the same election (so a demo directory can be opened again).
pub fn plan(shape: &Shape, polling_day: Date) -> Result<Plan, String> {
    let spec = ElectionSpec {
        code: shape.code.clone(),
        name_fa: "هفتمین دورهٔ انتخابات شورای اسلامی شهر تهران — آموزشی".into(),
        name_en: "7th Tehran City Council election — training".into(),
        kind: ElectionKind::Training,
        seats: shape.seats,
        constituency: "tehran-rey-tajrish".into(),
        polling_day,
        hours: PollingHours::default(),
        offline_policy: shape.offline_policy,
        paper_record: shape.paper_record,
        rules: format!(
            r#"{{"rule_set":"tehran-1405","options":{{"tie_break":"lot","lot_seed":{}}}}}"#,
            serde_json::Value::from(LOT_SEED)
        ),
    };

    // Areas and stations.
    let mut areas =
        String::from("code,kind,parent,name_fa,name_en\nTHR,county,,شهرستان تهران,Tehran county\n");
    for (code, fa, en) in DISTRICTS {
        areas.push_str(&format!("{code},district,THR,{fa},{en}\n"));
    }
    let mut stations = Vec::new();
    let mut csv = String::from("code,district,name_fa,name_en,address\n");
    for s in 0..shape.stations {
        let code = format!("{}", 1001 + s);
        let district = DISTRICTS[s % DISTRICTS.len()].0.to_string();
        let place = names::PLACES[s % names::PLACES.len()];
        let n = s + 1;
        let officials = [
            format!("s{n}-head"),
            format!("s{n}-secretary"),
            format!("s{n}-member"),
        ];
        csv.push_str(&format!(
            "{code},{district},{} (شعبهٔ {}),{} (station {n}),خیابان {} پلاک {}\n",
            place.0,
            sandoq_i18n::persian_digits(&n.to_string()),
            place.1,
            names::FAMILY[s % names::FAMILY.len()].0,
            sandoq_i18n::persian_digits(&(10 + 3 * s).to_string()),
        ));
        stations.push(StationInfo {
            code,
            district,
            name_fa: format!(
                "{} (شعبهٔ {})",
                place.0,
                sandoq_i18n::persian_digits(&n.to_string())
            ),
            name_en: format!("{} (station {n})", place.1),
            officials,
        });
    }
    let stations_csv = csv;

    // Lists, candidates and independents, with portraits.
    let mut csv = String::from("type,code,list,name_fa,name_en\n");
    let mut person = 0u64;
    let mut lists = Vec::new();
    for i in 0..shape.lists {
        let (fa, en) = names::LISTS[i % names::LISTS.len()];
        let round = i / names::LISTS.len();
        let (fa, en) = if round == 0 {
            (fa.to_string(), en.to_string())
        } else {
            let n = round + 1;
            (
                format!("{fa} {}", sandoq_i18n::persian_digits(&n.to_string())),
                format!("{en} {n}"),
            )
        };
        let code = format!("{}", 101 + i);
        csv.push_str(&format!("list,{code},,{fa},{en}\n"));
        let mut members = Vec::new();
        for k in 0..list_size(i, shape.seats) {
            let (name_fa, name_en) = names::person(shape.seed, person);
            person += 1;
            let candidate = format!("{code}{:02}", k + 1);
            csv.push_str(&format!(
                "candidate,{candidate},{code},{name_fa},{name_en}\n"
            ));
            members.push(candidate);
        }
        lists.push((code, members));
    }
    let mut independents = Vec::new();
    for k in 0..shape.independents {
        let (name_fa, name_en) = names::person(shape.seed, person);
        person += 1;
        let candidate = format!("{}", 9001 + k);
        csv.push_str(&format!("candidate,{candidate},,{name_fa},{name_en}\n"));
        independents.push(candidate);
    }
    let candidates_csv = csv;

    // The registry: one person for each refusal first (so that their codes do not depend on the
    // registry's size), then eligible adults.
    let mut rng = synthetic::Rng::new(shape.seed);
    let mut codes = synthetic::national_codes(shape.seed);
    let mut rows = Vec::with_capacity(shape.voters as usize + 4);
    let mut voters = Vec::with_capacity(shape.voters as usize);
    let mut refused = Vec::new();
    let cases: [(i64, &str, bool, bool, &str, &str); 4] = [
        (
            17 * 365,
            "tehran-rey-tajrish",
            false,
            false,
            "under 18 on polling day",
            "زیر ۱۸ سال در روز رأی‌گیری",
        ),
        (
            40 * 365,
            "tehran-rey-tajrish",
            true,
            false,
            "deceased",
            "درگذشته",
        ),
        (
            40 * 365,
            "tehran-rey-tajrish",
            false,
            true,
            "barred from voting",
            "محروم از رأی",
        ),
        (
            40 * 365,
            "isfahan",
            false,
            false,
            "registered in another constituency",
            "ثبت‌شده در حوزهٔ انتخابیهٔ دیگر",
        ),
    ];
    for (age_days, constituency, deceased, barred, why_en, why_fa) in cases {
        let code = codes.next().ok_or("no more synthetic national codes")?;
        rows.push(Voter {
            national_code: code,
            entry: RegistryEntry {
                birth_date: Date(polling_day.0 - age_days),
                constituency: constituency.into(),
                deceased,
                barred,
            },
        });
        refused.push(Refused {
            national_code: code,
            why_en,
            why_fa,
        });
    }
    for _ in 0..shape.voters {
        let code = codes.next().ok_or("no more synthetic national codes")?;
        // 18 to 90 years old on polling day.
        let age_days = 18 * 366 + rng.below(72 * 365) as i64;
        rows.push(Voter {
            national_code: code,
            entry: RegistryEntry {
                birth_date: Date(polling_day.0 - age_days),
                constituency: "tehran-rey-tajrish".into(),
                deceased: false,
                barred: false,
            },
        });
        voters.push(code);
    }

    // People.
    let mut people_list = vec![Person {
        username: "hq".into(),
        role: Role::Hq,
        scope: String::new(),
        what_en: "headquarters".into(),
        what_fa: "ستاد انتخابات".into(),
    }];
    for n in 1..=3 {
        people_list.push(Person {
            username: format!("supervisor-{n}"),
            role: Role::Supervisor,
            scope: String::new(),
            what_en: "supervisory board (co-signs the result)".into(),
            what_fa: "هیئت نظارت (امضای نتیجه)".into(),
        });
    }
    for (code, fa, en) in DISTRICTS {
        people_list.push(Person {
            username: format!("board-{}", code.to_lowercase()),
            role: Role::Executive,
            scope: code.into(),
            what_en: format!("executive board of {en} (its stations only)"),
            what_fa: format!("هیئت اجرایی {fa} (فقط شعبه‌های آن)"),
        });
    }
    people_list.push(Person {
        username: "observer".into(),
        role: Role::Observer,
        scope: String::new(),
        what_en: "observer (public data)".into(),
        what_fa: "ناظر (داده‌های عمومی)".into(),
    });
    for station in &stations {
        for (username, (en, fa)) in station.officials.iter().zip([
            ("head", "رئیس"),
            ("secretary", "منشی"),
            ("member", "عضو"),
        ]) {
            people_list.push(Person {
                username: username.clone(),
                role: Role::Station,
                scope: station.code.clone(),
                what_en: format!("station {} official ({en})", station.code),
                what_fa: format!("کارگزار شعبهٔ {} ({fa})", station.code),
            });
        }
    }
    // The registry in national-code order: the database appends instead of inserting at random
    // places (the eligible voters keep their own order in `training.voters`).
    rows.sort_unstable_by_key(|v| v.national_code);
    Ok(Plan {
        spec,
        areas,
        stations: stations_csv,
        candidates: candidates_csv,
        registry: rows,
        training: Training {
            election: ElectionId(0),
            polling_day,
            stations,
            people: people_list,
            voters,
            refused,
            lists,
            independents,
        },
    })
}

/// How the station officials' accounts are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Officials {
    /// As headquarters makes them: each signs in with [`DEMO_PASSWORD`], and their co-signing key
    /// is derived from it (two Argon2 runs each).
    Passwords,
    /// For the simulator at full scale (15,000 officials, whose Argon2 runs alone would take ten
    /// minutes): co-signing keys from the seed ([`official_key`]), stored in one transaction, and
    /// accounts that cannot sign in (no password hash). The centre checks their co-signatures on
    /// each report exactly as it checks anyone's.
    Seeded(u64),
}

/// A simulated official's co-signing key under [`Officials::Seeded`].
pub fn official_key(seed: u64, username: &str) -> ed25519_dalek::SigningKey {
    let digest = sha2::Sha256::digest(format!("sandoq-sim-official-v1\n{seed}\n{username}"));
    ed25519_dalek::SigningKey::from_bytes(&digest.into())
}

/// Stores the planned election in `store` the way headquarters would (the same imports and
/// checks), with the people who sign in (password [`DEMO_PASSWORD`]).
pub async fn set_up<S: Store>(store: &S, plan: &Plan, now: Timestamp) -> Result<Training, String> {
    set_up_with(store, plan, now, Officials::Passwords).await
}

/// [`set_up`], with the station officials made as `officials` says.
pub async fn set_up_with<S: Store>(
    store: &S,
    plan: &Plan,
    now: Timestamp,
    officials: Officials,
) -> Result<Training, String> {
    let actor = "training-setup";
    let election = store
        .create_election(&plan.spec, actor, now)
        .await
        .map_err(fail("create the election"))?;
    tables::import_areas(
        store,
        election,
        plan.areas.as_bytes(),
        Format::Csv,
        actor,
        now,
    )
    .await
    .map_err(fail("import the areas"))?;
    tables::import_stations(
        store,
        election,
        plan.stations.as_bytes(),
        Format::Csv,
        actor,
        now,
    )
    .await
    .map_err(fail("import the stations"))?;
    let definition =
        tables::parse_candidates(plan.candidates.as_bytes(), Format::Csv, plan.spec.seats)
            .map_err(fail("read the lists and candidates"))?;
    let canonical = definition.canonical();
    let hash = sandoq_central::definition::content_hash(&canonical);
    store
        .set_definition(election, &canonical, &hash, actor, now)
        .await
        .map_err(fail("set the definition"))?;
    let training = &plan.training;
    let everyone = training
        .lists
        .iter()
        .flat_map(|(_, members)| members.iter())
        .chain(training.independents.iter());
    for candidate in everyone {
        let bytes = portrait::portrait_png(candidate);
        let photo = sandoq_store::Photo {
            candidate: candidate.clone(),
            content_type: "image/png".into(),
            sha256: sandoq_central::definition::content_hash_bytes(&bytes),
            bytes,
        };
        store
            .set_photo(election, &photo, actor, now)
            .await
            .map_err(fail("store a portrait"))?;
    }
    store
        .import_voters(election, &plan.registry, actor, now)
        .await
        .map_err(fail("import the registry"))?;
    let existing: Vec<String> = store
        .users()
        .await
        .map_err(fail("read the users"))?
        .into_iter()
        .map(|u| u.username)
        .collect();
    let mut bulk = Vec::new();
    for person in &training.people {
        if existing.contains(&person.username) {
            continue;
        }
        if let (Officials::Seeded(seed), Role::Station) = (officials, person.role) {
            let key = official_key(seed, &person.username);
            bulk.push(sandoq_store::NewOfficial {
                username: person.username.clone(),
                role: person.role,
                scope: person.scope.clone(),
                // Not a password hash: nobody can sign in with this account.
                password_hash: "!simulated".into(),
                signing_key: sandoq_central::http::device_auth::hex(key.verifying_key().as_bytes()),
            });
            continue;
        }
        people::store_user(
            store,
            &person.username,
            person.role,
            &person.scope,
            DEMO_PASSWORD,
            actor,
            now,
        )
        .await
        .map_err(fail("create a user"))?;
    }
    if !bulk.is_empty() {
        store
            .create_officials(&bulk, actor, now)
            .await
            .map_err(fail("create the station officials"))?;
    }
    let mut training = training.clone();
    training.election = election;
    Ok(training)
}
