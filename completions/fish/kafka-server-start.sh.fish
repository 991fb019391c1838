complete -c kafka-server-start.sh -l override -d 'Set a key over the file\'s value (repeatable), e.g. --override broker.id=2' -r
complete -c kafka-server-start.sh -l daemon -d 'Run in the background; console output goes to $LOG_DIR/kafkaServer.out (LOG_DIR defaults to logs/)'
complete -c kafka-server-start.sh -s h -l help -d 'Print help'
complete -c kafka-server-start.sh -s V -l version -d 'Print version'
