//! A synthetic election shaped like Tehran's and its ballots, reproducible from a seed.
//! Only synthetic data: codes and names are made up.

use anyhow::Context;
use sandoq_count::{ElectionDefinition, ListDefinition, Vote};
use std::io::Write;
use std::path::Path;

/// The same small reproducible generator as the synthetic registry's (SplitMix64; not for secrets).
pub use sandoq_registry::synthetic::Rng;

/// Skewed towards small values: the smaller of two uniform draws.
fn skewed(rng: &mut Rng, n: u64) -> u64 {
    rng.below(n).min(rng.below(n))
}

pub const N_LISTS: usize = 12;
pub const LIST_SIZE: usize = 21;
pub const N_INDEPENDENTS: usize = 300;
pub const SEATS: u32 = 21;

/// 21 seats, 12 lists of 21 candidates, 300 independents.
pub fn tehran_shaped() -> ElectionDefinition {
    let lists = (0..N_LISTS)
        .map(|l| ListDefinition {
            code: (101 + l).to_string(),
            name: format!(
                "فهرست آزمایشی {}",
                sandoq_i18n::persian_digits(&(l + 1).to_string())
            ),
            candidates: (0..LIST_SIZE)
                .map(|i| format!("{}{:02}", 101 + l, i + 1))
                .collect(),
        })
        .collect();
    let independents = (0..N_INDEPENDENTS)
        .map(|i| (9001 + i).to_string())
        .collect();
    ElectionDefinition {
        seats: SEATS,
        lists,
        independents,
    }
}

/// What one synthetic ballot holds, as candidate indices into [`tehran_shaped`]:
/// lists 0..12, candidates of list l at l*21..l*21+21, independents after.
pub enum Synthetic {
    List(u32),
    Candidates(Vec<u32>),
    Blank,
}

pub fn ballot(rng: &mut Rng) -> Synthetic {
    let roll = rng.below(100);
    if roll < 55 {
        Synthetic::List(skewed(rng, N_LISTS as u64) as u32)
    } else if roll < 97 {
        let n_names = 1 + rng.below(u64::from(SEATS)) as usize;
        let n_candidates = (N_LISTS * LIST_SIZE + N_INDEPENDENTS) as u64;
        let mut names: Vec<u32> = Vec::with_capacity(n_names);
        while names.len() < n_names {
            let c = skewed(rng, n_candidates) as u32;
            if !names.contains(&c) {
                names.push(c);
            }
        }
        Synthetic::Candidates(names)
    } else {
        Synthetic::Blank
    }
}

impl Synthetic {
    pub fn as_vote(&self) -> Vote<'_> {
        match self {
            Synthetic::List(l) => Vote::List(*l),
            Synthetic::Candidates(names) => Vote::Candidates(names),
            Synthetic::Blank => Vote::Blank,
        }
    }
}

pub fn election_json(definition: &ElectionDefinition) -> serde_json::Value {
    serde_json::json!({
        "seats": definition.seats,
        "lists": definition.lists.iter().map(|l| serde_json::json!({"code": l.code, "name": l.name, "candidates": l.candidates})).collect::<Vec<_>>(),
        "independents": definition.independents,
        "rules": {"lot_seed": "synthetic election: public seed"},
    })
}

/// Writes the election file and `count` ballots as JSONL.
pub fn write_files(election: &Path, ballots: &Path, count: u64, seed: u64) -> anyhow::Result<()> {
    let definition = tehran_shaped();
    std::fs::write(
        election,
        serde_json::to_vec_pretty(&election_json(&definition))?,
    )
    .with_context(|| format!("writing {}", election.display()))?;
    write_ballots(&definition, ballots, count, seed)
}

pub fn write_ballots(
    definition: &ElectionDefinition,
    path: &Path,
    count: u64,
    seed: u64,
) -> anyhow::Result<()> {
    let codes: Vec<&str> = definition
        .lists
        .iter()
        .flat_map(|l| l.candidates.iter())
        .chain(definition.independents.iter())
        .map(String::as_str)
        .collect();
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng::new(seed);
    let mut line = String::with_capacity(256);
    for _ in 0..count {
        line.clear();
        match ballot(&mut rng) {
            Synthetic::List(l) => {
                line.push_str("{\"list\":\"");
                line.push_str(&definition.lists[l as usize].code);
                line.push_str("\"}\n");
            }
            Synthetic::Candidates(names) => {
                line.push_str("{\"candidates\":[");
                for (i, c) in names.iter().enumerate() {
                    if i > 0 {
                        line.push(',');
                    }
                    line.push('"');
                    line.push_str(codes[*c as usize]);
                    line.push('"');
                }
                line.push_str("]}\n");
            }
            Synthetic::Blank => line.push_str("{\"blank\":true}\n"),
        }
        out.write_all(line.as_bytes())?;
    }
    out.flush()?;
    Ok(())
}
