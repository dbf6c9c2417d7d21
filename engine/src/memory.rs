//! Allocator settings for a long-running proxy.
//!
//! Bulk transfers allocate and free 64 KiB read buffers at a high rate. With glibc's defaults
//! the heap top is handed back to the kernel whenever it shrinks past 128 KiB, so the next
//! buffers fault fresh pages in again: on a TCP proxy that page-fault work cost more than the
//! copying itself. Keeping a few MiB of freed heap, and serving these buffers from the heap
//! rather than from fresh mappings, removes it; the price is that a process that once moved
//! bulk data keeps up to that much freed memory.

/// Freed heap kept rather than given back to the kernel.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const KEEP_FREED: i32 = 16 << 20;

/// Applies the allocator settings; call once at start, before the workers run.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc's malloc parameters; it is called before any other
    // thread of this program allocates.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, KEEP_FREED);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
