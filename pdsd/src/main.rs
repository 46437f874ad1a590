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

/// glibc's malloc gives threads their own arenas (up to eight per core) and keeps the memory
/// freed in each; with tokio's pool of blocking threads that was over a third of pdsd's
/// resident memory. And once a large block (the 19 MiB of a password hash) is freed, glibc
/// raises its thresholds so later ones come from, and stay in, the arenas. So: one arena,
/// fixed thresholds (blocks over 4 MiB get their own mapping, returned when freed; an arena
/// keeps at most 8 MiB free at its top). (mimalloc was tried: it kept more than twice
/// glibc's resident memory under the benchmark's write load.)
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
