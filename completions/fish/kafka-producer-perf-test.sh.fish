complete -c kafka-producer-perf-test.sh -l bootstrap-server -d 'The server(s) to connect to; takes precedence over bootstrap.servers in the properties' -r
complete -c kafka-producer-perf-test.sh -l topic -d 'Produce records to this topic' -r
complete -c kafka-producer-perf-test.sh -l num-records -d 'Number of records to produce' -r
complete -c kafka-producer-perf-test.sh -l payload-delimiter -d 'Delimiter of the payloads in --payload-file' -r
complete -c kafka-producer-perf-test.sh -l throughput -d 'Throttle to approximately this many records/s; -1 disables throttling' -r
complete -c kafka-producer-perf-test.sh -l producer-props -d 'Producer properties; they take precedence over --producer.config' -r
complete -c kafka-producer-perf-test.sh -l producer.config -d 'Producer config properties file' -r -F
complete -c kafka-producer-perf-test.sh -l reporting-interval -d 'Interval of the progress lines, in ms' -r
complete -c kafka-producer-perf-test.sh -l record-size -d 'Record size in bytes' -r
complete -c kafka-producer-perf-test.sh -l payload-file -d 'File of UTF-8 payloads, one picked at random per record' -r -F
complete -c kafka-producer-perf-test.sh -l payload-monotonic -d 'Payload is a monotonically increasing integer'
complete -c kafka-producer-perf-test.sh -s h -l help -d 'Print help'
complete -c kafka-producer-perf-test.sh -s V -l version -d 'Print version'
