//! Setup files as tables (issue 3 §2): areas, stations, devices, and lists with
//! their candidates, each from CSV (UTF-8, a header line naming the columns in
//! any order) or JSON (an array of objects with those keys). Every file is
//! checked completely against itself and against what the store already
//! holds; a file with any bad row changes nothing and returns every problem
//! with its row and column.
//!
//! Formats (columns):
//! - areas: `code,kind,parent,name_fa,name_en` — `kind` is `county` or
//!   `district`; a district's `parent` is its county (in the file or already
//!   imported), a county has none.
//! - stations: `code,district,name_fa,name_en,address` — the district must
//!   already be imported.
//! - devices: `station,kind,public_key` — `kind` is `check_in_desk` or
//!   `ballot_box`; the key is 64 hex characters of an Ed25519 key.
//! - candidates: `type,code,list,name_fa,name_en` — `type` is `list` or
//!   `candidate`; a candidate's `list` is the code of a list row of the same
//!   file, or empty for an independent. The whole file becomes the election
//!   definition, checked by the counting rules.

use crate::definition::{Definition, ListEntry, Named};
use crate::import::{ImportProblem, ImportReport, MAX_LISTED_PROBLEMS};
use sandoq_store::{
    Area, AreaKind, DeviceKind, ElectionId, ElectionKind, NewDevice, Station, Store, StoreError,
};
use std::collections::{HashMap, HashSet};

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

/// One data row: its number (from 1) and its cells in the order of the expected columns.
#[derive(Debug, Clone)]
pub struct Row {
    pub number: u64,
    pub cells: Vec<String>,
}

/// Why an import changed nothing: the file's problems, or the store's refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportFailure {
    Report(ImportReport),
    Store(StoreError),
}

impl From<StoreError> for ImportFailure {
    fn from(error: StoreError) -> ImportFailure {
        ImportFailure::Store(error)
    }
}

/// Collects problems; the report lists the first [`MAX_LISTED_PROBLEMS`] and counts them all.
#[derive(Debug, Default)]
pub struct Problems {
    report: ImportReport,
}

impl Problems {
    pub fn add(
        &mut self,
        row: u64,
        column: Option<&'static str>,
        code: &'static str,
        en: impl Into<String>,
        fa: impl Into<String>,
    ) {
        self.report.problems_found += 1;
        if self.report.problems.len() < MAX_LISTED_PROBLEMS {
            self.report.problems.push(ImportProblem {
                row,
                column,
                code,
                en: en.into(),
                fa: fa.into(),
            });
        }
    }

    fn is_empty(&self) -> bool {
        self.report.problems_found == 0
    }

    /// Ok if no problem was found; otherwise the report (and the collector is emptied).
    fn finish(&mut self, rows: u64) -> Result<(), ImportFailure> {
        self.report.rows = rows;
        // By row, so that a person can fix the file from top to bottom (stable: columns keep their order).
        self.report.problems.sort_by_key(|p| p.row);
        if self.is_empty() {
            Ok(())
        } else {
            Err(ImportFailure::Report(std::mem::take(&mut self.report)))
        }
    }
}

fn refused(problem: ImportProblem) -> ImportFailure {
    ImportFailure::Report(ImportReport {
        rows: 0,
        problems_found: 1,
        problems: vec![problem],
    })
}

fn file_problem(code: &'static str, en: String, fa: String) -> ImportFailure {
    refused(ImportProblem {
        row: 0,
        column: None,
        code,
        en,
        fa,
    })
}

