//! Who may vote (PRODUCT.md, the flow of one ballot, step 2): a valid national
//! code, in the registry, 18 full years old on polling day, resident in the
//! constituency, and not deceased or barred. Whether the voter has already
//! voted is the check-in store's question, not this module's.
//!
//! Age is counted in the Jalali calendar, as the civil registry keeps birth
//! dates: a voter born on day D of month M of year Y is 18 on day D of month M
//! of year Y + 18 (someone born on Esfand 30 of a leap year turns 18 on
//! 1 Farvardin when the later year has no Esfand 30).

use crate::jalali::Date;

/// The minimum age on polling day.
pub const VOTING_AGE: i32 = 18;

/// What the registry says about one voter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEntry {
    pub birth_date: Date,
    pub constituency: String,
    pub deceased: bool,
    pub barred: bool,
}

/// The registry's answer for one person on polling day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Eligibility {
    Eligible,
    /// Turns 18 on this date, after polling day.
    UnderAge {
        eighteen_on: Date,
    },
    OtherConstituency {
        constituency: String,
    },
    Deceased,
    Barred,
}

impl Eligibility {
    /// A stable code for each answer.
    pub fn code(&self) -> &'static str {
        match self {
            Eligibility::Eligible => "eligible",
            Eligibility::UnderAge { .. } => "under_age",
            Eligibility::OtherConstituency { .. } => "other_constituency",
            Eligibility::Deceased => "deceased",
            Eligibility::Barred => "barred",
        }
    }
}

/// The day a person born on `birth_date` turns 18.
pub fn eighteenth_birthday(birth_date: Date) -> Option<Date> {
    birth_date.add_jalali_years(VOTING_AGE)
}

/// Whether someone born on `birth_date` is 18 on `polling_day` (the rule of [`check`]).
fn old_enough(birth_date: Date, polling_day: Date) -> bool {
    match eighteenth_birthday(birth_date) {
        Some(eighteen_on) => eighteen_on <= polling_day,
        // Outside the supported calendar range means born long before 1210 AP + 18: old enough.
        None => true,
    }
}

/// The latest birth date that is 18 on `polling_day`: a person is old enough exactly when born
/// on or before it. Found by bisection over [`old_enough`] (which only grows older as the birth
/// date moves back), so that a database can apply the age rule as a plain comparison without the
/// rule being written twice.
pub fn latest_eligible_birth(polling_day: Date) -> Date {
    // Someone born 19 years (at most 6,940 days) before polling day is old enough; someone born
    // on polling day is not.
    let (mut old, mut young) = (polling_day.0 - 19 * 366, polling_day.0);
    while young - old > 1 {
        let middle = old + (young - old) / 2;
        if old_enough(Date(middle), polling_day) {
            old = middle;
        } else {
            young = middle;
        }
    }
    Date(old)
}

/// Decides eligibility; a deceased entry is reported before anything else,
/// then a bar, then the constituency, then age.
pub fn check(entry: &RegistryEntry, constituency: &str, polling_day: Date) -> Eligibility {
    if entry.deceased {
        return Eligibility::Deceased;
    }
    if entry.barred {
        return Eligibility::Barred;
    }
    if entry.constituency != constituency {
        return Eligibility::OtherConstituency {
            constituency: entry.constituency.clone(),
        };
    }
    if old_enough(entry.birth_date, polling_day) {
        return Eligibility::Eligible;
    }
    match eighteenth_birthday(entry.birth_date) {
        Some(eighteen_on) => Eligibility::UnderAge { eighteen_on },
        None => Eligibility::Eligible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_eligible_birth_is_the_age_rule() {
        // Every birth date within two years of the boundary, for polling days around leap years
        // and month ends: born on or before the cut-off exactly when check() says old enough.
        for (y, m, d) in [
            (1405, 2, 11),
            (1404, 12, 29),
            (1403, 12, 30),
            (1408, 1, 1),
            (1410, 6, 31),
            (1399, 12, 30),
        ] {
            let polling = Date::from_jalali(y, m, d).unwrap();
            let cutoff = latest_eligible_birth(polling);
            for day in cutoff.0 - 800..cutoff.0 + 800 {
                let entry = RegistryEntry {
                    birth_date: Date(day),
                    constituency: "tehran".into(),
                    deceased: false,
                    barred: false,
                };
                assert_eq!(
                    day <= cutoff.0,
                    check(&entry, "tehran", polling) == Eligibility::Eligible,
                    "polling {y}/{m}/{d}, born day {day}"
                );
            }
        }
        let polling = Date::from_jalali(1405, 2, 11).unwrap();
        assert_eq!(
            latest_eligible_birth(polling),
            Date::from_jalali(1387, 2, 11).unwrap()
        );
    }

    fn born(y: i32, m: u32, d: u32) -> RegistryEntry {
        RegistryEntry {
            birth_date: Date::from_jalali(y, m, d).unwrap(),
            constituency: "tehran".into(),
            deceased: false,
            barred: false,
        }
    }

    #[test]
    fn eighteen_on_polling_day_counts() {
        let polling = Date::from_jalali(1405, 2, 11).unwrap();
        assert_eq!(
            check(&born(1387, 2, 11), "tehran", polling),
            Eligibility::Eligible
        );
        assert_eq!(
            check(&born(1387, 2, 10), "tehran", polling),
            Eligibility::Eligible
        );
        assert_eq!(
            check(&born(1387, 2, 12), "tehran", polling),
            Eligibility::UnderAge {
                eighteen_on: Date::from_jalali(1405, 2, 12).unwrap()
            }
        );
    }

    #[test]
    fn esfand_30_birthday() {
        // 1387 is leap (1387 mod 33 = 1): born Esfand 30; 1405 is not leap, so 18 on 1 Farvardin 1406.
        let entry = born(1387, 12, 30);
        assert_eq!(
            eighteenth_birthday(entry.birth_date),
            Date::from_jalali(1406, 1, 1).ok()
        );
    }

    #[test]
    fn flags_and_constituency() {
        let polling = Date::from_jalali(1405, 2, 11).unwrap();
        let mut entry = born(1360, 1, 1);
        entry.constituency = "shiraz".into();
        assert_eq!(
            check(&entry, "tehran", polling).code(),
            "other_constituency"
        );
        entry.barred = true;
        assert_eq!(check(&entry, "tehran", polling), Eligibility::Barred);
        entry.deceased = true;
        assert_eq!(check(&entry, "tehran", polling), Eligibility::Deceased);
    }
}
