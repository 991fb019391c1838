#compdef kafka-server-start.sh

autoload -U is-at-least

_kafka-server-start.sh() {
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
'*--override=[Set a key over the file'\''s value (repeatable), e.g. --override broker.id=2]:KEY=VALUE:_default' \
'--daemon[Run in the background; console output goes to \$LOG_DIR/kafkaServer.out (LOG_DIR defaults to logs/)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':config -- The broker'\''s configuration file, e.g. config/server.properties:_files' \
&& ret=0
}

(( $+functions[_kafka-server-start.sh_commands] )) ||
_kafka-server-start.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-server-start.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-server-start.sh" ]; then
    _kafka-server-start.sh "$@"
else
    compdef _kafka-server-start.sh kafka-server-start.sh
fi
