//! The command line: every subcommand and flag. Doc comments here become `--help` and the man
//! pages, so the first line of each is a sentence.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

/// Operate a pdsd AT Protocol Personal Data Server.
#[derive(Debug, Parser)]
#[command(
    name = "pdsctl",
    version,
    about,
    long_about = "Operate a pdsd AT Protocol Personal Data Server over its admin socket.\n\n\
        pdsctl talks gRPC to pdsd's Unix socket (see --socket); only `key generate`, \
        `repo inspect` and `completions` work without a running pdsd. Data goes to stdout (a \
        table on a terminal, tab-separated text when piped, JSON with --json); prompts, \
        progress bars, warnings and errors go to stderr.",
    after_long_help = "EXIT STATUS:\n  \
        0    success\n  \
        1    the operation failed (pdsd refused it or something broke)\n  \
        2    usage error or invalid input, or a destructive command refused without --yes\n  \
        3    pdsd is unreachable (no socket, nothing listening, permission denied)\n  \
        4    not found (account, blob, ...)\n  \
        130  interrupted\n\n\
        A closed pipe (pdsctl ... | head) is not an error. The error line is \
        `pdsctl: <what failed>: <cause>`; with --json it is {\"error\": code, \"message\": ...} \
        on stderr.\n\n\
        ENVIRONMENT:\n  \
        PDSCTL_SOCKET       the admin socket (as --socket)\n  \
        PDS_ADMIN_SOCKET    pdsd's own socket setting, used when neither is given\n  \
        PDS_DATA_DIRECTORY  pdsd's data directory: the socket is <dir>/admin.sock\n  \
        NO_COLOR            no colour with --color auto\n  \
        RUST_LOG            log filter for stderr (overrides -v)",
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, before or after the subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock].
    #[arg(
        long,
        global = true,
        env = "PDSCTL_SOCKET",
        value_name = "PATH",
        value_hint = ValueHint::FilePath
    )]
    pub socket: Option<PathBuf>,
    /// Print JSON on stdout instead of a table (JSON Lines for per-row commands).
    #[arg(long, global = true)]
    pub json: bool,
    /// When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Log more to stderr (-v info and the daemon's error names, -vv debug); RUST_LOG wins.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal).
    #[arg(short = 'y', long, global = true)]
    pub yes: bool,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the server's status.
    Server {
        #[command(subcommand)]
        command: ServerCommand,
    },
    /// Create, list, change and delete accounts, one at a time or in bulk.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Create, list and disable invite codes.
    Invite {
        #[command(subcommand)]
        command: InviteCommand,
    },
    /// Generate signing and rotation keys (offline).
    Key {
        #[command(subcommand)]
        command: KeyCommand,
    },
    /// Export, import and inspect repositories as CAR files.
    Repo {
        #[command(subcommand)]
        command: RepoCommand,
    },
    /// Export an account's blobs.
    Blob {
        #[command(subcommand)]
        command: BlobCommand,
    },
    /// Print a shell completion script to stdout.
    Completions {
        /// The shell to complete for.
        shell: Shell,
    },
    /// Print the pdsctl version.
    Version,
    /// Write the committed completions/ and man/ files (for maintainers).
    #[command(hide = true)]
    Generate {
        /// The repository root to write completions/ and man/ under.
        #[arg(long, default_value = ".")]
        root: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Show pdsd's version, uptime, accounts, storage and firehose.
    Status,
}

/// Where an account stands (`account list --status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFilter {
    Active,
    Deactivated,
    Takendown,
    Deleted,
}

/// How `account reset-password` resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResetMethod {
    /// Generate a random password and show it once.
    Generate,
    /// Set the password read from stdin or a prompt.
    Set,
    /// Email the user a reset code (needs a configured mailer).
    Email,
    /// Issue a reset code for the operator to hand over.
    Token,
}

/// What `account provision` hands out for each new account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Credentials {
    /// A generated password, written to --secrets-out.
    Password,
    /// A password reset code (the user picks a password with it), written to --secrets-out.
    ResetToken,
    /// A reset code emailed to the user by pdsd (needs a mailer and an email column); nothing is written.
    Email,
}

