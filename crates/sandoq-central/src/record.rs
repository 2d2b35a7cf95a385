//! The election record as the centre holds it (issue 5 §3): gathered from the store and laid out
//! by `sandoq_record::write`.

use sandoq_record::{Device, Input, Official};
use sandoq_store::{Election, Role, Store, StoreError};

/// Everything the record is made of. `restricted` adds the stations' ballot records.
pub async fn input<S: Store>(
    store: &S,
    election: &Election,
    restricted: bool,
) -> Result<Input, StoreError> {
    let (text, _) = crate::definition::export(store, election)
        .await?
        .ok_or_else(|| {
            StoreError::invalid(
                "no_definition",
                "this election has no definition yet",
                "این انتخابات هنوز تعریفی ندارد",
            )
        })?;
    let devices = store
        .devices(election.id)
        .await?
        .into_iter()
        .map(|d| Device {
            station: d.station,
            kind: d.kind.name().to_string(),
            public_key: d.public_key,
            status: d.status.name().to_string(),
        })
        .collect();
    let officials = store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.role == Role::Station && !u.signing_key.is_empty())
        .map(|u| Official {
            username: u.username,
            station: u.scope,
            signing_key: u.signing_key,
        })
        .collect();
    // Only the reports that count: a quarantined station (issue 18 §3) is among the missing.
    let reports: Vec<(String, String)> = sandoq_store::counted_reports(store, election.id)
        .await?
        .into_iter()
        .map(|(station, report, _)| (station, report))
        .collect();
    let ballots = if restricted {
        // A quarantined station's records were refused, so none are stored; kept in step with the
        // reports all the same.
        let mut ballots = store.station_ballots(election.id).await?;
        let counted: std::collections::HashSet<&str> =
            reports.iter().map(|(s, _)| s.as_str()).collect();
        ballots.retain(|(station, _)| counted.contains(station.as_str()));
        ballots
    } else {
        Vec::new()
    };
    let closing = match store.count_closing(election.id).await? {
        Some((statement, _, _)) => Some((statement, store.closing_signatures(election.id).await?)),
        None => None,
    };
    // The roster as prepared (the record says whether it is sealed), and its sealed amendments.
    let ceremony = crate::roster::ceremony(store, election.id)
        .await
        .map_err(|e| StoreError::invalid(e.code, e.en, e.fa))?;
    let roster = ceremony
        .roster
        .as_ref()
        .map(|r| (r.text.clone(), r.signatures.clone()));
    let amendments = ceremony
        .amendments
        .iter()
        .filter(|a| a.sealed)
        .map(|a| (a.text.clone(), a.signatures.clone()))
        .collect();
    Ok(Input {
        roster,
        amendments,
        closing,
        election: text,
        devices,
        officials,
        reports,
        ballots,
    })
}
