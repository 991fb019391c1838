# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rkafka_global_optspecs
    string join \n h/help V/version
end

function __fish_rkafka_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rkafka_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rkafka_using_subcommand
    set -l cmd (__fish_rkafka_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rkafka -n "__fish_rkafka_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rkafka -n "__fish_rkafka_needs_command" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "zookeeper-server-start" -d 'Start rkafka\'s ZooKeeper-compatible coordinator [zookeeper-server-start.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "zookeeper-server-stop" -d 'Stop the coordinators started by zookeeper-server-start on this machine [zookeeper-server-stop.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "server-start" -d 'Start an rkafka broker [kafka-server-start.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "server-stop" -d 'Stop the brokers started by server-start on this machine [kafka-server-stop.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "standalone" -d 'Run a one-process development cluster: a coordinator and one broker'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "zookeeper-shell" -d 'Run ZooKeeper shell (zkCli) commands against a ZooKeeper ensemble [zookeeper-shell.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "topics" -d 'Create, delete, describe, or change a topic [kafka-topics.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "console-producer" -d 'Read lines from standard input and publish them to a Kafka topic [kafka-console-producer.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "producer-perf-test" -d 'Measure producer throughput and latency [kafka-producer-perf-test.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "console-consumer" -d 'Read records from Kafka topics and print them on standard output [kafka-console-consumer.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "consumer-perf-test" -d 'Measure how fast records can be consumed from a topic [kafka-consumer-perf-test.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "consumer-groups" -d 'List, describe, delete consumer groups, or reset their offsets [kafka-consumer-groups.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "broker-api-versions" -d 'Print the API versions each broker of a cluster supports [kafka-broker-api-versions.sh]'
complete -c rkafka -n "__fish_rkafka_needs_command" -f -a "dump-log" -d 'Print the contents of log segments and their indexes [kafka-dump-log.sh]'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-start" -l override -d 'Set a key over the file\'s value (repeatable), e.g. --override clientPort=2182' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-start" -l daemon -d 'Run in the background; console output goes to $LOG_DIR/zookeeper.out (LOG_DIR defaults to logs/)'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-start" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-start" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-stop" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-stop" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand server-start" -l override -d 'Set a key over the file\'s value (repeatable), e.g. --override broker.id=2' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand server-start" -l daemon -d 'Run in the background; console output goes to $LOG_DIR/kafkaServer.out (LOG_DIR defaults to logs/)'
complete -c rkafka -n "__fish_rkafka_using_subcommand server-start" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand server-start" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand server-stop" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand server-stop" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand standalone" -l data-dir -d 'Where the coordinator\'s snapshots and the broker\'s logs live (created if missing)' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand standalone" -l zookeeper-port -d 'The coordinator\'s client port (zookeeper.properties\' clientPort)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand standalone" -l port -d 'The broker\'s PLAINTEXT port' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand standalone" -l override -d 'Set a broker key (repeatable), e.g. --override num.partitions=3' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand standalone" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand standalone" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-shell" -l output -d 'Output format for ls, get and stat: zkCli\'s text or JSON' -r -f -a "text\t'zkCli\'s text'
json\t'One JSON object per command'"
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-shell" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-shell" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l zookeeper -d 'REQUIRED: the connection string for the ZooKeeper connection in the form host:port. Multiple hosts can be given, separated by commas or spaces, with an optional chroot at the end (h1:2181,h2:2181/kafka)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l bootstrap-server -d 'The Kafka server to connect to (host:port[,host:port...]); the tool then uses Kafka\'s admin protocol, as Kafka 4\'s TopicCommand does' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l command-config -d 'Property file containing configs to be passed to the admin client (with --bootstrap-server)' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l topic -d 'The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option. Put topic name in double quotes and use the \'\\\' prefix to escape regular expression symbols; e.g. "test\\.topic"' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l partitions -d 'The number of partitions for the topic being created or altered (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l replication-factor -d 'The replication factor for each partition in the topic being created; with --alter, the target of a reassignment of every partition' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l replica-assignment -d 'A list of manual partition-to-broker assignments for the topic being created or altered' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l config -d 'A topic configuration override for the topic being created or altered (repeatable); see the topic-level configs of kafka-configs for the keys' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l delete-config -d 'A topic configuration override to be removed for an existing topic (repeatable)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l output -d 'Output format: Kafka\'s text, or one JSON document' -r -f -a "text\t'Kafka\'s text, line for line'
json\t'One JSON document'"
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l create -d 'Create a new topic'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l list -d 'List all available topics'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l describe -d 'List details for the given topics'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l alter -d 'Alter the number of partitions, the replication factor (as a reassignment) or the configuration of a topic'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l delete -d 'Delete a topic (marks it for deletion; the controller deletes it when delete.topic.enable is true)'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l if-exists -d 'If set when altering or deleting or describing topics, the action will only execute if the topic exists'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l if-not-exists -d 'If set when creating topics, the action will only execute if the topic does not already exist'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l under-replicated-partitions -d 'If set when describing topics, only show under replicated partitions'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l unavailable-partitions -d 'If set when describing topics, only show partitions whose leader is not available'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l under-min-isr-partitions -d 'If set when describing topics, only show partitions whose isr count is less than the configured minimum'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l at-min-isr-partitions -d 'If set when describing topics, only show partitions whose isr count is equal to the configured minimum'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l topics-with-overrides -d 'If set when describing topics, only show topics that have overridden configs'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -l exclude-internal -d 'Exclude internal topics when running list or describe command. The internal topics will be listed by default'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rkafka -n "__fish_rkafka_using_subcommand topics" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l bootstrap-server -d 'REQUIRED: the server(s) to connect to' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l topic -d 'REQUIRED: the topic to produce messages to' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l property -d 'Reader property: parse.key, key.separator, parse.headers, headers.delimiter, headers.separator, headers.key.separator, null.marker, ignore.error' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l reader-config -d 'Reader properties file; --property takes precedence' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l producer-property -d 'Producer config property' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l producer.config -d 'Producer config properties file; --producer-property takes precedence' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l request-required-acks -d 'The acks of the producer requests (acks)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l compression-codec -d 'none, gzip, snappy, lz4 or zstd; gzip when given without a value (compression.type)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l batch-size -d 'Bytes per partition batch (batch.size)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l timeout -d 'Maximum time a message waits for a batch to fill (linger.ms)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l message-send-max-retries -d 'Retries before a message is dropped (retries)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l retry-backoff-ms -d 'Pause before a retry (retry.backoff.ms)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l max-block-ms -d 'Maximum time a send blocks (max.block.ms)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l request-timeout-ms -d 'Ack timeout of the produce requests (request.timeout.ms)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l max-memory-bytes -d 'Memory for records waiting to be sent (buffer.memory)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l max-partition-memory-bytes -d '(Deprecated) batch.size; replaces --batch-size when given' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l metadata-expiry-ms -d 'Metadata refresh period (metadata.max.age.ms)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l line-reader -d 'Only Kafka\'s default reader is built in' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -l sync -d 'Send each message synchronously, one at a time as it arrives'
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand console-producer" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l bootstrap-server -d 'The server(s) to connect to; takes precedence over bootstrap.servers in the properties' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l topic -d 'Produce records to this topic' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l num-records -d 'Number of records to produce' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l payload-delimiter -d 'Delimiter of the payloads in --payload-file' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l throughput -d 'Throttle to approximately this many records/s; -1 disables throttling' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l producer-props -d 'Producer properties; they take precedence over --producer.config' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l producer.config -d 'Producer config properties file' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l reporting-interval -d 'Interval of the progress lines, in ms' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l record-size -d 'Record size in bytes' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l payload-file -d 'File of UTF-8 payloads, one picked at random per record' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -l payload-monotonic -d 'Payload is a monotonically increasing integer'
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand producer-perf-test" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l bootstrap-server -d 'REQUIRED: the server(s) to connect to' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l topic -d 'The topic to consume' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l include -d 'Regular expression of the topics to consume (whole names; internal topics excluded)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l partition -d 'The partition to consume; consumption starts at the end unless --from-beginning or --offset' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l group -d 'The consumer group id of the consumer (default: a new console-consumer-<random> group)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l offset -d 'earliest, latest, or a non-negative offset to start at (needs --partition)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l max-messages -d 'Exit after this many records (default: keep consuming)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l timeout-ms -d 'Exit when no record arrived for this long' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l property -d 'Formatter property: print.timestamp, print.partition, print.offset, print.headers, print.key, print.value, key.separator, line.separator, headers.separator, null.literal' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l formatter -d 'kafka.tools.DefaultMessageFormatter (Kafka\'s format) or json-lines (one JSON object per record)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l consumer-property -d 'Consumer setting (fetch.min.bytes, auto.offset.reset, ...)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l consumer.config -d 'Consumer properties file' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l isolation-level -d 'read_committed hides records of open and aborted transactions; read_uncommitted (default) shows all' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l from-beginning -d 'Start with the earliest record rather than the latest'
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -l skip-message-on-error -d 'Skip records that cannot be read instead of stopping'
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rkafka -n "__fish_rkafka_using_subcommand console-consumer" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l bootstrap-server -d 'REQUIRED: the server(s) to connect to' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l topic -d 'The topic to consume from (all its partitions are assigned)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l messages -d 'REQUIRED: the number of records to consume' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l fetch-size -d 'The amount of data to fetch per partition in a single request' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l timeout -d 'The maximum allowed time in milliseconds between returned records' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l reporting-interval -d 'Interval in milliseconds at which to print progress info' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l consumer.config -d 'Consumer config properties file' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l show-detailed-stats -d 'Report stats for each reporting interval'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l hide-header -d 'Skip printing the header for the stats'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -l from-latest -d 'Start with the latest record rather than the earliest'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-perf-test" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l bootstrap-server -d 'REQUIRED: The server(s) to connect to' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l group -d 'The consumer group we wish to act on (repeatable)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l topic -d 'The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In `reset-offsets` case, partitions can be specified using this format: `topic1:0,1,2`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l timeout -d 'The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l command-config -d 'Property file containing configs to be passed to Admin Client and Consumer' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l to-offset -d 'Reset offsets to a specific offset' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l from-file -d 'Reset offsets to values defined in CSV file' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l to-datetime -d 'Reset offsets to offset from datetime. Format: \'YYYY-MM-DDTHH:mm:SS.sss\'' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l by-duration -d 'Reset offsets to offset by duration from current timestamp. Format: \'PnDTnHnMnS\'' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l shift-by -d 'Reset offsets shifting current offset by \'n\', where \'n\' can be positive or negative' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l state -d 'When specified with \'--describe\', includes the state of the group. When specified with \'--list\', it displays the state of all groups. It can also be used to list groups with specific states (--list --state stable,empty)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l watch -d 'With --describe: redraw the offsets table every SECONDS, with each partition\'s lag change per second (rkafka\'s own)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l output -d 'Output format: Kafka\'s text, or one JSON document (rkafka\'s own)' -r -f -a "text\t'Kafka\'s text, line for line'
json\t'One JSON document'"
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l all-topics -d 'Consider all topics assigned to a group in the `reset-offsets` process'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l list -d 'List all consumer groups'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l describe -d 'Describe consumer group and list offset lag (number of messages not yet processed) related to given group'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l all-groups -d 'Apply to all consumer groups'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l delete -d 'Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l reset-offsets -d 'Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive. Has 2 execution options: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. Additionally, the --export option is used to export the results to a CSV format. You must choose one of the following reset specifications: --to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset. To define the scope use --all-topics or --topic. One scope must be specified unless you use \'--from-file\''
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l delete-offsets -d 'Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l dry-run -d 'Only show results without executing changes on Consumer Groups. Supported operations: reset-offsets'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l execute -d 'Execute operation. Supported operations: reset-offsets'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l export -d 'Export operation execution to a CSV file. Supported operations: reset-offsets'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l to-earliest -d 'Reset offsets to earliest offset'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l to-latest -d 'Reset offsets to latest offset'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l to-current -d 'Reset offsets to current offset'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l members -d 'Describe members of the group. This option may be used with \'--describe\' and \'--bootstrap-server\' options only'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l verbose -d 'Provide additional information, if any, when describing the group. This option may be used with \'--offsets\'/\'--members\'/\'--state\' and \'--bootstrap-server\' options only'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -l offsets -d 'Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with \'--describe\' and \'--bootstrap-server\' options only'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rkafka -n "__fish_rkafka_using_subcommand consumer-groups" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand broker-api-versions" -l bootstrap-server -d 'Brokers to bootstrap from (commas or spaces between entries)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand broker-api-versions" -l command-config -d 'Client properties file (request.timeout.ms, client.id, ...)' -r -F
complete -c rkafka -n "__fish_rkafka_using_subcommand broker-api-versions" -l output -d 'text (Kafka\'s format) or json (rkafka\'s addition)' -r -f -a "text\t''
json\t''"
complete -c rkafka -n "__fish_rkafka_using_subcommand broker-api-versions" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand broker-api-versions" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l files -d 'REQUIRED: the comma separated list of data and index log files to be dumped' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l max-message-size -d 'Size of the largest message, in bytes (bounds the batch read to verify an index entry)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l max-bytes -d 'Read at most this many bytes of each .log file, instead of the whole file' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l key-decoder-class -d 'Decoder for record keys; implies --print-data-log. One of: string (the default), bytes (hex), integer, long, or Kafka\'s class names for them (org.apache.kafka.tools.api.StringDecoder, kafka.serializer.StringDecoder, ...)' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l value-decoder-class -d 'Decoder for record values; implies --print-data-log. Same choices as --key-decoder-class' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l output -d 'Output format: Kafka\'s text lines, or one JSON object per line' -r -f -a "text\t'Kafka\'s text lines'
json\t'One JSON object per line, with a `type` field'"
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l print-data-log -d 'Print the messages\' content when dumping data logs; implies --deep-iteration. Set automatically if a decoder option is given'
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l deep-iteration -d 'Print every record, not only the batches. Set automatically by --print-data-log'
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l verify-index-only -d 'Only verify index files against their logs, without printing their entries'
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l index-sanity-check -d 'Only run the index sanity check (the one a broker runs on start to decide whether to rebuild an index), without printing entries'
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -l skip-record-metadata -d 'Do not print each record\'s metadata (offset, timestamp, sizes, sequence, headers)'
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rkafka -n "__fish_rkafka_using_subcommand dump-log" -s V -l version -d 'Print version'
