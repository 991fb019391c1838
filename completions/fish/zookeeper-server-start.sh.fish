complete -c zookeeper-server-start.sh -l override -d 'Set a key over the file\'s value (repeatable), e.g. --override clientPort=2182' -r
complete -c zookeeper-server-start.sh -l daemon -d 'Run in the background; console output goes to $LOG_DIR/zookeeper.out (LOG_DIR defaults to logs/)'
complete -c zookeeper-server-start.sh -s h -l help -d 'Print help'
complete -c zookeeper-server-start.sh -s V -l version -d 'Print version'
