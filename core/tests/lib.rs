//! Integration tests for the `thresholds` crate (one test binary).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test helpers fail by panicking"
)]

mod analysis;
mod asking;
mod completions;
mod corpus;
mod diagnostics;
mod explain;
mod grammar;
mod oracle;
mod props;
