//! `man/pdsd.8` is pdsd's flags rendered by clap_mangen; this test fails when it is stale.
//! Regenerate with `PDSD_WRITE_MAN=1 cargo test -p pdsd --test man_page` and commit.
//! (pdsctl's own pages and completions come from `pdsctl generate`; pdsctl cannot render this
//! one because it does not depend on pdsd.)

use clap::CommandFactory;

#[test]
fn committed_man_page_matches_the_flags() {
    let mut page = Vec::new();
    clap_mangen::Man::new(pdsd::config::Args::command())
        .section("8")
        .manual("System Manager's Manual")
        .render(&mut page)
        .unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../man/pdsd.8");
    if std::env::var_os("PDSD_WRITE_MAN").is_some() {
        std::fs::write(&path, &page).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == page,
        "man/pdsd.8 is stale: run `PDSD_WRITE_MAN=1 cargo test -p pdsd --test man_page` and commit"
    );
}
