//! How the server's memory allocator is set up: glibc's, which SQLite allocates from too.

/// Arenas of glibc's allocator the process may use.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MALLOC_ARENAS: libc::c_int = 2;

/// Lets the threads share a few of glibc's memory arenas instead of one arena per thread (up to
/// eight per core), before any thread is started.
///
/// Why: each SQLite connection runs on a thread of its own, and a transaction keeps the pages it
/// changes in memory until it commits (a bulk approval of 500 at a million actions: tens of MB).
/// Freed, those pages stayed in that thread's arena, so every connection that once ran a large
/// write held its own copy: the server grew from 62 to 99 MB over five bulk approvals. With two
/// shared arenas the next transaction reuses what the last one freed (78 MB), at no cost in
/// time measured.
pub fn share_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: mallopt only sets a limit of the allocator; it is called before any other thread
    // exists, as glibc asks.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
    }
}

/// Gives the pages no allocation uses back to the system. glibc keeps what a thread frees for
/// its next allocations, where it lies among pages still in use. A SQLite server calls this
/// after writes (`jobs`' checkpoint task; about a millisecond): five bulk approvals at a
/// million actions then left 80 MB a second later, instead of 85–102 MB.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only hands free memory back; it takes the allocator's locks itself.
    unsafe {
        libc::malloc_trim(0);
    }
}
