use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let args = pdsd::config::Args::parse();
    let config = match pdsd::config::Config::load(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("pdsd: {e}");
            return ExitCode::from(2);
        }
    };
    pdsd::init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pdsd: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(pdsd::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "pdsd stopped on an error");
            eprintln!("pdsd: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// pdsd's own allocations go to jemalloc. Under the benchmark's write load glibc's malloc
/// either contended on one arena (createRecord at c=32: 5,200/s against 7,500/s with
/// jemalloc; applyWrites of 200: 31k records/s against 59k) or, with an arena per thread,
/// kept over a third of pdsd's memory; and its heap fragmented (55 MB held for 23 MB in use
/// after the write workloads). mimalloc kept more than twice glibc's memory.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's options (read before `main`; the `_RJEM_MALLOC_CONF` environment variable can
/// still override them): one arena, since pdsd has few busy threads and per-CPU arenas only
/// multiply the memory each keeps; thread caches of small sizes only (up to 1 KiB), so
/// request-sized buffers are shared; and freed pages returned to the system after 100 ms
/// (dirty) or at once (muzzy), so that memory follows the load down. Measured with bench/:
/// peak RSS 70 MiB against 104 MiB with jemalloc's defaults, at 95% of their speed.
#[allow(unsafe_code)]
// SAFETY: jemalloc declares `malloc_conf` as a weak `const char *` that it reads once, when
// it initialises; this definition is that pointer, to a NUL-terminated string that lives for
// the whole program and is never written.
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static MALLOC_CONF: &[u8; 62] =
    b"narenas:1,tcache_max:1024,dirty_decay_ms:100,muzzy_decay_ms:0\0";

/// SQLite allocates with glibc's malloc, which gives threads their own arenas (up to eight
/// per core): one arena, and fixed thresholds (blocks over 4 MiB get their own mapping,
/// returned when freed; the arena keeps at most 8 MiB free at its top).
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator tunables; it runs before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 * 1024 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 8 * 1024 * 1024);
    }
}
