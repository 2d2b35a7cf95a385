//! The election definition of one constituency and its validation.
//!
//! Codes are unique across lists and candidates (TEHRAN_RULES.md glossary),
//! every candidate stands in at most one group, there is at least one seat and
//! no list is empty. Validation reports every problem at once, each with a
//! stable code.

use sandoq_i18n::ascii_digits;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// The code of the group formed by all independent candidates.
pub const INDEPENDENTS: &str = "independents";

/// The most lists plus candidates one contest may hold (indices fit in 28 bits).
pub const MAX_ENTRIES: usize = 1 << 24;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListDefinition {
    pub code: String,
    pub name: String,
    pub candidates: Vec<String>,
}

/// What HQ defines for one constituency, before validation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ElectionDefinition {
    pub seats: u32,
    pub lists: Vec<ListDefinition>,
    pub independents: Vec<String>,
}

/// One problem with a definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionProblem {
    /// Stable: `zero_seats`, `empty_list`, `empty_code`, `reserved_code`,
    /// `duplicate_code`, `candidate_in_two_groups`, `too_many_entries`, `no_candidates`.
    pub code: &'static str,
    pub en: String,
    pub fa: String,
}

/// What a code stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    List(u32),
    Candidate(u32),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListInfo {
    pub code: String,
    pub name: String,
    pub members: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateInfo {
    pub code: String,
    /// Index of the group: a list index, or `lists.len()` for the independents.
    pub group: u32,
}

/// A validated definition, indexed for counting.
#[derive(Debug, Clone)]
pub struct Contest {
    pub seats: u32,
    pub lists: Vec<ListInfo>,
    pub candidates: Vec<CandidateInfo>,
    /// Members of every group, lists first, the independents last.
    pub groups: Vec<Vec<u32>>,
    by_code: HashMap<String, Entry>,
    /// Canonical numeric codes (no leading zero), the common case, looked up without hashing strings.
    by_number: HashMap<u64, Entry, BuildHasherDefault<MultiplyHasher>>,
}

/// Normalises a code as typed or transcribed: trims white space and maps
/// Persian and Arabic-Indic digits to ASCII.
pub fn normalize_code(code: &str) -> String {
    ascii_digits(code.trim())
}

impl ElectionDefinition {
    /// Checks the definition; every problem is reported at once.
    pub fn validate(&self) -> Result<Contest, Vec<DefinitionProblem>> {
        let mut problems = Vec::new();
        let mut problem =
            |code, en: String, fa: String| problems.push(DefinitionProblem { code, en, fa });
        if self.seats == 0 {
            problem(
                "zero_seats",
                "the election must have at least 1 seat".into(),
                "انتخابات باید دست‌کم ۱ کرسی داشته باشد".into(),
            );
        }
        let n_entries = self.lists.len()
            + self.lists.iter().map(|l| l.candidates.len()).sum::<usize>()
            + self.independents.len();
        if n_entries >= MAX_ENTRIES {
            problem(
                "too_many_entries",
                format!("{n_entries} lists and candidates; at most {MAX_ENTRIES}"),
                format!("{n_entries} فهرست و نامزد؛ حداکثر {MAX_ENTRIES}"),
            );
        }
        // Who first used each code, and in which group each candidate stands.
        let mut seen: HashMap<String, Place> = HashMap::new();
        let mut candidate_group: HashMap<String, Place> = HashMap::new();
        let mut lists = Vec::new();
        let mut candidates: Vec<CandidateInfo> = Vec::new();
        let mut by_code: HashMap<String, Entry> = HashMap::new();
        let mut claim =
            |code: &str, what: Place, problem: &mut dyn FnMut(&'static str, String, String)| {
                let normalized = normalize_code(code);
                if normalized.is_empty() {
                    problem(
                        "empty_code",
                        format!("{} has an empty code", what.en),
                        format!("{}: کد خالی است", what.fa),
                    );
                    return None;
                }
                if normalized == INDEPENDENTS {
                    problem(
                    "reserved_code",
                    format!("{}: the code \"{INDEPENDENTS}\" is reserved for the group of independents", what.en),
                    format!("{}: کد «{INDEPENDENTS}» برای گروه نامزدهای منفرد رزرو شده است", what.fa),
                );
                    return None;
                }
                if let Some(first) = seen.get(&normalized) {
                    problem(
                        "duplicate_code",
                        format!(
                            "code {normalized} is used twice: by {} and by {}",
                            first.en, what.en
                        ),
                        format!(
                            "کد {normalized} دو بار به کار رفته است: {} و {}",
                            first.fa, what.fa
                        ),
                    );
                    return None;
                }
                seen.insert(normalized.clone(), what);
                Some(normalized)
            };
        for (list_index, list) in self.lists.iter().enumerate() {
            let list_place = Place {
                en: format!("list {} (lists[{list_index}])", list.code),
                fa: format!("فهرست {} (lists[{list_index}])", list.code),
            };
            let list_code = claim(&list.code, list_place.clone(), &mut problem);
            if list.candidates.is_empty() {
                problem(
                    "empty_list",
                    format!("{} has no candidates", list_place.en),
                    format!("{} نامزدی ندارد", list_place.fa),
                );
            }
            let mut members = Vec::new();
            for candidate in &list.candidates {
                let normalized = normalize_code(candidate);
                if let Some(other) = candidate_group.get(&normalized) {
                    problem(
                        "candidate_in_two_groups",
                        format!(
                            "candidate {normalized} stands in {} and in {}",
                            other.en, list_place.en
                        ),
                        format!(
                            "نامزد {normalized} هم در {} و هم در {} آمده است",
                            other.fa, list_place.fa
                        ),
                    );
                    continue;
                }
                let place = Place {
                    en: format!("candidate {candidate} of {}", list_place.en),
                    fa: format!("نامزد {candidate} از {}", list_place.fa),
                };
                if let Some(code) = claim(candidate, place, &mut problem) {
                    candidate_group.insert(code.clone(), list_place.clone());
                    let index = candidates.len() as u32;
                    by_code.insert(code.clone(), Entry::Candidate(index));
                    candidates.push(CandidateInfo {
                        code,
                        group: list_index as u32,
                    });
                    members.push(index);
                }
            }
            if let Some(code) = list_code {
                by_code.insert(code.clone(), Entry::List(list_index as u32));
                lists.push(ListInfo {
                    code,
                    name: list.name.clone(),
                    members,
                });
            }
        }
        let independents_group = self.lists.len() as u32;
        let independents_place = Place {
            en: "the independents".into(),
            fa: "نامزدهای منفرد".into(),
        };
        let mut independent_members = Vec::new();
        for candidate in &self.independents {
            let normalized = normalize_code(candidate);
            if let Some(other) = candidate_group.get(&normalized) {
                problem(
                    "candidate_in_two_groups",
                    format!(
                        "candidate {normalized} stands in {} and in {}",
                        other.en, independents_place.en
                    ),
                    format!(
                        "نامزد {normalized} هم در {} و هم در {} آمده است",
                        other.fa, independents_place.fa
                    ),
                );
                continue;
            }
            let place = Place {
                en: format!("independent candidate {candidate}"),
                fa: format!("نامزد منفرد {candidate}"),
            };
            if let Some(code) = claim(candidate, place, &mut problem) {
                candidate_group.insert(code.clone(), independents_place.clone());
                let index = candidates.len() as u32;
                by_code.insert(code.clone(), Entry::Candidate(index));
                candidates.push(CandidateInfo {
                    code,
                    group: independents_group,
                });
                independent_members.push(index);
            }
        }
        if candidates.is_empty() && problems.is_empty() {
            problems.push(DefinitionProblem {
                code: "no_candidates",
                en: "the election has no candidates: no list and no independent".into(),
                fa: "انتخابات هیچ نامزدی ندارد: نه فهرستی و نه نامزد منفردی".into(),
            });
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let mut groups: Vec<Vec<u32>> = lists.iter().map(|l| l.members.clone()).collect();
        groups.push(independent_members);
        let mut by_number = HashMap::default();
        for (code, &entry) in &by_code {
            if let Some(number) = canonical_number(code) {
                by_number.insert(number, entry);
            }
        }
        Ok(Contest {
            seats: self.seats,
            lists,
            candidates,
            groups,
            by_code,
            by_number,
        })
    }
}

/// Where something stands in a definition, said in both languages.
#[derive(Debug, Clone)]
struct Place {
    en: String,
    fa: String,
}

/// A code that is a canonical decimal number (digits only, no leading zero, fits u64).
fn canonical_number(code: &str) -> Option<u64> {
    let bytes = code.as_bytes();
    if bytes.is_empty()
        || bytes.len() > 19
        || !bytes.iter().all(u8::is_ascii_digit)
        || (bytes.len() > 1 && bytes[0] == b'0')
    {
        return None;
    }
    code.parse().ok()
}

impl Contest {
    /// What a code stands for, after normalisation.
    pub fn lookup(&self, code: &str) -> Option<Entry> {
        if let Some(number) = canonical_number(code) {
            return self.by_number.get(&number).copied();
        }
        if code.is_ascii()
            && !code.starts_with(char::is_whitespace)
            && !code.ends_with(char::is_whitespace)
        {
            return self.by_code.get(code).copied();
        }
        let normalized = normalize_code(code);
        match canonical_number(&normalized) {
            Some(number) => self.by_number.get(&number).copied(),
            None => self.by_code.get(&normalized).copied(),
        }
    }

    pub fn n_groups(&self) -> usize {
        self.lists.len() + 1
    }

    pub fn independents_group(&self) -> u32 {
        self.lists.len() as u32
    }

    /// The code of a group: the list's code, or `independents`.
    pub fn group_code(&self, group: u32) -> &str {
        match self.lists.get(group as usize) {
            Some(list) => &list.code,
            None => INDEPENDENTS,
        }
    }
}

/// A fast hasher for u64 keys (a multiplicative mix); keys are codes, not attacker-chosen at scale.
#[derive(Debug, Default, Clone, Copy)]
pub struct MultiplyHasher(u64);

impl Hasher for MultiplyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 =
                (self.0.rotate_left(5) ^ u64::from(byte)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = (self.0.rotate_left(5) ^ value).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(code: &str, candidates: &[&str]) -> ListDefinition {
        ListDefinition {
            code: code.into(),
            name: format!("List {code}"),
            candidates: candidates.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let definition = ElectionDefinition {
            seats: 0,
            lists: vec![
                list("101", &["1001", "1002"]),
                list("102", &[]),
                list("1001", &["1002", "2001"]),
            ],
            independents: vec!["2001".into(), "".into(), "independents".into()],
        };
        let problems = definition.validate().unwrap_err();
        let codes: Vec<&str> = problems.iter().map(|p| p.code).collect();
        assert_eq!(
            codes,
            vec![
                "zero_seats",
                "empty_list",
                "duplicate_code",
                "candidate_in_two_groups",
                "candidate_in_two_groups",
                "empty_code",
                "reserved_code"
            ]
        );
    }

    #[test]
    fn lookup_accepts_persian_digits_and_spaces() {
        let definition = ElectionDefinition {
            seats: 3,
            lists: vec![list("101", &["1001"])],
            independents: vec!["9001".into(), "A7".into()],
        };
        let contest = definition.validate().unwrap();
        assert_eq!(contest.lookup("101"), Some(Entry::List(0)));
        assert_eq!(contest.lookup("۱۰۱"), Some(Entry::List(0)));
        assert_eq!(contest.lookup(" 9001 "), Some(Entry::Candidate(1)));
        assert_eq!(contest.lookup("A7"), Some(Entry::Candidate(2)));
        assert_eq!(contest.lookup("0101"), None);
        assert_eq!(contest.lookup("102"), None);
        assert_eq!(contest.group_code(1), INDEPENDENTS);
    }
}
