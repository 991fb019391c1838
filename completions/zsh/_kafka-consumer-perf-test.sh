#compdef kafka-consumer-perf-test.sh

autoload -U is-at-least

_kafka-consumer-perf-test.sh() {
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
'--bootstrap-server=[REQUIRED\: the server(s) to connect to]:HOST:PORT[,...]:_default' \
'--topic=[The topic to consume from (all its partitions are assigned)]:TOPIC:_default' \
'--messages=[REQUIRED\: the number of records to consume]:COUNT:_default' \
'--fetch-size=[The amount of data to fetch per partition in a single request]:SIZE:_default' \
'--timeout=[The maximum allowed time in milliseconds between returned records]:MS:_default' \
'--reporting-interval=[Interval in milliseconds at which to print progress info]:MS:_default' \
'--consumer.config=[Consumer config properties file]:FILE:_files' \
'--show-detailed-stats[Report stats for each reporting interval]' \
'--hide-header[Skip printing the header for the stats]' \
'--from-latest[Start with the latest record rather than the earliest]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_kafka-consumer-perf-test.sh_commands] )) ||
_kafka-consumer-perf-test.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-consumer-perf-test.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-consumer-perf-test.sh" ]; then
    _kafka-consumer-perf-test.sh "$@"
else
    compdef _kafka-consumer-perf-test.sh kafka-consumer-perf-test.sh
fi
