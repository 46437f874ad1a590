//! The lexicon catalog records are validated against: the vendored official schemas,
//! embedded at build time.

use std::sync::LazyLock;

use atproto::lexicon::Catalog;

include!(concat!(env!("OUT_DIR"), "/lexicons.rs"));

/// The catalog of every embedded lexicon (built once, on first use).
pub static CATALOG: LazyLock<Catalog> = LazyLock::new(|| {
    let mut catalog = Catalog::new();
    for (path, json) in LEXICONS {
        if let Err(e) = catalog.add_document_str(json) {
            // The documents are vendored and tested; a failure here is a packaging bug.
            panic!("embedded lexicon {path} does not load: {e}");
        }
    }
    catalog
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_lexicon_loads_and_knows_bluesky_posts() {
        assert!(LEXICONS.len() > 300);
        assert!(CATALOG.has_record("app.bsky.feed.post"));
        assert!(CATALOG.has_record("app.bsky.actor.profile"));
    }
}
