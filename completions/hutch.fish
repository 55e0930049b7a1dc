# fish completion for hutch. Enable with:  hutch completion fish | source
# or save as ~/.config/fish/completions/hutch.fish.
# The candidates come from `hutch __complete -- WORD...` (the words after
# `hutch`, the last one being typed), one per line, a tab before any description.

function __hutch_complete
    set -l words (commandline -opc)
    set -e words[1]
    hutch __complete -- $words (commandline -ct) 2>/dev/null
end

complete -c hutch -f -a '(__hutch_complete)'