/// Reads a file into rows of the expected columns; any problem with its shape refuses it whole.
pub fn read_rows(
    bytes: &[u8],
    format: Format,
    columns: &[&'static str],
) -> Result<Vec<Row>, ImportFailure> {
    match format {
        Format::Csv => read_csv(bytes, columns),
        Format::Json => read_json(bytes, columns),
    }
}

fn read_csv(bytes: &[u8], columns: &[&'static str]) -> Result<Vec<Row>, ImportFailure> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_string()).collect(),
        Err(error) => return Err(refused(crate::import::csv_problem(0, &error))),
    };
    let mut positions = Vec::with_capacity(columns.len());
    let mut problems = Problems::default();
    for column in columns {
        match header.iter().position(|h| h == column) {
            Some(at) => positions.push(at),
            None => problems.add(
                0,
                Some(column),
                "missing_column",
                format!("the header has no column {column}"),
                format!("سطر عنوان ستون {column} را ندارد"),
            ),
        }
    }
    for name in &header {
        if !columns.contains(&name.as_str()) {
            problems.add(
                0,
                None,
                "unknown_column",
                format!("unknown column {name:?} (expected {})", columns.join(",")),
                format!("ستون ناشناخته {name:?} (ستون‌ها: {})", columns.join(",")),
            );
        }
    }
    problems.finish(0)?;
    let mut rows = Vec::new();
    let mut number = 0;
    for record in reader.records() {
        number += 1;
        match record {
            Ok(record) if record.len() == header.len() => rows.push(Row {
                number,
                cells: positions
                    .iter()
                    .map(|&at| record[at].trim().to_string())
                    .collect(),
            }),
            Ok(record) => problems.add(
                number,
                None,
                "wrong_column_count",
                format!("{} columns; expected {}", record.len(), header.len()),
                format!("{} ستون؛ باید {} باشد", record.len(), header.len()),
            ),
            Err(error) => {
                let problem = crate::import::csv_problem(number, &error);
                problems.add(
                    problem.row,
                    problem.column,
                    problem.code,
                    problem.en,
                    problem.fa,
                );
            }
        }
    }
    problems.finish(number)?;
    Ok(rows)
}

fn read_json(bytes: &[u8], columns: &[&'static str]) -> Result<Vec<Row>, ImportFailure> {
    let document =
        sandoq_json::value::parse_document(bytes).map_err(|e| file_problem(e.code, e.en, e.fa))?;
    let Some(items) = document.as_array() else {
        return Err(file_problem(
            "not_an_array",
            "the file must be a JSON array of objects".into(),
            "پرونده باید آرایه‌ای JSON از شیءها باشد".into(),
        ));
    };
    let mut problems = Problems::default();
    let mut rows = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        let number = index as u64 + 1;
        let Some(map) = item.as_object() else {
            problems.add(
                number,
                None,
                "not_an_object",
                "each row must be a JSON object",
                "هر ردیف باید شیء JSON باشد",
            );
            continue;
        };
        for key in map.keys() {
            if !columns.contains(&key.as_str()) {
                problems.add(
                    number,
                    None,
                    "unknown_column",
                    format!("unknown key {key:?} (expected {})", columns.join(",")),
                    format!("کلید ناشناخته {key:?} (کلیدها: {})", columns.join(",")),
                );
            }
        }
        let mut cells = Vec::with_capacity(columns.len());
        for column in columns {
            let text = match map.get(*column) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(s)) => s.trim().to_string(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                Some(serde_json::Value::Bool(b)) => b.to_string(),
                Some(_) => {
                    problems.add(
                        number,
                        Some(column),
                        "wrong_type",
                        format!("{column} must be text or a number"),
                        format!("{column} باید متن یا عدد باشد"),
                    );
                    String::new()
                }
            };
            cells.push(text);
        }
        rows.push(Row { number, cells });
    }
    problems.finish(items.len() as u64)?;
    Ok(rows)
}

fn require_text(problems: &mut Problems, row: &Row, index: usize, column: &'static str) {
    if row.cells[index].is_empty() {
        problems.add(
            row.number,
            Some(column),
            "empty_field",
            format!("{column} is empty"),
            format!("{column} خالی است"),
        );
    }
}

fn code_field(problems: &mut Problems, row: &Row, index: usize, column: &'static str) -> String {
    let code = sandoq_count::election::normalize_code(&row.cells[index]);
    if !sandoq_store::checkin::is_code(&code) {
        problems.add(
            row.number,
            Some(column),
            "bad_code",
            format!("{column} must be 1-64 letters, digits or -_.: (found {code:?})"),
            format!("{column} باید ۱ تا ۶۴ حرف، رقم یا -_.: باشد ({code:?} آمده است)"),
        );
    }
    code
}

