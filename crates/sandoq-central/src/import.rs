//! Importing the registry of eligible voters from CSV, all or nothing: a file
//! with any bad row changes nothing and returns every problem with its row
//! and column (issue 3 §2).
//!
//! Format (UTF-8, a header line, columns in this order):
//! `national_code,birth_date,constituency,deceased,barred`, where
//! `birth_date` is Jalali `YYYY/MM/DD` or Gregorian `YYYY-MM-DD` (any digits),
//! and the flags are `0`/`1` (or `false`/`true`).

use sandoq_registry::{Date, NationalCode, RegistryEntry};
use sandoq_store::Voter;
use std::collections::HashSet;
use std::io::{Read, Write};

pub const REGISTRY_COLUMNS: [&str; 5] = [
    "national_code",
    "birth_date",
    "constituency",
    "deceased",
    "barred",
];

/// At most this many problems are listed; the count covers them all.
pub const MAX_LISTED_PROBLEMS: usize = 1000;

/// One problem in an import file. `row` counts data rows from 1 (the header is row 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    pub row: u64,
    pub column: Option<&'static str>,
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

/// Why an import changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImportReport {
    pub rows: u64,
    pub problems_found: u64,
    /// The first [`MAX_LISTED_PROBLEMS`] problems.
    pub problems: Vec<ImportProblem>,
}

fn flag(text: &str) -> Option<bool> {
    match text.trim() {
        "0" | "false" | "۰" => Some(false),
        "1" | "true" | "۱" => Some(true),
        _ => None,
    }
}

/// Parses and checks a registry file completely; returns every voter, or every problem.
pub fn parse_registry_csv<R: Read>(input: R) -> Result<Vec<Voter>, ImportReport> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(input);
    let mut report = ImportReport {
        rows: 0,
        problems_found: 0,
        problems: Vec::new(),
    };
    let add = |report: &mut ImportReport, problem: ImportProblem| {
        report.problems_found += 1;
        if report.problems.len() < MAX_LISTED_PROBLEMS {
            report.problems.push(problem);
        }
    };
    match reader.headers() {
        Ok(headers) => {
            let found: Vec<&str> = headers
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}'))
                .collect();
            if found != REGISTRY_COLUMNS {
                add(
                    &mut report,
                    ImportProblem {
                        row: 0,
                        column: None,
                        code: "bad_header",
                        en: format!(
                            "the header must be {}; found {}",
                            REGISTRY_COLUMNS.join(","),
                            found.join(",")
                        ),
                        fa: format!(
                            "سطر عنوان باید {} باشد؛ آمده است: {}",
                            REGISTRY_COLUMNS.join(","),
                            found.join(",")
                        ),
                    },
                );
                return Err(report);
            }
        }
        Err(error) => {
            add(&mut report, csv_problem(0, &error));
            return Err(report);
        }
    }
    let mut voters = Vec::new();
    let mut seen: HashSet<NationalCode> = HashSet::new();
    for (index, record) in reader.records().enumerate() {
        let row = index as u64 + 1;
        report.rows = row;
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                add(&mut report, csv_problem(row, &error));
                continue;
            }
        };
        if record.len() != REGISTRY_COLUMNS.len() {
            add(
                &mut report,
                ImportProblem {
                    row,
                    column: None,
                    code: "wrong_column_count",
                    en: format!(
                        "{} columns; expected {}",
                        record.len(),
                        REGISTRY_COLUMNS.len()
                    ),
                    fa: format!(
                        "{} ستون؛ باید {} باشد",
                        record.len(),
                        REGISTRY_COLUMNS.len()
                    ),
                },
            );
            continue;
        }
        let cells = [&record[0], &record[1], &record[2], &record[3], &record[4]];
        let mut add_problem = |problem| add(&mut report, problem);
        if let Some(voter) = registry_row(row, cells, &mut seen, &mut add_problem) {
            voters.push(voter);
        }
    }
    if report.problems_found > 0 {
        Err(report)
    } else {
        Ok(voters)
    }
}

