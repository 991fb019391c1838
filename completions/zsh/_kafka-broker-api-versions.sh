#compdef kafka-broker-api-versions.sh

autoload -U is-at-least

_kafka-broker-api-versions.sh() {
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
'--bootstrap-server=[Brokers to bootstrap from (commas or spaces between entries)]:HOST:PORT[,...]:_default' \
'--command-config=[Client properties file (request.timeout.ms, client.id, ...)]:FILE:_files' \
'--output=[text (Kafka'\''s format) or json (rkafka'\''s addition)]:FORMAT:(text json)' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_kafka-broker-api-versions.sh_commands] )) ||
_kafka-broker-api-versions.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-broker-api-versions.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-broker-api-versions.sh" ]; then
    _kafka-broker-api-versions.sh "$@"
else
    compdef _kafka-broker-api-versions.sh kafka-broker-api-versions.sh
fi
