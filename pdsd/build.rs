//! Embeds the vendored lexicon documents (pdsd/atproto/lexicons) so the binary validates
//! records without any files beside it.

use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("atproto/lexicons");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    for ns in ["com", "app", "chat", "tools"] {
        collect(&root.join(ns), &mut files);
    }
    files.sort();
    let mut code = String::from(
        "/// Every vendored lexicon document: (path, JSON).\npub static LEXICONS: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap().display().to_string();
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("lexicons.rs");
    std::fs::write(out, code).unwrap();
}
