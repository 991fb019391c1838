#compdef kafka-console-consumer.sh

autoload -U is-at-least

_kafka-console-consumer.sh() {
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
'--topic=[The topic to consume]:TOPIC:_default' \
'--include=[Regular expression of the topics to consume (whole names; internal topics excluded)]:REGEX:_default' \
'--partition=[The partition to consume; consumption starts at the end unless --from-beginning or --offset]:PARTITION:_default' \
'--group=[The consumer group id of the consumer (default\: a new console-consumer-<random> group)]:GROUP:_default' \
'--offset=[earliest, latest, or a non-negative offset to start at (needs --partition)]:OFFSET:_default' \
'--max-messages=[Exit after this many records (default\: keep consuming)]:NUM:_default' \
'--timeout-ms=[Exit when no record arrived for this long]:MS:_default' \
'*--property=[Formatter property\: print.timestamp, print.partition, print.offset, print.headers, print.key, print.value, key.separator, line.separator, headers.separator, null.literal]:KEY=VALUE:_default' \
'--formatter=[kafka.tools.DefaultMessageFormatter (Kafka'\''s format) or json-lines (one JSON object per record)]:NAME:_default' \
'*--consumer-property=[Consumer setting (fetch.min.bytes, auto.offset.reset, ...)]:KEY=VALUE:_default' \
'--consumer.config=[Consumer properties file]:FILE:_files' \
'--isolation-level=[read_committed hides records of open and aborted transactions; read_uncommitted (default) shows all]:LEVEL:_default' \
'--from-beginning[Start with the earliest record rather than the latest]' \
'--skip-message-on-error[Skip records that cannot be read instead of stopping]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_kafka-console-consumer.sh_commands] )) ||
_kafka-console-consumer.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-console-consumer.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-console-consumer.sh" ]; then
    _kafka-console-consumer.sh "$@"
else
    compdef _kafka-console-consumer.sh kafka-console-consumer.sh
fi
