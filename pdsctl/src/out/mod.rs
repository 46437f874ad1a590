//! Everything pdsctl prints. Data goes to stdout as one of: a comfy-table (stdout is a
//! terminal), tab-separated plain text (piped: no borders, no colour unless asked, nothing
//! truncated), or JSON (`--json`). Hints, prompts, progress bars and errors go to stderr.

pub mod views;

use std::io::{IsTerminal, Write};

use comfy_table::{Attribute, Color, ContentArrangement, presets};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::cli::{ColorChoice, GlobalArgs};
use crate::error::{Interrupted, Refused, usage};

/// How stdout is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// comfy-table with borders (stdout is a terminal).
    Table,
    /// Tab-separated, no borders (stdout is a pipe or a file).
    Plain,
    /// JSON documents.
    Json,
}

/// The colour a cell is shown in, by meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Normal,
    Good,
    Warn,
    Bad,
    Dim,
}

/// One value in a table or field list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    pub tone: Tone,
}

impl Cell {
    pub fn new(text: impl Into<String>, tone: Tone) -> Cell {
        Cell {
            text: text.into(),
            tone,
        }
    }

    /// A value that may be absent: "-" when it is.
    pub fn opt(value: Option<&str>) -> Cell {
        match value {
            Some(v) if !v.is_empty() => Cell::from(v),
            _ => Cell::new("-", Tone::Dim),
        }
    }

    pub fn yes_no(value: bool) -> Cell {
        Cell::from(if value { "yes" } else { "no" })
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::new(s, Tone::Normal)
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::new(s, Tone::Normal)
    }
}

/// A piece of human-readable output.
#[derive(Debug, Clone)]
pub enum Block {
    /// Label and value pairs (one record).
    Fields(Vec<(&'static str, Cell)>),
    /// Rows under headers.
    Table {
        headers: Vec<&'static str>,
        rows: Vec<Vec<Cell>>,
    },
    /// Bare values, one per line, the same on a terminal and in a pipe.
    Values(Vec<String>),
}

/// Something a command prints: serialised as-is for `--json`, rendered as blocks otherwise.
pub trait View: Serialize {
    fn blocks(&self) -> Vec<Block>;

    /// When the result is empty: what to say on stderr instead of printing an empty table.
    fn empty_hint(&self) -> Option<String> {
        None
    }
}

/// `auto` colour per CONVENTIONS.md: stdout is a terminal, `NO_COLOR` is unset or empty,
/// `TERM` is not `dumb`, and `--json` is off.
pub fn use_color(choice: ColorChoice, json: bool, stdout_tty: bool) -> bool {
    match choice {
        ColorChoice::Always => !json,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
            stdout_tty && !no_color && !dumb && !json
        }
    }
}

/// The output side of one pdsctl run.
pub struct Out {
    mode: Mode,
    color: bool,
    yes: bool,
    /// stdin and stderr are terminals: prompts are possible.
    interactive: bool,
    stderr_tty: bool,
    stdout: Box<dyn Write>,
}

impl Out {
    /// The output for this process's stdout and stderr.
    pub fn new(global: &GlobalArgs) -> Out {
        let stdout_tty = std::io::stdout().is_terminal();
        let stderr_tty = std::io::stderr().is_terminal();
        let mode = if global.json {
            Mode::Json
        } else if stdout_tty {
            Mode::Table
        } else {
            Mode::Plain
        };
        Out {
            mode,
            color: use_color(global.color, global.json, stdout_tty),
            yes: global.yes,
            interactive: stderr_tty && std::io::stdin().is_terminal(),
            stderr_tty,
            stdout: Box::new(std::io::stdout().lock()),
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn is_json(&self) -> bool {
        self.mode == Mode::Json
    }

    /// Prints one result: a JSON document, or its blocks (or its empty hint on stderr).
    pub fn emit<V: View>(&mut self, view: &V) -> std::io::Result<()> {
        if self.mode == Mode::Json {
            return self.emit_json(view);
        }
        if let Some(hint) = view.empty_hint() {
            self.hint(&hint);
            return Ok(());
        }
        let text = render_blocks(&view.blocks(), self.mode, self.color);
        self.stdout.write_all(text.as_bytes())?;
        self.stdout.flush()
    }

    /// Prints one JSON document, whatever the mode (`key generate --format json`).
    pub fn emit_json<T: Serialize>(&mut self, value: &T) -> std::io::Result<()> {
        serde_json::to_writer_pretty(&mut self.stdout, value)?;
        writeln!(self.stdout)?;
        self.stdout.flush()
    }

    /// Prints one JSON Lines record (streaming commands, `--json` only).
    pub fn emit_line<T: Serialize>(&mut self, item: &T) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.stdout, item)?;
        writeln!(self.stdout)?;
        self.stdout.flush()
    }

