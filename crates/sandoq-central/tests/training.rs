//! Training elections can never be mixed with live ones (issue 6 §4): a device registered for a
//! live election is refused by a training election, and the reverse, with a code that says so; the
//! refused import changes nothing. On both backends.

mod support;

use sandoq_central::tables::{self, Format, ImportFailure};
use sandoq_central::AnyStore;
use sandoq_registry::Date;
use sandoq_store::{ElectionId, ElectionKind, ElectionSpec, Store, Timestamp};

async fn election(store: &AnyStore, kind: ElectionKind, now: Timestamp) -> ElectionId {
    let spec = ElectionSpec {
        code: support::unique("kinds"),
        name_fa: "آزمون".into(),
        name_en: "test".into(),
        kind,
        seats: 3,
        constituency: "tehran-rey-tajrish".into(),
        polling_day: Date::from_jalali(1405, 2, 11).unwrap(),
        hours: sandoq_store::PollingHours::default(),
        offline_policy: sandoq_store::OfflinePolicy::Refuse,
        paper_record: false,
        rules: ElectionSpec::DEFAULT_RULES.into(),
    };
    let id = store.create_election(&spec, "hq", now).await.unwrap();
    tables::import_areas(
        store,
        id,
        b"code,kind,parent,name_fa,name_en\nT,county,,T,T\nT-1,district,T,D,D\n",
        Format::Csv,
        "hq",
        now,
    )
    .await
    .unwrap();
    tables::import_stations(
        store,
        id,
        b"code,district,name_fa,name_en,address\nS-1,T-1,S,S,-\n",
        Format::Csv,
        "hq",
        now,
    )
    .await
    .unwrap();
    id
}

fn key(n: u8) -> String {
    let secret = ed25519_dalek::SigningKey::from_bytes(&[n; 32]);
    sandoq_central::http::device_auth::hex(secret.verifying_key().as_bytes())
}

fn refused_with(result: Result<Vec<sandoq_store::DeviceId>, ImportFailure>, code: &str) {
    match result {
        Err(ImportFailure::Report(report)) => {
            assert_eq!(report.problems.len(), 1, "{report:?}");
            assert_eq!(report.problems[0].code, code);
            assert_eq!(report.problems[0].column, Some("public_key"));
            assert!(!report.problems[0].fa.is_empty());
        }
        other => panic!("expected {code}, got {other:?}"),
    }
}

async fn kinds_never_share_devices(store: AnyStore) {
    let now = Timestamp::from_tehran(Date::from_jalali(1405, 2, 1).unwrap(), 9, 0);
    let live = election(&store, ElectionKind::Live, now).await;
    let training = election(&store, ElectionKind::Training, now).await;
    let other_training = election(&store, ElectionKind::Training, now).await;
    let row = |k: &str| format!("station,kind,public_key\nS-1,check_in_desk,{k}\n");
    tables::import_devices(
        &store,
        live,
        row(&key(1)).as_bytes(),
        Format::Csv,
        "hq",
        now,
    )
    .await
    .unwrap();
    tables::import_devices(
        &store,
        training,
        row(&key(2)).as_bytes(),
        Format::Csv,
        "hq",
        now,
    )
    .await
    .unwrap();
    // A live device in a training election, a training device in a live one: refused, and why.
    refused_with(
        tables::import_devices(
            &store,
            training,
            row(&key(1)).as_bytes(),
            Format::Csv,
            "hq",
            now,
        )
        .await,
        "live_device_in_training",
    );
    refused_with(
        tables::import_devices(
            &store,
            live,
            row(&key(2)).as_bytes(),
            Format::Csv,
            "hq",
            now,
        )
        .await,
        "training_device_in_live",
    );
    // Between two elections of the same kind the key is simply taken.
    refused_with(
        tables::import_devices(
            &store,
            other_training,
            row(&key(2)).as_bytes(),
            Format::Csv,
            "hq",
            now,
        )
        .await,
        "device_key_taken",
    );
    // Nothing changed.
    assert_eq!(store.devices(live).await.unwrap().len(), 1);
    assert_eq!(store.devices(training).await.unwrap().len(), 1);
    assert_eq!(store.devices(other_training).await.unwrap().len(), 0);
}

#[tokio::test]
async fn sqlite_training_and_live_elections_never_share_a_device() {
    kinds_never_share_devices(support::sqlite_store().await).await;
}

#[tokio::test]
async fn postgres_training_and_live_elections_never_share_a_device() {
    kinds_never_share_devices(support::postgres_store().await).await;
}

/// A drill (issue 6 §4) starts only on a training election that is voting, at one of its
/// stations that has not opened; each refusal has its own code.
#[tokio::test]
async fn drills_only_on_training_elections_at_unopened_stations() {
    use sandoq_central::drill::refusal;
    use sandoq_store::{ElectionStatus, StationStatus};
    let store = support::sqlite_store().await;
    let now = Timestamp::from_tehran(Date::from_jalali(1405, 2, 11).unwrap(), 9, 0);
    let code = |r: Option<sandoq_central::http::AppError>| r.map(|e| e.code);
    let mut ids = Vec::new();
    for kind in [ElectionKind::Live, ElectionKind::Training] {
        ids.push(election(&store, kind, now).await);
    }
    let (live, training) = (ids[0], ids[1]);
    let read = |id| {
        let store = store.clone();
        async move { store.election(id).await.unwrap().unwrap() }
    };
    assert_eq!(
        code(refusal(&store, &read(training).await, "S-1").await.unwrap()),
        Some("drill_needs_voting")
    );
    for id in [live, training] {
        assert!(store
            .set_election_status(id, ElectionStatus::Setup, ElectionStatus::Voting, "hq", now)
            .await
            .unwrap());
    }
    assert_eq!(
        code(refusal(&store, &read(live).await, "S-1").await.unwrap()),
        Some("drill_needs_training")
    );
    let training_election = read(training).await;
    assert_eq!(
        code(refusal(&store, &training_election, "S-1").await.unwrap()),
        None
    );
    assert_eq!(
        code(refusal(&store, &training_election, "S-7").await.unwrap()),
        Some("unknown_station")
    );
    let opened = StationStatus {
        station: "S-1".into(),
        state: "open".into(),
        ballots: 0,
        tokens_issued: 0,
        received_at: now,
    };
    store.set_station_status(training, &opened).await.unwrap();
    assert_eq!(
        code(refusal(&store, &training_election, "S-1").await.unwrap()),
        Some("drill_station_used")
    );
}
