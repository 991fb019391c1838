#compdef kafka-producer-perf-test.sh

autoload -U is-at-least

_kafka-producer-perf-test.sh() {
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
'--bootstrap-server=[The server(s) to connect to; takes precedence over bootstrap.servers in the properties]:HOST:PORT[,...]:_default' \
'--topic=[Produce records to this topic]:TOPIC:_default' \
'--num-records=[Number of records to produce]:N:_default' \
'--payload-delimiter=[Delimiter of the payloads in --payload-file]:DELIMITER:_default' \
'--throughput=[Throttle to approximately this many records/s; -1 disables throttling]:RECORDS/S:_default' \
'*--producer-props=[Producer properties; they take precedence over --producer.config]:KEY=VALUE:_default' \
'--producer.config=[Producer config properties file]:FILE:_files' \
'--reporting-interval=[Interval of the progress lines, in ms]:MS:_default' \
'--record-size=[Record size in bytes]:BYTES:_default' \
'--payload-file=[File of UTF-8 payloads, one picked at random per record]:FILE:_files' \
'--payload-monotonic[Payload is a monotonically increasing integer]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_kafka-producer-perf-test.sh_commands] )) ||
_kafka-producer-perf-test.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-producer-perf-test.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-producer-perf-test.sh" ]; then
    _kafka-producer-perf-test.sh "$@"
else
    compdef _kafka-producer-perf-test.sh kafka-producer-perf-test.sh
fi