fn duplicate(problems: &mut Problems, row: &Row, column: &'static str, code: &str) {
    problems.add(
        row.number,
        Some(column),
        "duplicate_code",
        format!("{code} appears on an earlier row"),
        format!("{code} در ردیفی پیش‌تر هم آمده است"),
    );
}

fn taken(problems: &mut Problems, row: &Row, column: &'static str, code: &str) {
    problems.add(
        row.number,
        Some(column),
        "code_taken",
        format!("{code} is already in this election"),
        format!("{code} از پیش در این انتخابات هست"),
    );
}

pub const AREA_COLUMNS: [&str; 5] = ["code", "kind", "parent", "name_fa", "name_en"];

/// Checks counties and districts; stores them all, or nothing.
pub async fn import_areas<S: Store>(
    store: &S,
    election: ElectionId,
    bytes: &[u8],
    format: Format,
    actor: &str,
    at: sandoq_store::Timestamp,
) -> Result<u64, ImportFailure> {
    let rows = read_rows(bytes, format, &AREA_COLUMNS)?;
    let existing: HashMap<String, AreaKind> = store
        .areas(election)
        .await?
        .into_iter()
        .map(|a| (a.code, a.kind))
        .collect();
    let mut problems = Problems::default();
    let mut in_file: HashMap<String, AreaKind> = HashMap::new();
    let mut areas = Vec::with_capacity(rows.len());
    for row in &rows {
        let code = code_field(&mut problems, row, 0, "code");
        let kind = AreaKind::from_name(&row.cells[1]);
        if kind.is_none() {
            problems.add(
                row.number,
                Some("kind"),
                "unknown_area_kind",
                format!("kind must be county or district (found {:?})", row.cells[1]),
                format!(
                    "نوع باید county (شهرستان) یا district (بخش) باشد ({:?} آمده است)",
                    row.cells[1]
                ),
            );
        }
        if existing.contains_key(&code) {
            taken(&mut problems, row, "code", &code);
        } else if let Some(kind) = kind {
            if in_file.insert(code.clone(), kind).is_some() {
                duplicate(&mut problems, row, "code", &code);
            }
        }
        require_text(&mut problems, row, 3, "name_fa");
        require_text(&mut problems, row, 4, "name_en");
        if let Some(kind) = kind {
            areas.push(Area {
                code,
                kind,
                parent: sandoq_count::election::normalize_code(&row.cells[2]),
                name_fa: row.cells[3].clone(),
                name_en: row.cells[4].clone(),
            });
        }
    }
    for (area, row) in areas.iter().zip(
        rows.iter()
            .filter(|r| AreaKind::from_name(&r.cells[1]).is_some()),
    ) {
        match area.kind {
            AreaKind::County if !area.parent.is_empty() => problems.add(
                row.number,
                Some("parent"),
                "county_has_parent",
                "a county has no parent area",
                "شهرستان بالادست ندارد",
            ),
            AreaKind::District => {
                let parent = in_file
                    .get(&area.parent)
                    .or_else(|| existing.get(&area.parent));
                if parent != Some(&AreaKind::County) {
                    problems.add(
                        row.number,
                        Some("parent"),
                        "unknown_county",
                        format!(
                            "a district's parent must be a county; {:?} is not one",
                            area.parent
                        ),
                        format!(
                            "بالادست بخش باید شهرستان باشد؛ {:?} شهرستان نیست",
                            area.parent
                        ),
                    );
                }
            }
            AreaKind::County => {}
        }
    }
    problems.finish(rows.len() as u64)?;
    Ok(store.import_areas(election, &areas, actor, at).await?)
}

pub const STATION_COLUMNS: [&str; 5] = ["code", "district", "name_fa", "name_en", "address"];

