//! The JSON formats of `sandoq apportion` and `sandoq tally` (CLI_CONTRACTS.md)
//! and the JSONL ballot stream.
//!
//! Invariants: no file or network I/O of its own (it reads from what it is
//! given); every malformed input is an [`InputError`] with a stable code, a
//! place and a Persian and English message, never a panic; numbers that count
//! are integers, decimals are parsed exactly, never as floats; duplicate keys
//! and unknown fields are refused.

pub mod apportion;
pub mod error;
pub mod jsonl;
pub mod tally;
pub mod value;

pub use error::InputError;
