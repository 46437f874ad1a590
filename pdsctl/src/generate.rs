//! Generates the shell completions and man pages committed under `completions/` and `man/`:
//! `pdsctl(1)` and one page per noun (`pdsctl-account(1)`, ...) that documents each of its
//! verbs with their options. `pdsd(8)` is generated from pdsd's own flags by pdsd's
//! `tests/man_page.rs` (pdsctl does not depend on pdsd).

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

/// Points from a noun page to the flags every command takes.
const GLOBAL_NOTE: &str = ".PP\nEvery command also takes the global options \\fB\\-\\-socket\\fR, \
    \\fB\\-\\-json\\fR, \\fB\\-\\-color\\fR, \\fB\\-v\\fR and \\fB\\-\\-yes\\fR: see pdsctl(1).\n";

/// Sections of pdsctl(1) written by hand.
const TOP_SECTIONS: &str = r#".SH "EXIT STATUS"
.TP
0
Success.
.TP
1
The operation failed (pdsd refused it, or something broke).
.TP
2
A usage error or invalid input, or a destructive command refused without \fB\-\-yes\fR.
.TP
3
pdsd is unreachable: no socket, nothing listening, or permission denied.
.TP
4
Not found (an account, a blob, ...).
.TP
130
Interrupted.
.PP
A closed pipe (\fBpdsctl ... | head\fR) is not an error. Errors are one line on stderr,
\fBpdsctl: <what failed>: <cause>\fR; with \fB\-\-json\fR they are a JSON object
{"error": code, "message": ..., "exitCode": n}, where code is pdsd's error name or pdsctl's
(DaemonUnreachable, ConfirmationRequired, InvalidUsage).
.SH ENVIRONMENT
.TP
PDSCTL_SOCKET
The admin socket, as \fB\-\-socket\fR.
.TP
PDS_ADMIN_SOCKET
pdsd's own setting for its socket; used when neither of the above is given.
.TP
PDS_DATA_DIRECTORY
pdsd's data directory; the socket is \fI<dir>/admin.sock\fR. Without any of these:
\fI./data/admin.sock\fR, pdsd's default.
.TP
NO_COLOR
Set and not empty: no colour with \fB\-\-color auto\fR.
.TP
RUST_LOG
The log filter for stderr; overrides \fB\-v\fR.
.SH "SEE ALSO"
pdsd(8)
"#;

/// roff from clap_mangen without its two-line preamble (written once per page).
fn section(render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> std::io::Result<String> {
    let mut buf = Vec::new();
    render(&mut buf)?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    Ok(text
        .lines()
        .filter(|l| !l.starts_with(".ie \\n(.g") && !l.starts_with(".el .ds Aq"))
        .map(|l| format!("{l}\n"))
        .collect())
}

/// Turns a rendered section's `.SH` headings into `.SS` so it nests under a verb.
fn demote(roff: &str) -> String {
    roff.lines()
        .map(|l| match l.strip_prefix(".SH ") {
            Some(rest) => format!(".SS {rest}\n"),
            None => format!("{l}\n"),
        })
        .collect()
}

/// The page of one noun: its own sections, then a COMMANDS section with, per verb, a
/// synopsis, description and options.
fn noun_page(noun: &clap::Command, name: &str) -> std::io::Result<Vec<u8>> {
    let source = format!("pdsctl {}", env!("CARGO_PKG_VERSION"));
    let noun = noun
        .clone()
        .bin_name(name.replace('-', " "))
        .display_name(name.to_string());
    let man = clap_mangen::Man::new(noun.clone())
        .title(name.to_uppercase())
        .source(source.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    // Keep the preamble from the title render; strip it from every later piece.
    let mut text = String::from_utf8_lossy(&page).into_owned();
    text.push_str(&section(|w| man.render_name_section(w))?);
    text.push_str(&section(|w| man.render_synopsis_section(w))?);
    text.push_str(&section(|w| man.render_description_section(w))?);
    text.push_str(&section(|w| man.render_options_section(w))?);
    text.push_str(GLOBAL_NOTE);
    let verbs: Vec<&clap::Command> = noun
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .collect();
    if !verbs.is_empty() {
        text.push_str(".SH COMMANDS\n");
        for verb in verbs {
            let title = format!("{} {}", name.replace('-', " "), verb.get_name());
            text.push_str(&format!(".SS \"{title}\"\n"));
            let verb_man = clap_mangen::Man::new(verb.clone().bin_name(title.clone()));
            let mut body = section(|w| verb_man.render_synopsis_section(w))?;
            body.push_str(&section(|w| verb_man.render_description_section(w))?);
            if verb.get_arguments().any(|a| !a.is_hide_set()) {
                body.push_str(&section(|w| verb_man.render_options_section(w))?);
            }
            // The verb's own SYNOPSIS/DESCRIPTION/OPTIONS headings would start new sections;
            // as plain paragraphs they read as part of this verb.
            text.push_str(
                &demote(&body)
                    .replace(".SS SYNOPSIS\n", "")
                    .replace(".SS DESCRIPTION\n", ".PP\n")
                    .replace(".SS OPTIONS\n", ".PP\nOptions:\n"),
            );
        }
    }
    text.push_str(&format!(
        ".SH \"SEE ALSO\"\npdsctl(1), pdsd(8)\n.SH VERSION\nv{}\n",
        env!("CARGO_PKG_VERSION")
    ));
    Ok(text.into_bytes())
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
    // Not built: the global flags stay on pdsctl(1) instead of being copied into every
    // command's section, and clap's `help` subcommand is not added.
    let cmd = Cli::command();
    let mut page = Vec::new();
    // `pdsctl help` has no page of its own.
    let man = clap_mangen::Man::new(cmd.clone().disable_help_subcommand(true));
    man.render_title(&mut page)?;
    let mut text = String::from_utf8_lossy(&page).into_owned();
    text.push_str(&section(|w| man.render_name_section(w))?);
    text.push_str(&section(|w| man.render_synopsis_section(w))?);
    text.push_str(&section(|w| man.render_description_section(w))?);
    text.push_str(&section(|w| man.render_options_section(w))?);
    text.push_str(&section(|w| man.render_subcommands_section(w))?);
    // The --help text's EXIT STATUS and ENVIRONMENT, as man sections (roff would reflow the
    // plain-text columns).
    text.push_str(TOP_SECTIONS);
    text.push_str(&section(|w| man.render_version_section(w))?);
    files.push(("man/pdsctl.1".to_string(), text.into_bytes()));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("pdsctl-{}", sub.get_name());
        let page = if sub.has_subcommands() {
            noun_page(sub, &name)?
        } else {
            let mut page = Vec::new();
            let sub = sub
                .clone()
                .bin_name(name.replace('-', " "))
                .display_name(name.clone());
            clap_mangen::Man::new(sub)
                .title(name.to_uppercase())
                .source(format!("pdsctl {}", env!("CARGO_PKG_VERSION")))
                .render(&mut page)?;
            page
        };
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
