//! The service's allocator: jemalloc, which returns freed pages to the system immediately from
//! the moment the service is up.
//!
//! glibc's malloc kept freed start-up memory in its per-thread arenas (`malloc_trim` gave back
//! 1.5 MB of it), and jemalloc's default keeps freed pages for ten seconds: either way the
//! service grew well past its idle size while it streamed a long list. Start-up itself runs with
//! the default, because purging at once there cost 0.2 s of `madvise` calls (BENCHMARKS.md,
//! "Memory").

use tikv_jemalloc_ctl::{arenas, Access, AsName};

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// From now on, pages freed in any arena, and in arenas created later, go back to the system
/// when they are freed, not as MADV_FREE pages the kernel still counts as resident.
pub fn return_freed_pages_at_once() {
    let arenas = arenas::narenas::read().unwrap_or(0);
    let keys = ["dirty_decay_ms", "muzzy_decay_ms"];
    let mut failed = Vec::new();
    for key in keys {
        let name = format!("arenas.{key}\0");
        if let Err(e) = name.as_str().name().write(0isize) {
            failed.push(format!("{}: {e}", name.trim_end_matches('\0')));
        }
        // Arenas no thread has used yet are not initialised and refuse the setting; they take
        // the default just set when they are.
        for i in 0..arenas {
            let _ = format!("arena.{i}.{key}\0").as_str().name().write(0isize);
        }
    }
    if !failed.is_empty() {
        log::warn!(
            "freed memory is returned on jemalloc's schedule: {}",
            failed.join("; ")
        );
    }
}
