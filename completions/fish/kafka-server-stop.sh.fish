complete -c kafka-server-stop.sh -s h -l help -d 'Print help'
complete -c kafka-server-stop.sh -s V -l version -d 'Print version'
