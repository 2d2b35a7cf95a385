//! The election definition as the centre exports it (`definition` in the export document), read
//! into the counting engine's contest: what a station checks ballots against.

use serde_json::Value;

/// The contest a stored canonical definition describes, as the counting engine sees it.
pub fn contest_from_canonical(canonical: &str) -> Option<sandoq_count::Contest> {
    let document: Value = serde_json::from_str(canonical).ok()?;
    let codes = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|c| c["code"].as_str().map(str::to_string))
            .collect()
    };
    let definition = sandoq_count::ElectionDefinition {
        seats: u32::try_from(document["seats"].as_u64()?).ok()?,
        lists: document["lists"]
            .as_array()?
            .iter()
            .map(|l| {
                Some(sandoq_count::ListDefinition {
                    code: l["code"].as_str()?.to_string(),
                    name: l["name_fa"].as_str()?.to_string(),
                    candidates: codes(&l["candidates"])?,
                })
            })
            .collect::<Option<Vec<_>>>()?,
        independents: codes(&document["independents"])?,
    };
    definition.validate().ok()
}
