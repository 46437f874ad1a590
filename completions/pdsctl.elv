
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
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand version 'Print the pdsctl version'
            cand completions 'Print a shell completion script to stdout'
            cand generate 'Write the committed completions/ and man/ files (for maintainers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;version'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;completions'= {
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;generate'= {
            cand --root 'The repository root to write completions/ and man/ under'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'pdsctl;help'= {
            cand version 'Print the pdsctl version'
            cand completions 'Print a shell completion script to stdout'
            cand generate 'Write the committed completions/ and man/ files (for maintainers)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pdsctl;help;version'= {
        }
        &'pdsctl;help;completions'= {
        }
        &'pdsctl;help;generate'= {
        }
        &'pdsctl;help;help'= {
        }
    ]
    $completions[$command]
}
