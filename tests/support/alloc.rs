//! A global allocator that counts live allocations by alignment, so a test can see whether a
//! task's cell (its one heap allocation) was freed.
//!
//! A future that owns a field aligned to 4 KiB or more makes its task cell that aligned,
//! and nothing else in a test process allocates with such alignment. A test gives its future
//! a marker (`Marker4K`, `Marker8K`, ...) of an alignment no other test in the binary uses,
//! and reads [`CountingAlloc::live`] for that alignment.
//!
//! Install it in a test binary with
//! `#[global_allocator] static ALLOC: support::alloc::CountingAlloc = support::alloc::CountingAlloc;`.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::SeqCst};

/// Tracked alignments: 4 KiB, 8 KiB, 16 KiB, 32 KiB, 64 KiB.
const CLASSES: usize = 5;
const FIRST_SHIFT: u32 = 12;

static LIVE: [AtomicIsize; CLASSES] = [
    AtomicIsize::new(0),
    AtomicIsize::new(0),
    AtomicIsize::new(0),
    AtomicIsize::new(0),
    AtomicIsize::new(0),
];

fn class(align: usize) -> Option<usize> {
    let shift = align.trailing_zeros();
    (FIRST_SHIFT..FIRST_SHIFT + CLASSES as u32)
        .contains(&shift)
        .then(|| (shift - FIRST_SHIFT) as usize)
}

/// The system allocator, plus live counts of 4 KiB..64 KiB-aligned allocations.
#[derive(Debug)]
pub struct CountingAlloc;

impl CountingAlloc {
    /// Live allocations aligned to exactly `align` (a power of two, 4 KiB to 64 KiB).
    pub fn live(align: usize) -> isize {
        LIVE[class(align).expect("a tracked alignment")].load(SeqCst)
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so
// `System` upholds the `GlobalAlloc` contract; the counting touches only atomics and never
// allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from our caller, who upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            if let Some(c) = class(layout.align()) {
                LIVE[c].fetch_add(1, SeqCst);
            }
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded from our caller, as in `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            if let Some(c) = class(layout.align()) {
                LIVE[c].fetch_add(1, SeqCst);
            }
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let Some(c) = class(layout.align()) {
            LIVE[c].fetch_sub(1, SeqCst);
        }
        // SAFETY: forwarded from our caller: `ptr` came from this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded from our caller; the alignment (and so the class) is unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Owned by a future, makes its task cell 4 KiB-aligned.
#[derive(Debug)]
#[repr(align(4096))]
pub struct Marker4K(pub super::DropGuard);

/// Owned by a future, makes its task cell 8 KiB-aligned.
#[derive(Debug)]
#[repr(align(8192))]
pub struct Marker8K(pub super::DropGuard);

/// Owned by a future, makes its task cell 16 KiB-aligned.
#[derive(Debug)]
#[repr(align(16384))]
pub struct Marker16K(pub super::DropGuard);

/// Owned by a future, makes its task cell 32 KiB-aligned.
#[derive(Debug)]
#[repr(align(32768))]
pub struct Marker32K(pub super::DropGuard);
