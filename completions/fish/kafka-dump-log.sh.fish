complete -c kafka-dump-log.sh -l files -d 'REQUIRED: the comma separated list of data and index log files to be dumped' -r
complete -c kafka-dump-log.sh -l max-message-size -d 'Size of the largest message, in bytes (bounds the batch read to verify an index entry)' -r
complete -c kafka-dump-log.sh -l max-bytes -d 'Read at most this many bytes of each .log file, instead of the whole file' -r
complete -c kafka-dump-log.sh -l key-decoder-class -d 'Decoder for record keys; implies --print-data-log. One of: string (the default), bytes (hex), integer, long, or Kafka\'s class names for them (org.apache.kafka.tools.api.StringDecoder, kafka.serializer.StringDecoder, ...)' -r
complete -c kafka-dump-log.sh -l value-decoder-class -d 'Decoder for record values; implies --print-data-log. Same choices as --key-decoder-class' -r
complete -c kafka-dump-log.sh -l output -d 'Output format: Kafka\'s text lines, or one JSON object per line' -r -f -a "text\t'Kafka\'s text lines'
json\t'One JSON object per line, with a `type` field'"
complete -c kafka-dump-log.sh -l print-data-log -d 'Print the messages\' content when dumping data logs; implies --deep-iteration. Set automatically if a decoder option is given'
complete -c kafka-dump-log.sh -l deep-iteration -d 'Print every record, not only the batches. Set automatically by --print-data-log'
complete -c kafka-dump-log.sh -l verify-index-only -d 'Only verify index files against their logs, without printing their entries'
complete -c kafka-dump-log.sh -l index-sanity-check -d 'Only run the index sanity check (the one a broker runs on start to decide whether to rebuild an index), without printing entries'
complete -c kafka-dump-log.sh -l skip-record-metadata -d 'Do not print each record\'s metadata (offset, timestamp, sizes, sequence, headers)'
complete -c kafka-dump-log.sh -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kafka-dump-log.sh -s V -l version -d 'Print version'