/// Checks polling stations (each in an imported district); stores them all, or nothing.
pub async fn import_stations<S: Store>(
    store: &S,
    election: ElectionId,
    bytes: &[u8],
    format: Format,
    actor: &str,
    at: sandoq_store::Timestamp,
) -> Result<u64, ImportFailure> {
    let rows = read_rows(bytes, format, &STATION_COLUMNS)?;
    let districts: HashSet<String> = store
        .areas(election)
        .await?
        .into_iter()
        .filter(|a| a.kind == AreaKind::District)
        .map(|a| a.code)
        .collect();
    let existing: HashSet<String> = store
        .stations(election)
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect();
    let mut problems = Problems::default();
    let mut in_file = HashSet::new();
    let mut stations = Vec::with_capacity(rows.len());
    for row in &rows {
        let code = code_field(&mut problems, row, 0, "code");
        if existing.contains(&code) {
            taken(&mut problems, row, "code", &code);
        } else if !in_file.insert(code.clone()) {
            duplicate(&mut problems, row, "code", &code);
        }
        let district = sandoq_count::election::normalize_code(&row.cells[1]);
        if !districts.contains(&district) {
            problems.add(
                row.number,
                Some("district"),
                "unknown_district",
                format!(
                    "there is no district {district:?} in this election (import the areas first)"
                ),
                format!("بخش {district:?} در این انتخابات نیست (نخست حوزه‌ها را وارد کنید)"),
            );
        }
        require_text(&mut problems, row, 2, "name_fa");
        require_text(&mut problems, row, 3, "name_en");
        stations.push(Station {
            code,
            district,
            name_fa: row.cells[2].clone(),
            name_en: row.cells[3].clone(),
            address: row.cells[4].clone(),
        });
    }
    problems.finish(rows.len() as u64)?;
    Ok(store
        .import_stations(election, &stations, actor, at)
        .await?)
}

pub const DEVICE_COLUMNS: [&str; 3] = ["station", "kind", "public_key"];

/// Checks station devices (each at an imported station, each key new); registers them all, or nothing.
pub async fn import_devices<S: Store>(
    store: &S,
    election: ElectionId,
    bytes: &[u8],
    format: Format,
    actor: &str,
    at: sandoq_store::Timestamp,
) -> Result<Vec<sandoq_store::DeviceId>, ImportFailure> {
    let rows = read_rows(bytes, format, &DEVICE_COLUMNS)?;
    let stations: HashSet<String> = store
        .stations(election)
        .await?
        .into_iter()
        .map(|s| s.code)
        .collect();
    // A training election never takes a live election's device, nor the reverse (issue 6 §4):
    // keys are unique across elections anyway; the refusal says why when the kinds differ.
    let kind_here = store.election(election).await?.map(|e| e.spec.kind);
    let mut problems = Problems::default();
    let mut keys = HashSet::new();
    let mut devices = Vec::with_capacity(rows.len());
    for row in &rows {
        let station = sandoq_count::election::normalize_code(&row.cells[0]);
        if !stations.contains(&station) {
            problems.add(
                row.number,
                Some("station"),
                "unknown_station",
                format!(
                    "there is no station {station:?} in this election (import the stations first)"
                ),
                format!("شعبهٔ {station:?} در این انتخابات نیست (نخست شعبه‌ها را وارد کنید)"),
            );
        }
        let kind = DeviceKind::from_name(&row.cells[1]);
        if kind.is_none() {
            problems.add(
                row.number,
                Some("kind"),
                "unknown_device_kind",
                format!(
                    "kind must be check_in_desk or ballot_box (found {:?})",
                    row.cells[1]
                ),
                format!(
                    "نوع باید check_in_desk (میز پذیرش) یا ballot_box (صندوق) باشد ({:?} آمده است)",
                    row.cells[1]
                ),
            );
        }
        let key = match crate::setup::public_key(&row.cells[2]) {
            Ok(key) => Some(key),
            Err(error) => {
                if let StoreError::Invalid { code, en, fa } = error {
                    problems.add(row.number, Some("public_key"), code, en, fa);
                }
                None
            }
        };
        if let Some(key) = &key {
            if !keys.insert(key.clone()) {
                duplicate(&mut problems, row, "public_key", key);
            } else if let Some(existing) = store.device_by_key(key).await? {
                let kind_there = store
                    .election(existing.election)
                    .await?
                    .map(|e| e.spec.kind);
                match (kind_here, kind_there) {
                    (Some(ElectionKind::Training), Some(ElectionKind::Live)) => problems.add(
                        row.number,
                        Some("public_key"),
                        "live_device_in_training",
                        "this key belongs to a device of a live election: a training election never takes a live device",
                        "این کلید از آنِ دستگاهی در یک انتخابات واقعی است: انتخابات آموزشی هرگز دستگاه واقعی نمی‌پذیرد",
                    ),
                    (Some(ElectionKind::Live), Some(ElectionKind::Training)) => problems.add(
                        row.number,
                        Some("public_key"),
                        "training_device_in_live",
                        "this key belongs to a device of a training election: a live election never takes a training device",
                        "این کلید از آنِ دستگاهی در یک انتخابات آموزشی است: انتخابات واقعی هرگز دستگاه آموزشی نمی‌پذیرد",
                    ),
                    _ => problems.add(
                    row.number,
                    Some("public_key"),
                    "device_key_taken",
                        "this public key is already registered to a device",
                        "این کلید عمومی پیش‌تر برای دستگاهی ثبت شده است",
                    ),
                }
            }
        }
        if let (Some(kind), Some(public_key)) = (kind, key) {
            devices.push(NewDevice {
                station,
                kind,
                public_key,
            });
        }
    }
    problems.finish(rows.len() as u64)?;
    Ok(store
        .register_devices(election, &devices, actor, at)
        .await?)
}

