complete -c kafka-console-producer.sh -l bootstrap-server -d 'REQUIRED: the server(s) to connect to' -r
complete -c kafka-console-producer.sh -l topic -d 'REQUIRED: the topic to produce messages to' -r
complete -c kafka-console-producer.sh -l property -d 'Reader property: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error' -r
complete -c kafka-console-producer.sh -l reader-config -d 'Reader properties file; --property takes precedence' -r -F
complete -c kafka-console-producer.sh -l producer-property -d 'Producer config property' -r
complete -c kafka-console-producer.sh -l producer.config -d 'Producer config properties file; --producer-property takes precedence' -r -F
complete -c kafka-console-producer.sh -l request-required-acks -d 'The acks of the producer requests (acks)' -r
complete -c kafka-console-producer.sh -l compression-codec -d 'none, gzip, snappy, lz4 or zstd; gzip when given without a value (compression.type)' -r
complete -c kafka-console-producer.sh -l batch-size -d 'Bytes per partition batch (batch.size)' -r
complete -c kafka-console-producer.sh -l timeout -d 'Maximum time a message waits for a batch to fill (linger.ms)' -r
complete -c kafka-console-producer.sh -l message-send-max-retries -d 'Retries before a message is dropped (retries)' -r
complete -c kafka-console-producer.sh -l retry-backoff-ms -d 'Pause before a retry (retry.backoff.ms)' -r
complete -c kafka-console-producer.sh -l max-block-ms -d 'Maximum time a send blocks (max.block.ms)' -r
complete -c kafka-console-producer.sh -l request-timeout-ms -d 'Ack timeout of the produce requests (request.timeout.ms)' -r
complete -c kafka-console-producer.sh -l max-memory-bytes -d 'Memory for records waiting to be sent (buffer.memory)' -r
complete -c kafka-console-producer.sh -l max-partition-memory-bytes -d '(Deprecated) batch.size; replaces --batch-size when given' -r
complete -c kafka-console-producer.sh -l metadata-expiry-ms -d 'Metadata refresh period (metadata.max.age.ms)' -r
complete -c kafka-console-producer.sh -l line-reader -d 'Only Kafka\'s default reader is built in' -r
complete -c kafka-console-producer.sh -l sync -d 'Send each message synchronously, one at a time as it arrives'
complete -c kafka-console-producer.sh -s h -l help -d 'Print help'
complete -c kafka-console-producer.sh -s V -l version -d 'Print version'
