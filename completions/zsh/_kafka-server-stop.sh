#compdef kafka-server-stop.sh

autoload -U is-at-least

_kafka-server-stop.sh() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_kafka-server-stop.sh_commands] )) ||
_kafka-server-stop.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-server-stop.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-server-stop.sh" ]; then
    _kafka-server-stop.sh "$@"
else
    compdef _kafka-server-stop.sh kafka-server-stop.sh
fi
