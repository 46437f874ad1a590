//! Generates the shell completions and man pages committed under `completions/` and `man/`.

use std::path::Path;

use clap::CommandFactory;

use crate::cli::{Cli, Shell};

/// The completion script for one shell.
pub fn completion(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(
        clap_complete::Shell::from(shell),
        &mut Cli::command(),
        "pdsctl",
        &mut out,
    );
    out
}

/// Every generated file: (path relative to the repository root, contents).
pub fn files() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for (shell, name) in [
        (Shell::Bash, "pdsctl.bash"),
        (Shell::Zsh, "_pdsctl"),
        (Shell::Fish, "pdsctl.fish"),
        (Shell::Elvish, "pdsctl.elv"),
        (Shell::Powershell, "_pdsctl.ps1"),
    ] {
        files.push((format!("completions/{name}"), completion(shell)));
    }
    let cmd = Cli::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    files.push(("man/pdsctl.1".to_string(), page));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("pdsctl-{}", sub.get_name());
        let mut page = Vec::new();
        // clap wants a 'static name; leaking one short string per page in a one-shot
        // generator is harmless.
        let static_name: &'static str = Box::leak(name.clone().into_boxed_str());
        clap_mangen::Man::new(sub.clone().name(static_name))
            .title(name.to_uppercase())
            .render(&mut page)?;
        files.push((format!("man/{name}.1"), page));
    }
    Ok(files)
}

/// Writes every generated file under `root`.
pub fn write_all(root: &Path) -> std::io::Result<()> {
    for (rel, bytes) in files()? {
        let path = root.join(rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(())
}
