#compdef kafka-console-producer.sh

autoload -U is-at-least

_kafka-console-producer.sh() {
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
'--topic=[REQUIRED\: the topic to produce messages to]:TOPIC:_default' \
'*--property=[Reader property\: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error]:KEY=VALUE:_default' \
'--reader-config=[Reader properties file; --property takes precedence]:FILE:_files' \
'*--producer-property=[Producer config property]:KEY=VALUE:_default' \
'--producer.config=[Producer config properties file; --producer-property takes precedence]:FILE:_files' \
'--request-required-acks=[The acks of the producer requests (acks)]:ACKS:_default' \
'--compression-codec=[none, gzip, snappy, lz4 or zstd; gzip when given without a value (compression.type)]::CODEC:_default' \
'--batch-size=[Bytes per partition batch (batch.size)]:BYTES:_default' \
'--timeout=[Maximum time a message waits for a batch to fill (linger.ms)]:MS:_default' \
'--message-send-max-retries=[Retries before a message is dropped (retries)]:N:_default' \
'--retry-backoff-ms=[Pause before a retry (retry.backoff.ms)]:MS:_default' \
'--max-block-ms=[Maximum time a send blocks (max.block.ms)]:MS:_default' \
'--request-timeout-ms=[Ack timeout of the produce requests (request.timeout.ms)]:MS:_default' \
'--max-memory-bytes=[Memory for records waiting to be sent (buffer.memory)]:BYTES:_default' \
'--max-partition-memory-bytes=[(Deprecated) batch.size; replaces --batch-size when given]:BYTES:_default' \
'--metadata-expiry-ms=[Metadata refresh period (metadata.max.age.ms)]:MS:_default' \
'--line-reader=[Only Kafka'\''s default reader is built in]:CLASS:_default' \
'--sync[Send each message synchronously, one at a time as it arrives]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_kafka-console-producer.sh_commands] )) ||
_kafka-console-producer.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-console-producer.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-console-producer.sh" ]; then
    _kafka-console-producer.sh "$@"
else
    compdef _kafka-console-producer.sh kafka-console-producer.sh
fi
