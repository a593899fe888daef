//! Stable sorting for the engine's short lists: pathways, missing facts, questions, change sets,
//! diagnostics.
//!
//! The standard library's sorts are instantiated per element type and comparator, several
//! kilobytes of WebAssembly each; the engine has a dozen, about a tenth of the checker's code.
//! On `wasm32` these functions sort positions instead, with one comparator type (`dyn FnMut`),
//! so a single instantiation of the standard stable sort serves every call, and then move each
//! element once. Elsewhere they are the standard stable sort. Both are stable sorts under the
//! same comparator, so the order is the same on every host.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`.
#[cfg_attr(
    not(target_arch = "wasm32"),
    expect(
        clippy::ptr_arg,
        reason = "a `Vec`: on wasm32 the elements are moved out and back in order"
    )
)]
pub(crate) fn sort_by<T>(v: &mut Vec<T>, cmp: impl FnMut(&T, &T) -> Ordering) {
    #[cfg(target_arch = "wasm32")]
    by_positions(v, cmp);
    #[cfg(not(target_arch = "wasm32"))]
    v.sort_by(cmp);
}

/// `sort_by` through the positions: sorted by the one instantiation in `positions`, then each
/// element moved once.
#[cfg(any(target_arch = "wasm32", test))]
fn by_positions<T>(v: &mut Vec<T>, mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let order = {
        let items = v.as_slice();
        positions(
            items.len(),
            &mut |a, b| match (items.get(a), items.get(b)) {
                (Some(x), Some(y)) => cmp(x, y),
                _ => Ordering::Equal,
            },
        )
    };
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(
        order
            .iter()
            .filter_map(|i| slots.get_mut(*i).and_then(Option::take)),
    );
}

/// Sorts `v` stably by `key`.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably (for ids and other values whose equal elements are indistinguishable, the
/// same order as an unstable sort).
pub(crate) fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, Ord::cmp);
}

/// The positions `0..n` in the stable order `cmp` gives them: the one instantiation of the
/// standard sort on `wasm32`.
#[cfg(any(target_arch = "wasm32", test))]
#[inline(never)]
fn positions(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|a, b| cmp(*a, *b));
    order
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The WebAssembly path (sorting positions) orders as the standard stable sort: equal
        /// keys keep their order (each element carries its first position, and owns a `String`,
        /// so a lost or doubled element shows).
        #[test]
        fn sorting_positions_is_the_standard_stable_sort(keys in proptest::collection::vec(0u8..6, 0..60)) {
            let items: Vec<(u8, String)> = keys.iter().zip(0..).map(|(k, i)| (*k, format!("#{i}"))).collect();
            let mut ours = items.clone();
            super::by_positions(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = items;
            std.sort_by_key(|x| x.0);
            prop_assert_eq!(ours, std);
        }
    }
}
