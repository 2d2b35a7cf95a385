//! The central service of election headquarters (issue 3): the store chosen by
//! URL, imports that refuse bad data, the election definition with its content
//! hash, check-in over HTTP by signed station devices, people's sign-in and
//! roles, and the pages for headquarters. What is still to come is listed in
//! ARCHITECTURE.md.
//!
//! Invariants: imports are all or nothing; every refusal has a stable code and
//! a Persian and English message; no clock is read here (instants come from
//! the caller); only synthetic personal data is ever generated.

pub mod definition;
pub mod drill;
pub mod http;
pub mod import;
pub mod pages;
pub mod record;
pub mod results;
pub mod roster;
pub mod setup;
pub mod store;
pub mod tables;

pub use store::{open, AnyStore};
