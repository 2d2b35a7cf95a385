//! Which station reports count (issue 18 §3). A report is stored once and never changed or
//! deleted; when the station's ballot records, checked against the report's commitment and
//! signed by its device, count to something else than the report says, the report is
//! quarantined (`Store::quarantine_report`) and from then on left out of every count: the live
//! results, the closing of the count, the exports and the election record. This is the one
//! place that decides it, so that no reader of reports can forget the quarantine.

use crate::{ElectionId, Store, StoreError, Timestamp};
use std::collections::HashSet;

/// The stored reports that count: every station's report but those quarantined, by station
/// (station, report, when received). One read of the reports and one of the (small) quarantine
/// table.
pub async fn counted_reports<S: Store>(
    store: &S,
    election: ElectionId,
) -> Result<Vec<(String, String, Timestamp)>, StoreError> {
    let quarantined = quarantined_stations(store, election).await?;
    let mut reports = store.station_reports(election).await?;
    if !quarantined.is_empty() {
        reports.retain(|(station, _, _)| !quarantined.contains(station));
    }
    Ok(reports)
}

/// The stations whose report is quarantined.
pub async fn quarantined_stations<S: Store>(
    store: &S,
    election: ElectionId,
) -> Result<HashSet<String>, StoreError> {
    Ok(store
        .quarantined_reports(election)
        .await?
        .into_iter()
        .map(|q| q.station)
        .collect())
}
