#compdef kafka-dump-log.sh

autoload -U is-at-least

_kafka-dump-log.sh() {
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
'*--files=[REQUIRED\: the comma separated list of data and index log files to be dumped]:file1,file2,...:_default' \
'--max-message-size=[Size of the largest message, in bytes (bounds the batch read to verify an index entry)]:size:_default' \
'--max-bytes=[Read at most this many bytes of each .log file, instead of the whole file]:size:_default' \
'--key-decoder-class=[Decoder for record keys; implies --print-data-log. One of\: string (the default), bytes (hex), integer, long, or Kafka'\''s class names for them (org.apache.kafka.tools.api.StringDecoder, kafka.serializer.StringDecoder, ...)]::decoder:_default' \
'--value-decoder-class=[Decoder for record values; implies --print-data-log. Same choices as --key-decoder-class]::decoder:_default' \
'--output=[Output format\: Kafka'\''s text lines, or one JSON object per line]:format:((text\:"Kafka'\''s text lines"
json\:"One JSON object per line, with a \`type\` field"))' \
'--print-data-log[Print the messages'\'' content when dumping data logs; implies --deep-iteration. Set automatically if a decoder option is given]' \
'--deep-iteration[Print every record, not only the batches. Set automatically by --print-data-log]' \
'--verify-index-only[Only verify index files against their logs, without printing their entries]' \
'--index-sanity-check[Only run the index sanity check (the one a broker runs on start to decide whether to rebuild an index), without printing entries]' \
'--skip-record-metadata[Do not print each record'\''s metadata (offset, timestamp, sizes, sequence, headers)]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_kafka-dump-log.sh_commands] )) ||
_kafka-dump-log.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-dump-log.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-dump-log.sh" ]; then
    _kafka-dump-log.sh "$@"
else
    compdef _kafka-dump-log.sh kafka-dump-log.sh
fi