    /// Prints one table row as it comes (per-row output when piped), under a header line
    /// printed before the first.
    pub fn emit_row(
        &mut self,
        headers: &[&'static str],
        row: Vec<Cell>,
        first: bool,
    ) -> std::io::Result<()> {
        let block = Block::Table {
            headers: headers.to_vec(),
            rows: vec![row],
        };
        let text = render_blocks(&[block], self.mode, self.color);
        let text = if first {
            text.as_str()
        } else {
            text.split_once('\n').map_or("", |(_, rest)| rest)
        };
        self.stdout.write_all(text.as_bytes())?;
        self.stdout.flush()
    }

    /// A note for the operator on stderr (never data).
    pub fn hint(&self, text: &str) {
        let _ = writeln!(std::io::stderr(), "{text}");
    }

    /// Asks before a destructive change. `--yes` skips the question; without a terminal to
    /// ask on, it is refused.
    /// `warning` is shown above the question.
    pub fn confirm(&self, action: &str, warning: Option<&str>) -> anyhow::Result<()> {
        if self.yes {
            return Ok(());
        }
        if !self.interactive {
            return Err(Refused(format!(
                "refusing to {action} without confirmation: re-run with --yes"
            ))
            .into());
        }
        if let Some(w) = warning {
            self.hint(w);
        }
        let mut prompt = action.to_string();
        if let Some(first) = prompt.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        let answer = dialoguer::Confirm::new()
            .with_prompt(format!("{prompt}?"))
            .default(false)
            .interact()
            .map_err(prompt_error)?;
        if answer {
            Ok(())
        } else {
            Err(Refused(format!("did not {action}: not confirmed")).into())
        }
    }

    /// Reads a new password: the first line of stdin, or a prompt (typed twice) on a terminal.
    pub fn read_password(&self, from_stdin: bool) -> anyhow::Result<String> {
        let password = if from_stdin {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            line.trim_end_matches(['\r', '\n']).to_string()
        } else if self.interactive {
            dialoguer::Password::new()
                .with_prompt("New password")
                .with_confirmation("Repeat it", "the passwords differ")
                .interact()
                .map_err(prompt_error)?
        } else {
            return Err(usage(
                "no password: pass --password-stdin and the password on stdin",
            ));
        };
        if password.is_empty() {
            return Err(usage("the password is empty"));
        }
        Ok(password)
    }

    /// A progress bar on stderr, drawn only when stderr is a terminal. `bytes` picks byte
    /// units over counts.
    pub fn progress(&self, total: Option<u64>, bytes: bool, message: &str) -> ProgressBar {
        if !self.stderr_tty {
            return ProgressBar::hidden();
        }
        let bar = match total {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = match (total.is_some(), bytes) {
            (true, true) => "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            (true, false) => "{msg} [{bar:30}] {pos}/{len} ({eta} left)",
            (false, true) => "{spinner} {msg} {bytes} ({bytes_per_sec})",
            (false, false) => "{spinner} {msg} {pos}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(message.to_string());
        bar
    }
}

fn prompt_error(e: dialoguer::Error) -> anyhow::Error {
    let dialoguer::Error::IO(io) = e;
    if io.kind() == std::io::ErrorKind::Interrupted {
        Interrupted.into()
    } else {
        anyhow::Error::new(io).context("cannot read the answer")
    }
}

/// Tabs and line breaks would break the plain format's columns and lines.
fn clean(text: &str) -> String {
    text.replace(['\t', '\n', '\r'], " ")
}

fn ansi(tone: Tone) -> Option<&'static str> {
    match tone {
        Tone::Normal => None,
        Tone::Good => Some("\x1b[32m"),
        Tone::Warn => Some("\x1b[33m"),
        Tone::Bad => Some("\x1b[31m"),
        Tone::Dim => Some("\x1b[90m"),
    }
}

fn plain_cell(cell: &Cell, color: bool) -> String {
    let text = clean(&cell.text);
    match ansi(cell.tone).filter(|_| color) {
        Some(code) => format!("{code}{text}\x1b[0m"),
        None => text,
    }
}

fn comfy_cell(cell: &Cell) -> comfy_table::Cell {
    let c = comfy_table::Cell::new(&cell.text);
    match cell.tone {
        Tone::Normal => c,
        Tone::Good => c.fg(Color::Green),
        Tone::Warn => c.fg(Color::Yellow),
        Tone::Bad => c.fg(Color::Red),
        Tone::Dim => c.fg(Color::DarkGrey),
    }
}

fn comfy_table(color: bool) -> comfy_table::Table {
    let mut t = comfy_table::Table::new();
    t.load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        // Never wrap: a DID or CID split over two lines cannot be copied.
        .set_content_arrangement(ContentArrangement::Disabled);
    if color {
        t.enforce_styling();
    } else {
        t.force_no_tty();
    }
    t
}

/// Renders blocks for a terminal (`Table`) or a pipe (`Plain`), blocks separated by a blank
/// line.
pub fn render_blocks(blocks: &[Block], mode: Mode, color: bool) -> String {
    let mut out = String::new();
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 && !matches!(block, Block::Values(_)) {
            out.push('\n');
        }
        match (block, mode) {
            (Block::Values(values), _) => {
                for v in values {
                    out.push_str(&clean(v));
                    out.push('\n');
                }
            }
            (Block::Fields(fields), Mode::Table) => {
                let mut t = comfy_table(color);
                for (label, value) in fields {
                    let label = comfy_table::Cell::new(label).add_attribute(Attribute::Bold);
                    t.add_row(vec![label, comfy_cell(value)]);
                }
                out.push_str(&t.to_string());
                out.push('\n');
            }
            (Block::Table { headers, rows }, Mode::Table) => {
                let mut t = comfy_table(color);
                t.set_header(
                    headers
                        .iter()
                        .map(|h| comfy_table::Cell::new(h).add_attribute(Attribute::Bold)),
                );
                for row in rows {
                    t.add_row(row.iter().map(comfy_cell).collect::<Vec<_>>());
                }
                out.push_str(&t.to_string());
                out.push('\n');
            }
            (Block::Fields(fields), _) => {
                for (label, value) in fields {
                    out.push_str(label);
                    out.push('\t');
                    out.push_str(&plain_cell(value, color));
                    out.push('\n');
                }
            }
            (Block::Table { headers, rows }, _) => {
                out.push_str(&headers.join("\t"));
                out.push('\n');
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| plain_cell(c, color)).collect();
                    out.push_str(&cells.join("\t"));
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// Bytes for people: 1.5 KiB, 12.0 MiB.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// A duration for people: 3d 4h, 2h 5m, 4m 10s, 9s.
pub fn human_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_units_read_naturally() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(human_duration(9), "9s");
        assert_eq!(human_duration(250), "4m 10s");
        assert_eq!(human_duration(7500), "2h 5m");
        assert_eq!(human_duration(3 * 86_400 + 4 * 3600 + 5), "3d 4h");
    }

    #[test]
    fn plain_output_has_no_tabs_or_newlines_inside_cells() {
        let blocks = vec![Block::Table {
            headers: vec!["A", "B"],
            rows: vec![vec![Cell::from("x\ty"), Cell::from("line\nbreak")]],
        }];
        assert_eq!(
            render_blocks(&blocks, Mode::Plain, false),
            "A\tB\nx y\tline break\n"
        );
    }

    #[test]
    fn colour_is_only_added_when_asked() {
        let blocks = vec![Block::Fields(vec![(
            "Status",
            Cell::new("active", Tone::Good),
        )])];
        assert_eq!(
            render_blocks(&blocks, Mode::Plain, false),
            "Status\tactive\n"
        );
        assert_eq!(
            render_blocks(&blocks, Mode::Plain, true),
            "Status\t\x1b[32mactive\x1b[0m\n"
        );
        assert!(!render_blocks(&blocks, Mode::Table, false).contains('\x1b'));
        assert!(render_blocks(&blocks, Mode::Table, true).contains('\x1b'));
    }
}
