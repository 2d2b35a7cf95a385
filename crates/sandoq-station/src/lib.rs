//! The polling station (issue 4). Today: the ballot box file, which keeps ballots secret,
//! durable and tamper-evident (`ballot_box`, with its Merkle commitment in `merkle`); the
//! station's hash-chained, signed event log (`event_log`); the book of one-time voting tokens
//! (`tokens`); the signed station report and its verification (`report`); the lifecycle, read
//! back from the event log (`lifecycle`); and the device key (`keys`). Still to come: the station
//! agent (`sandoq station`) that serves the check-in desk and ballot box pages, officials'
//! sign-in and co-signatures, and sending the ballot records after close.
//!
//! Invariants: nothing here reads a clock or knows a voter; a ballot's place in the file comes
//! from its random id, never from when it was cast; a ballot is durable before `cast` returns.

pub mod ballot_box;
pub mod definition;
pub mod event_log;
pub mod keys;
pub mod lifecycle;
pub mod merkle;
pub mod officials;
pub mod report;
pub mod tokens;

pub use ballot_box::{Ballot, BallotBox, BallotRecord, BoxError};
