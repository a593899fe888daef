//! Stable sorting for the engine's short lists: pathways, missing facts, questions, change sets,
//! diagnostics.
//!
//! The standard library's sorts are instantiated per element type and comparator, several
//! kilobytes of WebAssembly each; the engine has a dozen, about a tenth of the checker's code.
//! On `wasm32` these functions sort positions instead, with one comparator type (`dyn FnMut`),
//! so one small merge sort serves every call, and then move each element once. Elsewhere they are the standard stable sort. Both are stable sorts under the
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

/// The positions `0..n` in the stable order `cmp` gives them: insertion-sorted runs merged
/// bottom-up, the one sort on `wasm32` (a few hundred bytes, where the standard stable sort is a
/// few kilobytes). Stable: an element never passes an equal one, and of two equal elements
/// the one on the left is merged first.
#[cfg(any(target_arch = "wasm32", test))]
#[inline(never)]
fn positions(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    const RUN: usize = 8;
    let mut order: Vec<usize> = (0..n).collect();
    // Runs of `RUN` by insertion (an element moves left past greater ones only), then merged.
    for run in order.chunks_mut(RUN) {
        for i in 1..run.len() {
            let mut j = i;
            while let (Some(a), Some(b)) = (run.get(j.wrapping_sub(1)), run.get(j)) {
                if cmp(*b, *a) != Ordering::Less {
                    break;
                }
                run.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let mut merged: Vec<usize> = Vec::with_capacity(n);
    let mut width = RUN;
    while width < n {
        merged.clear();
        for run in order.chunks(2 * width) {
            let (left, right) = run.split_at(width.min(run.len()));
            let (mut l, mut r) = (left.iter().peekable(), right.iter().peekable());
            while let (Some(a), Some(b)) = (l.peek(), r.peek()) {
                if cmp(**b, **a) == Ordering::Less {
                    merged.push(**b);
                    r.next();
                } else {
                    merged.push(**a);
                    l.next();
                }
            }
            merged.extend(l.chain(r));
        }
        std::mem::swap(&mut order, &mut merged);
        width *= 2;
    }
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
        fn sorting_positions_is_the_standard_stable_sort(keys in proptest::collection::vec(0u8..6, 0..300)) {
            let items: Vec<(u8, String)> = keys.iter().zip(0..).map(|(k, i)| (*k, format!("#{i}"))).collect();
            let mut ours = items.clone();
            super::by_positions(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = items;
            std.sort_by_key(|x| x.0);
            prop_assert_eq!(ours, std);
        }
    }
}
