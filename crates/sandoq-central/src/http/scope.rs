//! What part of an election a person sees (issue 3 §3): an executive board sees
//! the stations of its county or district, a station official sees one
//! station; headquarters, supervisors and observers see every station (for
//! observers only public data is served at all, by the route table).

use sandoq_store::{AreaKind, ElectionId, Role, Store, StoreError, User};
use std::collections::HashSet;

/// The stations a person may see in one election.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    All,
    Only(HashSet<String>),
}

impl Seen {
    pub fn includes(&self, station: &str) -> bool {
        match self {
            Seen::All => true,
            Seen::Only(stations) => stations.contains(station),
        }
    }
}

/// The stations `user` may see in `election`. A scope naming no area or station of this
/// election sees nothing (never everything).
pub async fn stations_seen<S: Store>(
    store: &S,
    election: ElectionId,
    user: &User,
) -> Result<Seen, StoreError> {
    match user.role {
        Role::Hq | Role::Supervisor | Role::Observer => Ok(Seen::All),
        Role::Station => Ok(Seen::Only(HashSet::from([user.scope.clone()]))),
        Role::Executive => {
            let areas = store.areas(election).await?;
            let districts: HashSet<&str> = match areas.iter().find(|a| a.code == user.scope) {
                None => HashSet::new(),
                Some(area) if area.kind == AreaKind::District => {
                    HashSet::from([area.code.as_str()])
                }
                Some(county) => areas
                    .iter()
                    .filter(|a| a.kind == AreaKind::District && a.parent == county.code)
                    .map(|a| a.code.as_str())
                    .collect(),
            };
            Ok(Seen::Only(
                store
                    .stations(election)
                    .await?
                    .into_iter()
                    .filter(|s| districts.contains(s.district.as_str()))
                    .map(|s| s.code)
                    .collect(),
            ))
        }
    }
}
