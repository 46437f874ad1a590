# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pdsctl_global_optspecs
    string join \n socket= json color= v/verbose y/yes h/help V/version
end

function __fish_pdsctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pdsctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pdsctl_using_subcommand
    set -l cmd (__fish_pdsctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pdsctl -n "__fish_pdsctl_needs_command" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_needs_command" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_needs_command" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -s V -l version -d 'Print version'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "server" -d 'Show the server\'s status'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "account" -d 'Create, list, change and delete accounts, one at a time or in bulk'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "invite" -d 'Create, list and disable invite codes'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "key" -d 'Generate signing and rotation keys (offline)'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "repo" -d 'Export, import and inspect repositories as CAR files'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "blob" -d 'Export an account\'s blobs'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "version" -d 'Print the pdsctl version'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "generate" -d 'Write the committed completions/ and man/ files (for maintainers)'
complete -c pdsctl -n "__fish_pdsctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and not __fish_seen_subcommand_from status help" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and not __fish_seen_subcommand_from status help" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and not __fish_seen_subcommand_from status help" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and not __fish_seen_subcommand_from status help" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and not __fish_seen_subcommand_from status help" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and not __fish_seen_subcommand_from status help" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and not __fish_seen_subcommand_from status help" -f -a "status" -d 'Show pdsd\'s version, uptime, accounts, storage and firehose'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and not __fish_seen_subcommand_from status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and __fish_seen_subcommand_from status" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and __fish_seen_subcommand_from status" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and __fish_seen_subcommand_from status" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and __fish_seen_subcommand_from status" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "status" -d 'Show pdsd\'s version, uptime, accounts, storage and firehose'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand server; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "create" -d 'Create an account (no invite code needed)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "list" -d 'List accounts, oldest first'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "show" -d 'Show one account and its repository'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "update-handle" -d 'Change an account\'s handle'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "update-email" -d 'Change an account\'s email address'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "reset-password" -d 'Reset an account\'s password (signs it out everywhere for generate and set)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "deactivate" -d 'Deactivate an account: its repository is not served until it is activated'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "activate" -d 'Activate a deactivated account'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "delete" -d 'Delete an account now: repository, blobs and sessions. This cannot be undone'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "provision" -d 'Create accounts in bulk from a CSV or JSON Lines file, idempotently'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and not __fish_seen_subcommand_from create list show update-handle update-email reset-password deactivate activate delete provision help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -l email -d 'The account\'s email address' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -l external-id -d 'A key from your own system; creating again with it returns the existing account' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -l recovery-key -d 'A did:key made the highest-priority rotation key of the new identity' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -l secrets-out -d 'Append the generated password to this file (mode 0600) instead of printing it' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -l password-stdin -d 'Read the password from the first line of stdin instead of generating one'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -s q -l query -d 'Only accounts whose handle, email or DID contains this text' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -l status -d 'Only accounts with this status' -r -f -a "active\t''
deactivated\t''
takendown\t''
deleted\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -l limit -d 'Show at most this many accounts (default: all)' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -l cursor -d 'Start after this cursor (from a previous --limit\'ed listing)' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from show" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from show" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from show" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from show" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-handle" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-handle" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-handle" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-handle" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-handle" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-handle" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-handle" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-email" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-email" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-email" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-email" -l confirmed -d 'Mark the new address as confirmed (you vouch for it)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-email" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-email" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-email" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from update-email" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -l method -d 'How to reset [default: set with --password-stdin, else generate]' -r -f -a "generate\t'Generate a random password and show it once'
set\t'Set the password read from stdin or a prompt'
email\t'Email the user a reset code (needs a configured mailer)'
token\t'Issue a reset code for the operator to hand over'"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -l secrets-out -d 'Append the generated password or reset code to this file (mode 0600) instead of printing it' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -l password-stdin -d 'Read the new password from the first line of stdin (implies --method set)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from reset-password" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from deactivate" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from deactivate" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from deactivate" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from deactivate" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from deactivate" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from deactivate" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from deactivate" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from activate" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from activate" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from activate" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from activate" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from activate" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from activate" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from activate" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from delete" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from delete" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from delete" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from delete" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from delete" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from delete" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l from -d 'The input file ("-" for stdin)' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l format -d 'The input format' -r -f -a "auto\t'From the file name: .csv is CSV, .jsonl/.ndjson/.json is JSON Lines; otherwise sniffed'
csv\t'CSV with a header row naming the columns'
jsonl\t'One JSON object per line'"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l credentials -d 'What each new account gets' -r -f -a "password\t'A generated password, written to --secrets-out'
reset-token\t'A password reset code (the user picks a password with it), written to --secrets-out'
email\t'A reset code emailed to the user by pdsd (needs a mailer and an email column); nothing is written'"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l secrets-out -d 'Append external_id,did,handle,kind,secret rows for new accounts to this file (mode 0600)' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l jobs -d 'Accounts created at once' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l show-secrets -d 'Also print the secrets in the report on stdout'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from provision" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create an account (no invite code needed)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "list" -d 'List accounts, oldest first'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show one account and its repository'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "update-handle" -d 'Change an account\'s handle'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "update-email" -d 'Change an account\'s email address'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "reset-password" -d 'Reset an account\'s password (signs it out everywhere for generate and set)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "deactivate" -d 'Deactivate an account: its repository is not served until it is activated'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "activate" -d 'Activate a deactivated account'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete an account now: repository, blobs and sessions. This cannot be undone'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "provision" -d 'Create accounts in bulk from a CSV or JSON Lines file, idempotently'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand account; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -f -a "create" -d 'Create invite codes, for the operator or for accounts'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -f -a "list" -d 'List invite codes'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -f -a "disable" -d 'Disable invite codes, by code or by the account they were made for'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and not __fish_seen_subcommand_from create list disable help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -l uses -d 'Uses per code' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -l count -d 'Codes to make (per account with --for)' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -l for -d 'Make the codes for this account (DID, handle, email or external:<id>); repeatable' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -l for -d 'Only codes made for this account (or "admin")' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -l sort -d 'Order of the listing' -r -f -a "recent\t''
usage\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -l limit -d 'Show at most this many codes (default: all)' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -l available -d 'Only codes that can still be used'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from disable" -l account -d 'Disable every code made for this account (or "admin"); repeatable' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from disable" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from disable" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from disable" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from disable" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from disable" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from disable" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from help" -f -a "create" -d 'Create invite codes, for the operator or for accounts'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from help" -f -a "list" -d 'List invite codes'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Disable invite codes, by code or by the account they were made for'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand invite; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and not __fish_seen_subcommand_from generate help" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and not __fish_seen_subcommand_from generate help" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and not __fish_seen_subcommand_from generate help" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and not __fish_seen_subcommand_from generate help" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and not __fish_seen_subcommand_from generate help" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and not __fish_seen_subcommand_from generate help" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and not __fish_seen_subcommand_from generate help" -f -a "generate" -d 'Generate a new key pair, offline'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and not __fish_seen_subcommand_from generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l type -d 'The curve' -r -f -a "k256\t'secp256k1 (ES256K), what PLC rotation and repository signing keys use'
p256\t'NIST P-256 (ES256)'"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l format -d 'Print only this form' -r -f -a "hex\t'The private key as 64 hex digits (PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX)'
multibase\t'The private key as multibase (what goat and the reference tools print)'
did-key\t'The public key as a did:key (needs --private-key-out, or the private key is lost)'
json\t'Everything as one JSON object'"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l private-key-out -d 'Write the private key (hex) to this new file, mode 0600' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from generate" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from generate" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from generate" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from generate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "generate" -d 'Generate a new key pair, offline'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -f -a "export" -d 'Export an account\'s repository to a CAR file and verify it'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -f -a "import" -d 'Replace an account\'s repository with a CAR file (its blobs are not included)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -f -a "inspect" -d 'Inspect a repository CAR file offline: commit, DID, rev, records per collection'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and not __fish_seen_subcommand_from export import inspect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from export" -s o -l output -d 'The CAR file to write' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from export" -l key -d 'Also verify the commit signature against this did:key' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from export" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from export" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from export" -l force -d 'Replace the output file if it exists'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from export" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from export" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from import" -l reason -d 'Why, for the audit log' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from import" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from import" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from import" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from import" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from import" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from inspect" -l key -d 'Verify the commit signature against this did:key' -r
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from inspect" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from inspect" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from inspect" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from inspect" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from inspect" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "export" -d 'Export an account\'s repository to a CAR file and verify it'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "import" -d 'Replace an account\'s repository with a CAR file (its blobs are not included)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Inspect a repository CAR file offline: commit, DID, rev, records per collection'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand repo; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and not __fish_seen_subcommand_from export help" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and not __fish_seen_subcommand_from export help" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and not __fish_seen_subcommand_from export help" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and not __fish_seen_subcommand_from export help" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and not __fish_seen_subcommand_from export help" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and not __fish_seen_subcommand_from export help" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and not __fish_seen_subcommand_from export help" -f -a "export" -d 'Download every blob of an account into a directory, one file per CID'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and not __fish_seen_subcommand_from export help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and __fish_seen_subcommand_from export" -s o -l output -d 'The directory to write (created if missing)' -r -f -a "(__fish_complete_directories)"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and __fish_seen_subcommand_from export" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and __fish_seen_subcommand_from export" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and __fish_seen_subcommand_from export" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and __fish_seen_subcommand_from export" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and __fish_seen_subcommand_from export" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and __fish_seen_subcommand_from help" -f -a "export" -d 'Download every blob of an account into a directory, one file per CID'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand blob; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand completions" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand completions" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand completions" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand completions" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand completions" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand completions" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand version" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand version" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand version" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand version" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand version" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand version" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand generate" -l root -d 'The repository root to write completions/ and man/ under' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand generate" -l socket -d 'The admin socket of pdsd [default: $PDS_ADMIN_SOCKET, else $PDS_DATA_DIRECTORY/admin.sock, else ./data/admin.sock]' -r -F
complete -c pdsctl -n "__fish_pdsctl_using_subcommand generate" -l color -d 'When to use colour; auto means stdout is a terminal, NO_COLOR is unset or empty, TERM is not dumb and --json is off' -r -f -a "auto\t''
always\t''
never\t''"
complete -c pdsctl -n "__fish_pdsctl_using_subcommand generate" -l json -d 'Print JSON on stdout instead of a table (JSON Lines for per-row commands)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand generate" -s v -l verbose -d 'Log more to stderr (-v info and the daemon\'s error names, -vv debug); RUST_LOG wins'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand generate" -s y -l yes -d 'Do not ask before destructive changes (needed for them when stdin or stderr is not a terminal)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand generate" -s h -l help -d 'Print help'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "server" -d 'Show the server\'s status'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "account" -d 'Create, list, change and delete accounts, one at a time or in bulk'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "invite" -d 'Create, list and disable invite codes'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "key" -d 'Generate signing and rotation keys (offline)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "repo" -d 'Export, import and inspect repositories as CAR files'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "blob" -d 'Export an account\'s blobs'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "version" -d 'Print the pdsctl version'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "generate" -d 'Write the committed completions/ and man/ files (for maintainers)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and not __fish_seen_subcommand_from server account invite key repo blob completions version generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from server" -f -a "status" -d 'Show pdsd\'s version, uptime, accounts, storage and firehose'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "create" -d 'Create an account (no invite code needed)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "list" -d 'List accounts, oldest first'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "show" -d 'Show one account and its repository'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "update-handle" -d 'Change an account\'s handle'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "update-email" -d 'Change an account\'s email address'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "reset-password" -d 'Reset an account\'s password (signs it out everywhere for generate and set)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "deactivate" -d 'Deactivate an account: its repository is not served until it is activated'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "activate" -d 'Activate a deactivated account'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "delete" -d 'Delete an account now: repository, blobs and sessions. This cannot be undone'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from account" -f -a "provision" -d 'Create accounts in bulk from a CSV or JSON Lines file, idempotently'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from invite" -f -a "create" -d 'Create invite codes, for the operator or for accounts'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from invite" -f -a "list" -d 'List invite codes'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from invite" -f -a "disable" -d 'Disable invite codes, by code or by the account they were made for'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "generate" -d 'Generate a new key pair, offline'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from repo" -f -a "export" -d 'Export an account\'s repository to a CAR file and verify it'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from repo" -f -a "import" -d 'Replace an account\'s repository with a CAR file (its blobs are not included)'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from repo" -f -a "inspect" -d 'Inspect a repository CAR file offline: commit, DID, rev, records per collection'
complete -c pdsctl -n "__fish_pdsctl_using_subcommand help; and __fish_seen_subcommand_from blob" -f -a "export" -d 'Download every blob of an account into a directory, one file per CID'