/// The registry as JSON: an array of objects with the keys of [`REGISTRY_COLUMNS`] (flags may be
/// `true`/`false` or `0`/`1`); the same checks as the CSV form.
pub fn parse_registry_json(bytes: &[u8]) -> Result<Vec<Voter>, ImportReport> {
    let rows = match crate::tables::read_rows(bytes, crate::tables::Format::Json, &REGISTRY_COLUMNS)
    {
        Ok(rows) => rows,
        Err(crate::tables::ImportFailure::Report(report)) => return Err(report),
        Err(crate::tables::ImportFailure::Store(_)) => return Err(ImportReport::default()),
    };
    let mut report = ImportReport {
        rows: rows.len() as u64,
        ..ImportReport::default()
    };
    let mut seen = HashSet::new();
    let mut voters = Vec::with_capacity(rows.len());
    for row in &rows {
        let cells = [
            row.cells[0].as_str(),
            row.cells[1].as_str(),
            row.cells[2].as_str(),
            row.cells[3].as_str(),
            row.cells[4].as_str(),
        ];
        let mut add = |problem: ImportProblem| {
            report.problems_found += 1;
            if report.problems.len() < MAX_LISTED_PROBLEMS {
                report.problems.push(problem);
            }
        };
        if let Some(voter) = registry_row(row.number, cells, &mut seen, &mut add) {
            voters.push(voter);
        }
    }
    if report.problems_found > 0 {
        Err(report)
    } else {
        Ok(voters)
    }
}

/// Checks one registry row (`cells` in the order of [`REGISTRY_COLUMNS`]); every problem goes to
/// `add`. Shared by the CSV and JSON forms.
fn registry_row(
    row: u64,
    cells: [&str; 5],
    seen: &mut HashSet<NationalCode>,
    add: &mut impl FnMut(ImportProblem),
) -> Option<Voter> {
    let code = NationalCode::parse(cells[0]).map_err(|e| ImportProblem {
        row,
        column: Some("national_code"),
        code: e.code,
        en: e.en,
        fa: e.fa,
    });
    let birth_date = Date::parse(cells[1]).map_err(|e| ImportProblem {
        row,
        column: Some("birth_date"),
        code: e.code,
        en: e.en,
        fa: e.fa,
    });
    let constituency = cells[2].trim().to_string();
    let deceased = flag(cells[3]);
    let barred = flag(cells[4]);
    let mut row_ok = true;
    if let Err(problem) = &code {
        add(problem.clone());
        row_ok = false;
    }
    if let Err(problem) = &birth_date {
        add(problem.clone());
        row_ok = false;
    }
    if constituency.is_empty() {
        add(ImportProblem {
            row,
            column: Some("constituency"),
            code: "empty_constituency",
            en: "the constituency is empty".into(),
            fa: "حوزهٔ انتخابیه خالی است".into(),
        });
        row_ok = false;
    }
    for (value, column) in [(deceased, "deceased"), (barred, "barred")] {
        if value.is_none() {
            add(ImportProblem {
                row,
                column: Some(column),
                code: "bad_flag",
                en: format!("{column} must be 0 or 1"),
                fa: format!("{column} باید ۰ یا ۱ باشد"),
            });
            row_ok = false;
        }
    }
    if let Ok(code) = code {
        if !seen.insert(code) {
            add(ImportProblem {
                row,
                column: Some("national_code"),
                code: "duplicate_national_code",
                en: format!("national code {code} appears on an earlier row"),
                fa: format!("کد ملی {code} در ردیفی پیش‌تر هم آمده است"),
            });
            row_ok = false;
        }
        if row_ok {
            if let Ok(birth_date) = birth_date {
                return Some(Voter {
                    national_code: code,
                    entry: RegistryEntry {
                        birth_date,
                        constituency,
                        deceased: deceased == Some(true),
                        barred: barred == Some(true),
                    },
                });
            }
        }
    }
    None
}

pub(crate) fn csv_problem(row: u64, error: &csv::Error) -> ImportProblem {
    let (code, en, fa) = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => (
            "not_utf8",
            "the row is not valid UTF-8 (save the file as UTF-8)".to_string(),
            "ردیف UTF-8 معتبر نیست (پرونده را با UTF-8 ذخیره کنید)".to_string(),
        ),
        _ => (
            "bad_csv",
            format!("not valid CSV: {error}"),
            format!("CSV معتبر نیست: {error}"),
        ),
    };
    ImportProblem {
        row,
        column: None,
        code,
        en,
        fa,
    }
}

