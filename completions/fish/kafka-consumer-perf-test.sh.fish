complete -c kafka-consumer-perf-test.sh -l bootstrap-server -d 'REQUIRED: the server(s) to connect to' -r
complete -c kafka-consumer-perf-test.sh -l topic -d 'The topic to consume from (all its partitions are assigned)' -r
complete -c kafka-consumer-perf-test.sh -l messages -d 'REQUIRED: the number of records to consume' -r
complete -c kafka-consumer-perf-test.sh -l fetch-size -d 'The amount of data to fetch per partition in a single request' -r
complete -c kafka-consumer-perf-test.sh -l timeout -d 'The maximum allowed time in milliseconds between returned records' -r
complete -c kafka-consumer-perf-test.sh -l reporting-interval -d 'Interval in milliseconds at which to print progress info' -r
complete -c kafka-consumer-perf-test.sh -l consumer.config -d 'Consumer config properties file' -r -F
complete -c kafka-consumer-perf-test.sh -l show-detailed-stats -d 'Report stats for each reporting interval'
complete -c kafka-consumer-perf-test.sh -l hide-header -d 'Skip printing the header for the stats'
complete -c kafka-consumer-perf-test.sh -l from-latest -d 'Start with the latest record rather than the earliest'
complete -c kafka-consumer-perf-test.sh -s h -l help -d 'Print help'
complete -c kafka-consumer-perf-test.sh -s V -l version -d 'Print version'
