//! Criterion benchmarks for the shipped rules: placeholder replaced below.
fn main() {}
