//! The voter registry's rules, independent of any store: national codes and
//! their check digit, the Jalali calendar, eligibility on polling day, and
//! synthetic registries.
//!
//! Invariants: pure (no I/O, no clock: "today" and "polling day" are passed
//! in); only synthetic personal data is ever generated; every refusal carries
//! a stable code and a Persian and English message.

pub mod eligibility;
pub mod jalali;
pub mod national_code;
pub mod synthetic;

pub use eligibility::{check, Eligibility, RegistryEntry};
pub use jalali::Date;
pub use national_code::{NationalCode, NationalCodeError};
