//! Allocator housekeeping. glibc keeps freed memory in per-thread arenas; after a sync cycle has
//! dropped its large vectors (snapshot, plan, bind buffers), handing that memory back keeps the
//! worker's resident size at its working set instead of the sum of past peaks.

/// Returns free heap memory to the operating system (glibc `malloc_trim`); a no-op elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
