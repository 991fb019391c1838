complete -c kafka-console-consumer.sh -l bootstrap-server -d 'REQUIRED: the server(s) to connect to' -r
complete -c kafka-console-consumer.sh -l topic -d 'The topic to consume' -r
complete -c kafka-console-consumer.sh -l include -d 'Regular expression of the topics to consume (whole names; internal topics excluded)' -r
complete -c kafka-console-consumer.sh -l partition -d 'The partition to consume; consumption starts at the end unless --from-beginning or --offset' -r
complete -c kafka-console-consumer.sh -l group -d 'The consumer group id of the consumer (default: a new console-consumer-<random> group)' -r
complete -c kafka-console-consumer.sh -l offset -d 'earliest, latest, or a non-negative offset to start at (needs --partition)' -r
complete -c kafka-console-consumer.sh -l max-messages -d 'Exit after this many records (default: keep consuming)' -r
complete -c kafka-console-consumer.sh -l timeout-ms -d 'Exit when no record arrived for this long' -r
complete -c kafka-console-consumer.sh -l property -d 'Formatter property: print.timestamp, print.partition, print.offset, print.headers, print.key, print.value, key.separator, line.separator, headers.separator, null.literal' -r
complete -c kafka-console-consumer.sh -l formatter -d 'kafka.tools.DefaultMessageFormatter (Kafka\'s format) or json-lines (one JSON object per record)' -r
complete -c kafka-console-consumer.sh -l consumer-property -d 'Consumer setting (fetch.min.bytes, auto.offset.reset, ...)' -r
complete -c kafka-console-consumer.sh -l consumer.config -d 'Consumer properties file' -r -F
complete -c kafka-console-consumer.sh -l isolation-level -d 'read_committed hides records of open and aborted transactions; read_uncommitted (default) shows all' -r
complete -c kafka-console-consumer.sh -l from-beginning -d 'Start with the earliest record rather than the latest'
complete -c kafka-console-consumer.sh -l skip-message-on-error -d 'Skip records that cannot be read instead of stopping'
complete -c kafka-console-consumer.sh -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kafka-console-consumer.sh -s V -l version -d 'Print version'
