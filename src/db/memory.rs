//! Allocator housekeeping. The program's own allocations go through mimalloc (see `main.rs`),
//! which returns freed pages by itself; libpq's result buffers (a sync cycle loads every user,
//! device and baseline) come from glibc malloc, which keeps freed memory in its arenas until
//! told to hand it back.

/// Returns free heap memory to the operating system (glibc `malloc_trim`); a no-op elsewhere.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}
