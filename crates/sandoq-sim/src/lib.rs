//! Training elections shaped like Tehran's and the people in them, all synthetic: lists and
//! candidates with Persian names, portraits drawn by sandoq, a registry of voters with valid
//! national codes. Used by `sandoq demo` and `sandoq simulate`.

pub mod http;
pub mod in_process;
pub mod names;
pub mod polling_day;
pub mod portrait;
pub mod scenario;
pub mod training;
