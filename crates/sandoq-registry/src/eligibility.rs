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
    match eighteenth_birthday(entry.birth_date) {
        Some(eighteen_on) if eighteen_on > polling_day => Eligibility::UnderAge { eighteen_on },
        // Outside the supported calendar range means born long before 1210 AP + 18: old enough.
        _ => Eligibility::Eligible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
