//! Compiles `admin/v1/*.proto` with protox (pure Rust), so no system `protoc` is needed.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=admin");
    let mut files = Vec::new();
    for entry in std::fs::read_dir("admin/v1")? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "proto") {
            files.push(path);
        }
    }
    files.sort();
    let fds = protox::compile(&files, ["."])?;
    tonic_prost_build::configure().compile_fds(fds)?;
    Ok(())
}
