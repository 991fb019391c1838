complete -c zookeeper-server-stop.sh -s h -l help -d 'Print help'
complete -c zookeeper-server-stop.sh -s V -l version -d 'Print version'
