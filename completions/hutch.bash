# bash completion for hutch. Enable with:  source <(hutch completion bash)
# or install as /usr/share/bash-completion/completions/hutch.
# The candidates come from `hutch __complete -- WORD...` (the words after
# `hutch`, the last one being typed), one per line, a tab before any description.

# Rebuilds the words before the cursor, joining what bash split at ':' and '='
# (COMP_WORDBREAKS) back into one, as bash-completion's `_get_comp_words_by_ref
# -n =:` does: `-v /src:/dst` and `--security-opt=seccomp=x` are single words to hutch.
__hutch_words() {
    local line=${COMP_LINE:0:COMP_POINT} word trimmed spaced i last
    __hutch_line_words=()
    for ((i = 0; i <= COMP_CWORD; i++)); do
        trimmed=${line#"${line%%[![:space:]]*}"}
        spaced=$(( ${#trimmed} != ${#line} ))
        line=$trimmed
        if ((i == COMP_CWORD)); then
            word=$line
        else
            word=${COMP_WORDS[i]}
        fi
        line=${line#"$word"}
        last=$(( ${#__hutch_line_words[@]} - 1 ))
        if ((i > 0 && !spaced)) && [[ ( -n $word && -z ${word//[:=]/} ) || ${__hutch_line_words[last]} == *[:=] ]]; then
            __hutch_line_words[last]+=$word
        else
            __hutch_line_words+=("$word")
        fi
    done
}

_hutch() {
    local IFS=$'\n' cur prefix="" breaks="" value line
    local -a __hutch_line_words
    __hutch_words
    cur=${__hutch_line_words[${#__hutch_line_words[@]} - 1]}
    # bash replaces only the text after the last word-break character.
    [[ $COMP_WORDBREAKS == *:* ]] && breaks+=:
    [[ $COMP_WORDBREAKS == *=* ]] && breaks+==
    [[ -n $breaks && $cur == *[$breaks]* ]] && prefix=${cur%"${cur##*[$breaks]}"}
    COMPREPLY=()
    while IFS= read -r line; do
        value=${line%%$'\t'*}
        [[ -n $prefix && $value == "$prefix"* ]] && value=${value#"$prefix"}
        [[ $value == *[/=] ]] && compopt -o nospace 2>/dev/null
        [[ $value == *[!A-Za-z0-9_./:=@,+%~-]* ]] && printf -v value %q "$value"
        COMPREPLY+=("$value")
    done < <(hutch __complete -- "${__hutch_line_words[@]:1}" 2>/dev/null)
}

complete -F _hutch hutch
