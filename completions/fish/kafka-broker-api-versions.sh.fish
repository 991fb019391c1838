complete -c kafka-broker-api-versions.sh -l bootstrap-server -d 'Brokers to bootstrap from (commas or spaces between entries)' -r
complete -c kafka-broker-api-versions.sh -l command-config -d 'Client properties file (request.timeout.ms, client.id, ...)' -r -F
complete -c kafka-broker-api-versions.sh -l output -d 'text (Kafka\'s format) or json (rkafka\'s addition)' -r -f -a "text\t''
json\t''"
complete -c kafka-broker-api-versions.sh -s h -l help -d 'Print help'
complete -c kafka-broker-api-versions.sh -s V -l version -d 'Print version'
