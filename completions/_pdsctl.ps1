
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'pdsctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'pdsctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'pdsctl' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('server', 'server', [CompletionResultType]::ParameterValue, 'Show the server''s status')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Create, list, change and delete accounts, one at a time or in bulk')
            [CompletionResult]::new('invite', 'invite', [CompletionResultType]::ParameterValue, 'Create, list and disable invite codes')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Generate signing and rotation keys (offline)')
            [CompletionResult]::new('repo', 'repo', [CompletionResultType]::ParameterValue, 'Export, import and inspect repositories as CAR files')
            [CompletionResult]::new('blob', 'blob', [CompletionResultType]::ParameterValue, 'Export an account''s blobs')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the pdsctl version')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write the committed completions/ and man/ files (for maintainers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;server' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show pdsd''s version, uptime, accounts, storage and firehose')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;server;status' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;server;help' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show pdsd''s version, uptime, accounts, storage and firehose')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;server;help;status' {
            break
        }
        'pdsctl;server;help;help' {
            break
        }
        'pdsctl;account' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account (no invite code needed)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List accounts, oldest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one account and its repository')
            [CompletionResult]::new('update-handle', 'update-handle', [CompletionResultType]::ParameterValue, 'Change an account''s handle')
            [CompletionResult]::new('update-email', 'update-email', [CompletionResultType]::ParameterValue, 'Change an account''s email address')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Reset an account''s password (signs it out everywhere for generate and set)')
            [CompletionResult]::new('deactivate', 'deactivate', [CompletionResultType]::ParameterValue, 'Deactivate an account: its repository is not served until it is activated')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Activate a deactivated account')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an account now: repository, blobs and sessions. This cannot be undone')
            [CompletionResult]::new('provision', 'provision', [CompletionResultType]::ParameterValue, 'Create accounts in bulk from a CSV or JSON Lines file, idempotently')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;account;create' {
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'The account''s email address')
            [CompletionResult]::new('--external-id', '--external-id', [CompletionResultType]::ParameterName, 'A key from your own system; creating again with it returns the existing account')
            [CompletionResult]::new('--recovery-key', '--recovery-key', [CompletionResultType]::ParameterName, 'A did:key made the highest-priority rotation key of the new identity')
            [CompletionResult]::new('--secrets-out', '--secrets-out', [CompletionResultType]::ParameterName, 'Append the generated password to this file (mode 0600) instead of printing it')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password from the first line of stdin instead of generating one')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pdsctl;account;list' {
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Only accounts whose handle, email or DID contains this text')
            [CompletionResult]::new('--query', '--query', [CompletionResultType]::ParameterName, 'Only accounts whose handle, email or DID contains this text')
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Only accounts with this status')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most this many accounts (default: all)')
            [CompletionResult]::new('--cursor', '--cursor', [CompletionResultType]::ParameterName, 'Start after this cursor (from a previous --limit''ed listing)')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;account;show' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;account;update-handle' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;account;update-email' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--confirmed', '--confirmed', [CompletionResultType]::ParameterName, 'Mark the new address as confirmed (you vouch for it)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;account;reset-password' {
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'How to reset [default: set with --password-stdin, else generate]')
            [CompletionResult]::new('--secrets-out', '--secrets-out', [CompletionResultType]::ParameterName, 'Append the generated password or reset code to this file (mode 0600) instead of printing it')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the new password from the first line of stdin (implies --method set)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pdsctl;account;deactivate' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;account;activate' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;account;delete' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;account;provision' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'The input file ("-" for stdin)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The input format')
            [CompletionResult]::new('--credentials', '--credentials', [CompletionResultType]::ParameterName, 'What each new account gets')
            [CompletionResult]::new('--secrets-out', '--secrets-out', [CompletionResultType]::ParameterName, 'Append external_id,did,handle,kind,secret rows for new accounts to this file (mode 0600)')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Accounts created at once')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--show-secrets', '--show-secrets', [CompletionResultType]::ParameterName, 'Also print the secrets in the report on stdout')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pdsctl;account;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account (no invite code needed)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List accounts, oldest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one account and its repository')
            [CompletionResult]::new('update-handle', 'update-handle', [CompletionResultType]::ParameterValue, 'Change an account''s handle')
            [CompletionResult]::new('update-email', 'update-email', [CompletionResultType]::ParameterValue, 'Change an account''s email address')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Reset an account''s password (signs it out everywhere for generate and set)')
            [CompletionResult]::new('deactivate', 'deactivate', [CompletionResultType]::ParameterValue, 'Deactivate an account: its repository is not served until it is activated')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Activate a deactivated account')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an account now: repository, blobs and sessions. This cannot be undone')
            [CompletionResult]::new('provision', 'provision', [CompletionResultType]::ParameterValue, 'Create accounts in bulk from a CSV or JSON Lines file, idempotently')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;account;help;create' {
            break
        }
        'pdsctl;account;help;list' {
            break
        }
        'pdsctl;account;help;show' {
            break
        }
        'pdsctl;account;help;update-handle' {
            break
        }
        'pdsctl;account;help;update-email' {
            break
        }
        'pdsctl;account;help;reset-password' {
            break
        }
        'pdsctl;account;help;deactivate' {
            break
        }
        'pdsctl;account;help;activate' {
            break
        }
        'pdsctl;account;help;delete' {
            break
        }
        'pdsctl;account;help;provision' {
            break
        }
        'pdsctl;account;help;help' {
            break
        }
        'pdsctl;invite' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create invite codes, for the operator or for accounts')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List invite codes')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable invite codes, by code or by the account they were made for')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;invite;create' {
            [CompletionResult]::new('--uses', '--uses', [CompletionResultType]::ParameterName, 'Uses per code')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Codes to make (per account with --for)')
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Make the codes for this account (DID, handle, email or external:<id>); repeatable')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;invite;list' {
            [CompletionResult]::new('--for', '--for', [CompletionResultType]::ParameterName, 'Only codes made for this account (or "admin")')
            [CompletionResult]::new('--sort', '--sort', [CompletionResultType]::ParameterName, 'Order of the listing')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Show at most this many codes (default: all)')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--available', '--available', [CompletionResultType]::ParameterName, 'Only codes that can still be used')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;invite;disable' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Disable every code made for this account (or "admin"); repeatable')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;invite;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create invite codes, for the operator or for accounts')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List invite codes')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable invite codes, by code or by the account they were made for')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;invite;help;create' {
            break
        }
        'pdsctl;invite;help;list' {
            break
        }
        'pdsctl;invite;help;disable' {
            break
        }
        'pdsctl;invite;help;help' {
            break
        }
        'pdsctl;key' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Generate a new key pair, offline')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;key;generate' {
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'The curve')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Print only this form')
            [CompletionResult]::new('--private-key-out', '--private-key-out', [CompletionResultType]::ParameterName, 'Write the private key (hex) to this new file, mode 0600')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pdsctl;key;help' {
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Generate a new key pair, offline')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;key;help;generate' {
            break
        }
        'pdsctl;key;help;help' {
            break
        }
        'pdsctl;repo' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export an account''s repository to a CAR file and verify it')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Replace an account''s repository with a CAR file (its blobs are not included)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Inspect a repository CAR file offline: commit, DID, rev, records per collection')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;repo;export' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The CAR file to write')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The CAR file to write')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Also verify the commit signature against this did:key')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace the output file if it exists')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pdsctl;repo;import' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why, for the audit log')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;repo;inspect' {
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'Verify the commit signature against this did:key')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pdsctl;repo;help' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export an account''s repository to a CAR file and verify it')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Replace an account''s repository with a CAR file (its blobs are not included)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Inspect a repository CAR file offline: commit, DID, rev, records per collection')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;repo;help;export' {
            break
        }
        'pdsctl;repo;help;import' {
            break
        }
        'pdsctl;repo;help;inspect' {
            break
        }
        'pdsctl;repo;help;help' {
            break
        }
        'pdsctl;blob' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Download every blob of an account into a directory, one file per CID')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;blob;export' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'The directory to write (created if missing)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'The directory to write (created if missing)')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pdsctl;blob;help' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Download every blob of an account into a directory, one file per CID')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;blob;help;export' {
            break
        }
        'pdsctl;blob;help;help' {
            break
        }
        'pdsctl;completions' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;version' {
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;generate' {
            [CompletionResult]::new('--root', '--root', [CompletionResultType]::ParameterName, 'The repository root to write completions/ and man/ under')
            [CompletionResult]::new('--socket', '--socket', [CompletionResultType]::ParameterName, 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more to stderr (-v info and the daemon''s error names, -vv debug); RUST_LOG wins')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'pdsctl;help' {
            [CompletionResult]::new('server', 'server', [CompletionResultType]::ParameterValue, 'Show the server''s status')
            [CompletionResult]::new('account', 'account', [CompletionResultType]::ParameterValue, 'Create, list, change and delete accounts, one at a time or in bulk')
            [CompletionResult]::new('invite', 'invite', [CompletionResultType]::ParameterValue, 'Create, list and disable invite codes')
            [CompletionResult]::new('key', 'key', [CompletionResultType]::ParameterValue, 'Generate signing and rotation keys (offline)')
            [CompletionResult]::new('repo', 'repo', [CompletionResultType]::ParameterValue, 'Export, import and inspect repositories as CAR files')
            [CompletionResult]::new('blob', 'blob', [CompletionResultType]::ParameterValue, 'Export an account''s blobs')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the pdsctl version')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Write the committed completions/ and man/ files (for maintainers)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pdsctl;help;server' {
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show pdsd''s version, uptime, accounts, storage and firehose')
            break
        }
        'pdsctl;help;server;status' {
            break
        }
        'pdsctl;help;account' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an account (no invite code needed)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List accounts, oldest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one account and its repository')
            [CompletionResult]::new('update-handle', 'update-handle', [CompletionResultType]::ParameterValue, 'Change an account''s handle')
            [CompletionResult]::new('update-email', 'update-email', [CompletionResultType]::ParameterValue, 'Change an account''s email address')
            [CompletionResult]::new('reset-password', 'reset-password', [CompletionResultType]::ParameterValue, 'Reset an account''s password (signs it out everywhere for generate and set)')
            [CompletionResult]::new('deactivate', 'deactivate', [CompletionResultType]::ParameterValue, 'Deactivate an account: its repository is not served until it is activated')
            [CompletionResult]::new('activate', 'activate', [CompletionResultType]::ParameterValue, 'Activate a deactivated account')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete an account now: repository, blobs and sessions. This cannot be undone')
            [CompletionResult]::new('provision', 'provision', [CompletionResultType]::ParameterValue, 'Create accounts in bulk from a CSV or JSON Lines file, idempotently')
            break
        }
        'pdsctl;help;account;create' {
            break
        }
        'pdsctl;help;account;list' {
            break
        }
        'pdsctl;help;account;show' {
            break
        }
        'pdsctl;help;account;update-handle' {
            break
        }
        'pdsctl;help;account;update-email' {
            break
        }
        'pdsctl;help;account;reset-password' {
            break
        }
        'pdsctl;help;account;deactivate' {
            break
        }
        'pdsctl;help;account;activate' {
            break
        }
        'pdsctl;help;account;delete' {
            break
        }
        'pdsctl;help;account;provision' {
            break
        }
        'pdsctl;help;invite' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create invite codes, for the operator or for accounts')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List invite codes')
            [CompletionResult]::new('disable', 'disable', [CompletionResultType]::ParameterValue, 'Disable invite codes, by code or by the account they were made for')
            break
        }
        'pdsctl;help;invite;create' {
            break
        }
        'pdsctl;help;invite;list' {
            break
        }
        'pdsctl;help;invite;disable' {
            break
        }
        'pdsctl;help;key' {
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Generate a new key pair, offline')
            break
        }
        'pdsctl;help;key;generate' {
            break
        }
        'pdsctl;help;repo' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Export an account''s repository to a CAR file and verify it')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Replace an account''s repository with a CAR file (its blobs are not included)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Inspect a repository CAR file offline: commit, DID, rev, records per collection')
            break
        }
        'pdsctl;help;repo;export' {
            break
        }
        'pdsctl;help;repo;import' {
            break
        }
        'pdsctl;help;repo;inspect' {
            break
        }
        'pdsctl;help;blob' {
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Download every blob of an account into a directory, one file per CID')
            break
        }
        'pdsctl;help;blob;export' {
            break
        }
        'pdsctl;help;completions' {
            break
        }
        'pdsctl;help;version' {
            break
        }
        'pdsctl;help;generate' {
            break
        }
        'pdsctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