/// The input format of `account provision`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProvisionFormat {
    /// From the file name: .csv is CSV, .jsonl/.ndjson/.json is JSON Lines; otherwise sniffed.
    Auto,
    /// CSV with a header row naming the columns.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Create an account (no invite code needed).
    ///
    /// Without --password-stdin a password is generated and shown once (or written to
    /// --secrets-out only).
    Create {
        /// The handle: full ("alice.pds.example.com") or its first label ("alice").
        handle: String,
        /// The account's email address.
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// A key from your own system; creating again with it returns the existing account.
        #[arg(long, value_name = "ID")]
        external_id: Option<String>,
        /// A did:key made the highest-priority rotation key of the new identity.
        #[arg(long, value_name = "DID_KEY")]
        recovery_key: Option<String>,
        /// Append the generated password to this file (mode 0600) instead of printing it.
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        secrets_out: Option<PathBuf>,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// List accounts, oldest first.
    List {
        /// Only accounts whose handle, email or DID contains this text.
        #[arg(long, short)]
        query: Option<String>,
        /// Only accounts with this status.
        #[arg(long, value_enum)]
        status: Option<StatusFilter>,
        /// Show at most this many accounts (default: all).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Start after this cursor (from a previous --limit'ed listing).
        #[arg(long)]
        cursor: Option<String>,
    },
    /// Show one account and its repository.
    Show {
        /// The account: DID, handle, email or external:<id>.
        account: String,
    },
    /// Change an account's handle.
    UpdateHandle {
        /// The account: DID, handle, email or external:<id>.
        account: String,
        /// The new handle (full, or the first label on the service domain).
        handle: String,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Change an account's email address.
    UpdateEmail {
        /// The account: DID, handle, email or external:<id>.
        account: String,
        /// The new email address.
        email: String,
        /// Mark the new address as confirmed (you vouch for it).
        #[arg(long)]
        confirmed: bool,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Reset an account's password (signs it out everywhere for generate and set).
    ResetPassword {
        /// The account: DID, handle, email or external:<id>.
        account: String,
        /// How to reset [default: set with --password-stdin, else generate].
        #[arg(long, value_enum)]
        method: Option<ResetMethod>,
        /// Read the new password from the first line of stdin (implies --method set).
        #[arg(long)]
        password_stdin: bool,
        /// Append the generated password or reset code to this file (mode 0600) instead of printing it.
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        secrets_out: Option<PathBuf>,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Deactivate an account: its repository is not served until it is activated.
    Deactivate {
        /// The account: DID, handle, email or external:<id>.
        account: String,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Activate a deactivated account.
    Activate {
        /// The account: DID, handle, email or external:<id>.
        account: String,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Delete an account now: repository, blobs and sessions. This cannot be undone.
    Delete {
        /// The account: DID, handle, email or external:<id>.
        account: String,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Create accounts in bulk from a CSV or JSON Lines file, idempotently.
    ///
    /// Each row has an external id (your system's key), a handle and optionally an email
    /// (CSV header: external_id,handle,email; JSON: {"externalId", "handle", "email"}).
    /// Rows whose external id already has an account are reported as existing and left
    /// alone, so a partly failed run can simply be run again. Secrets for new accounts go to
    /// --secrets-out (mode 0600, appended), never to the terminal unless --show-secrets.
    /// Exits 0 only when every row was created or already existed.
    Provision {
        /// The input file ("-" for stdin).
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        from: PathBuf,
        /// The input format.
        #[arg(long, value_enum, default_value_t = ProvisionFormat::Auto)]
        format: ProvisionFormat,
        /// What each new account gets.
        #[arg(long, value_enum, default_value_t = Credentials::Password)]
        credentials: Credentials,
        /// Append external_id,did,handle,kind,secret rows for new accounts to this file (mode 0600).
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        secrets_out: Option<PathBuf>,
        /// Also print the secrets in the report on stdout.
        #[arg(long)]
        show_secrets: bool,
        /// Accounts created at once.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=32))]
        jobs: u16,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// Order of `invite list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InviteSort {
    Recent,
    Usage,
}

#[derive(Debug, Subcommand)]
pub enum InviteCommand {
    /// Create invite codes, for the operator or for accounts.
    Create {
        /// Uses per code.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        uses: u32,
        /// Codes to make (per account with --for).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
        /// Make the codes for this account (DID, handle, email or external:<id>); repeatable.
        #[arg(long = "for", value_name = "ACCOUNT")]
        for_accounts: Vec<String>,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// List invite codes.
    List {
        /// Only codes made for this account (or "admin").
        #[arg(long = "for", value_name = "ACCOUNT")]
        for_account: Option<String>,
        /// Only codes that can still be used.
        #[arg(long)]
        available: bool,
        /// Order of the listing.
        #[arg(long, value_enum, default_value_t = InviteSort::Recent)]
        sort: InviteSort,
        /// Show at most this many codes (default: all).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Disable invite codes, by code or by the account they were made for.
    Disable {
        /// Codes to disable.
        codes: Vec<String>,
        /// Disable every code made for this account (or "admin"); repeatable.
        #[arg(long = "account", value_name = "ACCOUNT")]
        accounts: Vec<String>,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
}

/// Curve of `key generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyCurve {
    /// secp256k1 (ES256K), what PLC rotation and repository signing keys use.
    K256,
    /// NIST P-256 (ES256).
    P256,
}

/// Output of `key generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyFormat {
    /// The private key as 64 hex digits (PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX).
    Hex,
    /// The private key as multibase (what goat and the reference tools print).
    Multibase,
    /// The public key as a did:key (needs --private-key-out, or the private key is lost).
    DidKey,
    /// Everything as one JSON object.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a new key pair, offline.
    ///
    /// Without --format, prints every form of the key. With --private-key-out the private
    /// key goes to that file (mode 0600) and only public forms are printed.
    Generate {
        /// The curve.
        #[arg(long = "type", value_enum, default_value_t = KeyCurve::K256)]
        key_type: KeyCurve,
        /// Print only this form.
        #[arg(long, value_enum)]
        format: Option<KeyFormat>,
        /// Write the private key (hex) to this new file, mode 0600.
        #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        private_key_out: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RepoCommand {
    /// Export an account's repository to a CAR file and verify it.
    ///
    /// The file is written next to its destination and moved into place only after its
    /// structure verified: every block hashes to its CID, the root is a commit for the DID,
    /// the MST is complete and canonical, and every record is present. The commit signature
    /// is checked only with --key (pdsctl does not resolve DIDs).
    Export {
        /// The account: DID, handle, email or external:<id>.
        account: String,
        /// The CAR file to write.
        #[arg(short, long, value_name = "FILE", value_hint = ValueHint::FilePath)]
        output: PathBuf,
        /// Also verify the commit signature against this did:key.
        #[arg(long, value_name = "DID_KEY")]
        key: Option<String>,
        /// Replace the output file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Replace an account's repository with a CAR file (its blobs are not included).
    Import {
        /// The account: DID, handle, email or external:<id>.
        account: String,
        /// The CAR file to import.
        #[arg(value_hint = ValueHint::FilePath)]
        file: PathBuf,
        /// Why, for the audit log.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Inspect a repository CAR file offline: commit, DID, rev, records per collection.
    ///
    /// The structure is always verified; the signature only with --key (otherwise it is
    /// reported as not checked). Exits 1 when the file is not a valid repository or the
    /// signature does not verify.
    Inspect {
        /// The CAR file.
        #[arg(value_hint = ValueHint::FilePath)]
        file: PathBuf,
        /// Verify the commit signature against this did:key.
        #[arg(long, value_name = "DID_KEY")]
        key: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum BlobCommand {
    /// Download every blob of an account into a directory, one file per CID.
    ///
    /// Each blob is checked against its CID before it is kept. Files already there with the
    /// right content are skipped, so an interrupted export can be run again.
    Export {
        /// The account: DID, handle, email or external:<id>.
        account: String,
        /// The directory to write (created if missing).
        #[arg(short, long, value_name = "DIR", value_hint = ValueHint::DirPath)]
        output: PathBuf,
    },
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

impl From<Shell> for clap_complete::Shell {
    fn from(s: Shell) -> Self {
        match s {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Elvish => clap_complete::Shell::Elvish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        }
    }
}
