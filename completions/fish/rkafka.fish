complete -c rkafka -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rkafka -s V -l version -d 'Print version'
