
use builtin;
use str;

set edit:completion:arg-completer[pdsctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pdsctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pdsctl'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand server 'Show the server''s status'
            cand account 'Create, list, change and delete accounts, one at a time or in bulk'
            cand invite 'Create, list and disable invite codes'
            cand key 'Generate signing and rotation keys (offline)'
            cand repo 'Export, import and inspect repositories as CAR files'
            cand blob 'Export an account''s blobs'
            cand completions 'Print a shell completion script to stdout'
            cand version 'Print the pdsctl version'
            cand generate 'Write the committed completions/ and man/ files (for maintainers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;server'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand status 'Show pdsd''s version, uptime, accounts, storage and firehose'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;server;status'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;server;help'= {
            cand status 'Show pdsd''s version, uptime, accounts, storage and firehose'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;server;help;status'= {
        }
        &'pdsctl;server;help;help'= {
        }
        &'pdsctl;account'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create an account (no invite code needed)'
            cand list 'List accounts, oldest first'
            cand show 'Show one account and its repository'
            cand update-handle 'Change an account''s handle'
            cand update-email 'Change an account''s email address'
            cand reset-password 'Reset an account''s password (signs it out everywhere for generate and set)'
            cand deactivate 'Deactivate an account: its repository is not served until it is activated'
            cand activate 'Activate a deactivated account'
            cand delete 'Delete an account now: repository, blobs and sessions. This cannot be undone'
            cand provision 'Create accounts in bulk from a CSV or JSON Lines file, idempotently'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;account;create'= {
            cand --email 'The account''s email address'
            cand --external-id 'A key from your own system; creating again with it returns the existing account'
            cand --recovery-key 'A did:key made the highest-priority rotation key of the new identity'
            cand --secrets-out 'Append the generated password to this file (mode 0600) instead of printing it'
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --password-stdin 'Read the password from the first line of stdin instead of generating one'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pdsctl;account;list'= {
            cand -q 'Only accounts whose handle, email or DID contains this text'
            cand --query 'Only accounts whose handle, email or DID contains this text'
            cand --status 'Only accounts with this status'
            cand --limit 'Show at most this many accounts (default: all)'
            cand --cursor 'Start after this cursor (from a previous --limit''ed listing)'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;account;show'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;account;update-handle'= {
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;account;update-email'= {
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --confirmed 'Mark the new address as confirmed (you vouch for it)'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;account;reset-password'= {
            cand --method 'How to reset [default: set with --password-stdin, else generate]'
            cand --secrets-out 'Append the generated password or reset code to this file (mode 0600) instead of printing it'
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --password-stdin 'Read the new password from the first line of stdin (implies --method set)'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pdsctl;account;deactivate'= {
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;account;activate'= {
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;account;delete'= {
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;account;provision'= {
            cand --from 'The input file ("-" for stdin)'
            cand --format 'The input format'
            cand --credentials 'What each new account gets'
            cand --secrets-out 'Append external_id,did,handle,kind,secret rows for new accounts to this file (mode 0600)'
            cand --jobs 'Accounts created at once'
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --show-secrets 'Also print the secrets in the report on stdout'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pdsctl;account;help'= {
            cand create 'Create an account (no invite code needed)'
            cand list 'List accounts, oldest first'
            cand show 'Show one account and its repository'
            cand update-handle 'Change an account''s handle'
            cand update-email 'Change an account''s email address'
            cand reset-password 'Reset an account''s password (signs it out everywhere for generate and set)'
            cand deactivate 'Deactivate an account: its repository is not served until it is activated'
            cand activate 'Activate a deactivated account'
            cand delete 'Delete an account now: repository, blobs and sessions. This cannot be undone'
            cand provision 'Create accounts in bulk from a CSV or JSON Lines file, idempotently'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;account;help;create'= {
        }
        &'pdsctl;account;help;list'= {
        }
        &'pdsctl;account;help;show'= {
        }
        &'pdsctl;account;help;update-handle'= {
        }
        &'pdsctl;account;help;update-email'= {
        }
        &'pdsctl;account;help;reset-password'= {
        }
        &'pdsctl;account;help;deactivate'= {
        }
        &'pdsctl;account;help;activate'= {
        }
        &'pdsctl;account;help;delete'= {
        }
        &'pdsctl;account;help;provision'= {
        }
        &'pdsctl;account;help;help'= {
        }
        &'pdsctl;invite'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand create 'Create invite codes, for the operator or for accounts'
            cand list 'List invite codes'
            cand disable 'Disable invite codes, by code or by the account they were made for'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;invite;create'= {
            cand --uses 'Uses per code'
            cand --count 'Codes to make (per account with --for)'
            cand --for 'Make the codes for this account (DID, handle, email or external:<id>); repeatable'
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;invite;list'= {
            cand --for 'Only codes made for this account (or "admin")'
            cand --sort 'Order of the listing'
            cand --limit 'Show at most this many codes (default: all)'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --available 'Only codes that can still be used'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;invite;disable'= {
            cand --account 'Disable every code made for this account (or "admin"); repeatable'
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;invite;help'= {
            cand create 'Create invite codes, for the operator or for accounts'
            cand list 'List invite codes'
            cand disable 'Disable invite codes, by code or by the account they were made for'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;invite;help;create'= {
        }
        &'pdsctl;invite;help;list'= {
        }
        &'pdsctl;invite;help;disable'= {
        }
        &'pdsctl;invite;help;help'= {
        }
        &'pdsctl;key'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand generate 'Generate a new key pair, offline'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;key;generate'= {
            cand --type 'The curve'
            cand --format 'Print only this form'
            cand --private-key-out 'Write the private key (hex) to this new file, mode 0600'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pdsctl;key;help'= {
            cand generate 'Generate a new key pair, offline'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;key;help;generate'= {
        }
        &'pdsctl;key;help;help'= {
        }
        &'pdsctl;repo'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand export 'Export an account''s repository to a CAR file and verify it'
            cand import 'Replace an account''s repository with a CAR file (its blobs are not included)'
            cand inspect 'Inspect a repository CAR file offline: commit, DID, rev, records per collection'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;repo;export'= {
            cand -o 'The CAR file to write'
            cand --output 'The CAR file to write'
            cand --key 'Also verify the commit signature against this did:key'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --force 'Replace the output file if it exists'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pdsctl;repo;import'= {
            cand --reason 'Why, for the audit log'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;repo;inspect'= {
            cand --key 'Verify the commit signature against this did:key'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pdsctl;repo;help'= {
            cand export 'Export an account''s repository to a CAR file and verify it'
            cand import 'Replace an account''s repository with a CAR file (its blobs are not included)'
            cand inspect 'Inspect a repository CAR file offline: commit, DID, rev, records per collection'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;repo;help;export'= {
        }
        &'pdsctl;repo;help;import'= {
        }
        &'pdsctl;repo;help;inspect'= {
        }
        &'pdsctl;repo;help;help'= {
        }
        &'pdsctl;blob'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand export 'Download every blob of an account into a directory, one file per CID'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;blob;export'= {
            cand -o 'The directory to write (created if missing)'
            cand --output 'The directory to write (created if missing)'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pdsctl;blob;help'= {
            cand export 'Download every blob of an account into a directory, one file per CID'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;blob;help;export'= {
        }
        &'pdsctl;blob;help;help'= {
        }
        &'pdsctl;completions'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;version'= {
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;generate'= {
            cand --root 'The repository root to write completions/ and man/ under'
            cand --socket 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]'
            cand --color 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off'
            cand --json 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
            cand -v 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand --verbose 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins'
            cand -y 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand --yes 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;help'= {
            cand server 'Show the server''s status'
            cand account 'Create, list, change and delete accounts, one at a time or in bulk'
            cand invite 'Create, list and disable invite codes'
            cand key 'Generate signing and rotation keys (offline)'
            cand repo 'Export, import and inspect repositories as CAR files'
            cand blob 'Export an account''s blobs'
            cand completions 'Print a shell completion script to stdout'
            cand version 'Print the pdsctl version'
            cand generate 'Write the committed completions/ and man/ files (for maintainers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;help;server'= {
            cand status 'Show pdsd''s version, uptime, accounts, storage and firehose'
        }
        &'pdsctl;help;server;status'= {
        }
        &'pdsctl;help;account'= {
            cand create 'Create an account (no invite code needed)'
            cand list 'List accounts, oldest first'
            cand show 'Show one account and its repository'
            cand update-handle 'Change an account''s handle'
            cand update-email 'Change an account''s email address'
            cand reset-password 'Reset an account''s password (signs it out everywhere for generate and set)'
            cand deactivate 'Deactivate an account: its repository is not served until it is activated'
            cand activate 'Activate a deactivated account'
            cand delete 'Delete an account now: repository, blobs and sessions. This cannot be undone'
            cand provision 'Create accounts in bulk from a CSV or JSON Lines file, idempotently'
        }
        &'pdsctl;help;account;create'= {
        }
        &'pdsctl;help;account;list'= {
        }
        &'pdsctl;help;account;show'= {
        }
        &'pdsctl;help;account;update-handle'= {
        }
        &'pdsctl;help;account;update-email'= {
        }
        &'pdsctl;help;account;reset-password'= {
        }
        &'pdsctl;help;account;deactivate'= {
        }
        &'pdsctl;help;account;activate'= {
        }
        &'pdsctl;help;account;delete'= {
        }
        &'pdsctl;help;account;provision'= {
        }
        &'pdsctl;help;invite'= {
            cand create 'Create invite codes, for the operator or for accounts'
            cand list 'List invite codes'
            cand disable 'Disable invite codes, by code or by the account they were made for'
        }
        &'pdsctl;help;invite;create'= {
        }
        &'pdsctl;help;invite;list'= {
        }
        &'pdsctl;help;invite;disable'= {
        }
        &'pdsctl;help;key'= {
            cand generate 'Generate a new key pair, offline'
        }
        &'pdsctl;help;key;generate'= {
        }
        &'pdsctl;help;repo'= {
            cand export 'Export an account''s repository to a CAR file and verify it'
            cand import 'Replace an account''s repository with a CAR file (its blobs are not included)'
            cand inspect 'Inspect a repository CAR file offline: commit, DID, rev, records per collection'
        }
        &'pdsctl;help;repo;export'= {
        }
        &'pdsctl;help;repo;import'= {
        }
        &'pdsctl;help;repo;inspect'= {
        }
        &'pdsctl;help;blob'= {
            cand export 'Download every blob of an account into a directory, one file per CID'
        }
        &'pdsctl;help;blob;export'= {
        }
        &'pdsctl;help;completions'= {
        }
        &'pdsctl;help;version'= {
        }
        &'pdsctl;help;generate'= {
        }
        &'pdsctl;help;help'= {
        }
    ]
    $completions[$command]
}