/// Writes a synthetic registry of `voters` people as CSV (only synthetic data, ever).
pub fn write_synthetic_registry<W: std::io::Write>(
    out: W,
    voters: u64,
    seed: u64,
    polling_day: Date,
    constituency: &str,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let mut rng = sandoq_registry::synthetic::Rng::new(seed);
    writeln!(out, "{}", REGISTRY_COLUMNS.join(","))?;
    for code in sandoq_registry::synthetic::national_codes(seed).take(voters as usize) {
        let entry = sandoq_registry::synthetic::entry(&mut rng, polling_day, constituency);
        let birth = entry.birth_date.jalali_numeric(sandoq_i18n::Lang::En);
        writeln!(
            out,
            "{code},{birth},{},{},{}",
            entry.constituency,
            u8::from(entry.deceased),
            u8::from(entry.barred)
        )?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_file_imports_every_row() {
        let csv = "national_code,birth_date,constituency,deceased,barred\n0012345679,1370/05/14,tehran,0,0\n۱۲۳۴۵۶۷۸۹۱,1991-08-05,tehran,0,1\n";
        let voters = parse_registry_csv(csv.as_bytes()).unwrap();
        assert_eq!(voters.len(), 2);
        assert_eq!(
            voters[0].entry.birth_date,
            Date::from_jalali(1370, 5, 14).unwrap()
        );
        assert!(voters[1].entry.barred);
    }

    #[test]
    fn every_problem_is_reported_with_row_and_column() {
        let csv = "national_code,birth_date,constituency,deceased,barred\n\
                   0012345678,1370/05/14,tehran,0,0\n\
                   0012345679,1370/13/01,tehran,0,0\n\
                   0012345679,1370/01/01,,2,0\n\
                   1234567891,1370/01/01,tehran\n";
        let report = parse_registry_csv(csv.as_bytes()).unwrap_err();
        let found: Vec<(u64, Option<&str>, &str)> = report
            .problems
            .iter()
            .map(|p| (p.row, p.column, p.code))
            .collect();
        assert_eq!(
            found,
            vec![
                (1, Some("national_code"), "national_code_check_digit"),
                (2, Some("birth_date"), "date_invalid"),
                (3, Some("constituency"), "empty_constituency"),
                (3, Some("deceased"), "bad_flag"),
                (3, Some("national_code"), "duplicate_national_code"),
                (4, None, "wrong_column_count"),
            ]
        );
        assert_eq!(report.rows, 4);
    }

    #[test]
    fn a_wrong_header_or_encoding_is_refused() {
        assert_eq!(
            parse_registry_csv("code,birth\n1,2\n".as_bytes())
                .unwrap_err()
                .problems[0]
                .code,
            "bad_header"
        );
        let mut bytes =
            b"national_code,birth_date,constituency,deceased,barred\n0012345679,1370/05/14,"
                .to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b",0,0\n");
        assert_eq!(
            parse_registry_csv(&bytes[..]).unwrap_err().problems[0].code,
            "not_utf8"
        );
    }

    #[test]
    fn json_rows_are_checked_like_csv_rows() {
        let json = r#"[{"national_code": "0012345679", "birth_date": "1370/05/14", "constituency": "tehran", "deceased": false, "barred": 0},
            {"national_code": "0012345678", "birth_date": "1370/13/01", "constituency": "tehran", "deceased": "no", "barred": false}]"#;
        let report = parse_registry_json(json.as_bytes()).unwrap_err();
        let found: Vec<(u64, Option<&str>, &str)> = report
            .problems
            .iter()
            .map(|p| (p.row, p.column, p.code))
            .collect();
        assert_eq!(
            found,
            vec![
                (2, Some("national_code"), "national_code_check_digit"),
                (2, Some("birth_date"), "date_invalid"),
                (2, Some("deceased"), "bad_flag"),
            ]
        );
        let good = parse_registry_json(
            &json.as_bytes()[..json.find(",\n").unwrap()]
                .iter()
                .chain(b"]")
                .copied()
                .collect::<Vec<u8>>(),
        )
        .unwrap();
        assert_eq!(good.len(), 1);
        assert!(!good[0].entry.barred);
    }

    #[test]
    fn the_synthetic_registry_imports_cleanly() {
        let polling_day = Date::from_jalali(1405, 2, 11).unwrap();
        let mut csv = Vec::new();
        write_synthetic_registry(&mut csv, 5000, 3, polling_day, "tehran").unwrap();
        let voters = parse_registry_csv(&csv[..]).unwrap();
        assert_eq!(voters.len(), 5000);
    }
}