pub const CANDIDATE_COLUMNS: [&str; 5] = ["type", "code", "list", "name_fa", "name_en"];

/// Reads lists and candidates into an election definition of `seats` seats, checked row by row
/// and then by the counting rules (problems of the whole definition are on row 0).
pub fn parse_candidates(
    bytes: &[u8],
    format: Format,
    seats: u32,
) -> Result<Definition, ImportFailure> {
    let rows = read_rows(bytes, format, &CANDIDATE_COLUMNS)?;
    let mut problems = Problems::default();
    let mut lists: Vec<ListEntry> = Vec::new();
    let mut list_rows: HashMap<String, u64> = HashMap::new();
    let named = |row: &Row, code: String| Named {
        code,
        name_fa: row.cells[3].clone(),
        name_en: row.cells[4].clone(),
    };
    for row in rows.iter().filter(|r| r.cells[0] == "list") {
        let code = code_field(&mut problems, row, 1, "code");
        if !row.cells[2].is_empty() {
            problems.add(
                row.number,
                Some("list"),
                "list_in_list",
                "a list row leaves the list column empty",
                "ردیف فهرست ستون list را خالی می‌گذارد",
            );
        }
        if list_rows.insert(code.clone(), row.number).is_some() {
            duplicate(&mut problems, row, "code", &code);
            continue;
        }
        lists.push(ListEntry {
            list: named(row, code),
            candidates: Vec::new(),
        });
    }
    let mut independents = Vec::new();
    let mut candidate_rows: HashMap<String, (u64, String)> = HashMap::new();
    for row in &rows {
        match row.cells[0].as_str() {
            "list" => {}
            "candidate" => {
                let code = code_field(&mut problems, row, 1, "code");
                let list = sandoq_count::election::normalize_code(&row.cells[2]);
                if list_rows.contains_key(&code) {
                    problems.add(
                        row.number,
                        Some("code"),
                        "list_candidate_code_collision",
                        format!("{code} is both a list's code and a candidate's"),
                        format!("{code} هم کد فهرست است و هم کد نامزد"),
                    );
                }
                if let Some((first_row, first_list)) = candidate_rows.get(&code) {
                    if *first_list != list {
                        problems.add(
                            row.number,
                            Some("list"),
                            "candidate_on_two_lists",
                            format!(
                                "candidate {code} is also on row {first_row} with another list"
                            ),
                            format!("نامزد {code} در ردیف {first_row} در فهرست دیگری هم آمده است"),
                        );
                    } else {
                        duplicate(&mut problems, row, "code", &code);
                    }
                    continue;
                }
                candidate_rows.insert(code.clone(), (row.number, list.clone()));
                if list.is_empty() {
                    independents.push(named(row, code));
                } else if let Some(entry) = lists.iter_mut().find(|l| l.list.code == list) {
                    entry.candidates.push(named(row, code));
                } else {
                    problems.add(
                        row.number,
                        Some("list"),
                        "unknown_list",
                        format!("there is no list {list:?} in this file"),
                        format!("فهرست {list:?} در این پرونده نیست"),
                    );
                }
            }
            other => problems.add(
                row.number,
                Some("type"),
                "unknown_row_type",
                format!("type must be list or candidate (found {other:?})"),
                format!("نوع باید list (فهرست) یا candidate (نامزد) باشد ({other:?} آمده است)"),
            ),
        }
        require_text(&mut problems, row, 3, "name_fa");
        require_text(&mut problems, row, 4, "name_en");
    }
    if problems.is_empty() {
        let definition = Definition {
            seats,
            lists,
            independents,
        };
        if let Err(found) = definition.counting_definition().validate() {
            for p in found {
                problems.add(0, None, p.code, p.en, p.fa);
            }
        } else {
            return Ok(definition);
        }
    }
    problems.finish(rows.len() as u64)?;
    Err(ImportFailure::Report(ImportReport::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(failure: ImportFailure) -> Vec<(u64, Option<&'static str>, &'static str)> {
        match failure {
            ImportFailure::Report(report) => report
                .problems
                .iter()
                .map(|p| (p.row, p.column, p.code))
                .collect(),
            ImportFailure::Store(error) => panic!("{error}"),
        }
    }

    #[test]
    fn csv_and_json_read_the_same_rows() {
        let csv = "name_en,code,kind,parent,name_fa\nTehran,T,county,,تهران\n";
        let json = r#"[{"code": "T", "kind": "county", "name_fa": "تهران", "name_en": "Tehran"}]"#;
        let a = read_rows(csv.as_bytes(), Format::Csv, &AREA_COLUMNS).unwrap();
        let b = read_rows(json.as_bytes(), Format::Json, &AREA_COLUMNS).unwrap();
        assert_eq!(a[0].cells, b[0].cells);
        assert_eq!(a[0].cells, vec!["T", "county", "", "تهران", "Tehran"]);
        assert_eq!(
            codes(read_rows(b"code,kind\nT,county\n", Format::Csv, &AREA_COLUMNS).unwrap_err())[0],
            (0, Some("parent"), "missing_column")
        );
        assert_eq!(
            codes(read_rows(br#"{"code": 1}"#, Format::Json, &AREA_COLUMNS).unwrap_err()),
            vec![(0, None, "not_an_array")]
        );
        assert_eq!(
            codes(
                read_rows(
                    br#"[{"code": [1], "colour": "red"}]"#,
                    Format::Json,
                    &AREA_COLUMNS
                )
                .unwrap_err()
            ),
            vec![(1, None, "unknown_column"), (1, Some("code"), "wrong_type")]
        );
    }

    #[test]
    fn lists_and_candidates_report_every_problem() {
        let csv = "type,code,list,name_fa,name_en\n\
                   list,101,,فهرست امید,Hope\n\
                   candidate,10101,101,یک,One\n\
                   candidate,10101,102,یک,One\n\
                   candidate,101,,دو,Two\n\
                   candidate,10102,999,سه,Three\n\
                   party,7,,هفت,\n";
        assert_eq!(
            codes(parse_candidates(csv.as_bytes(), Format::Csv, 21).unwrap_err()),
            vec![
                (3, Some("list"), "candidate_on_two_lists"),
                (4, Some("code"), "list_candidate_code_collision"),
                (5, Some("list"), "unknown_list"),
                (6, Some("type"), "unknown_row_type"),
                (6, Some("name_en"), "empty_field"),
            ]
        );
        let good = "type,code,list,name_fa,name_en\nlist,۱۰۱,,فهرست امید,Hope\ncandidate,10101,101,یک,One\ncandidate,9001,,منفرد,Independent\n";
        let definition = parse_candidates(good.as_bytes(), Format::Csv, 21).unwrap();
        assert_eq!(definition.lists[0].list.code, "101");
        assert_eq!(definition.lists[0].candidates.len(), 1);
        assert_eq!(definition.independents[0].code, "9001");
        // The counting rules run last: an empty list is refused on row 0.
        let empty = "type,code,list,name_fa,name_en\nlist,101,,فهرست,List\ncandidate,9001,,منفرد,Independent\n";
        assert_eq!(
            codes(parse_candidates(empty.as_bytes(), Format::Csv, 21).unwrap_err()),
            vec![(0, None, "empty_list")]
        );
    }
}
