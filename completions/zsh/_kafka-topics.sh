#compdef kafka-topics.sh

autoload -U is-at-least

_kafka-topics.sh() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'--zookeeper=[REQUIRED\: the connection string for the ZooKeeper connection in the form host\:port. Multiple hosts can be given, separated by commas or spaces, with an optional chroot at the end (h1\:2181,h2\:2181/kafka)]:hosts:_default' \
'--bootstrap-server=[The Kafka server to connect to (host\:port\[,host\:port...\]); the tool then uses Kafka'\''s admin protocol, as Kafka 4'\''s TopicCommand does]:server to connect to:_default' \
'--command-config=[Property file containing configs to be passed to the admin client (with --bootstrap-server)]:command config property file:_files' \
'--topic=[The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option. Put topic name in double quotes and use the '\''\\'\'' prefix to escape regular expression symbols; e.g. "test\\.topic"]:topic:_default' \
'--partitions=[The number of partitions for the topic being created or altered (WARNING\: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected)]:# of partitions:_default' \
'--replication-factor=[The replication factor for each partition in the topic being created; with --alter, the target of a reassignment of every partition]:replication factor:_default' \
'--replica-assignment=[A list of manual partition-to-broker assignments for the topic being created or altered]:broker_id_for_part1_replica1 : broker_id_for_part1_replica2 , broker_id_for_part2_replica1 : broker_id_for_part2_replica2 , ...:_default' \
'*--config=[A topic configuration override for the topic being created or altered (repeatable); see the topic-level configs of kafka-configs for the keys]:name=value:_default' \
'*--delete-config=[A topic configuration override to be removed for an existing topic (repeatable)]:name:_default' \
'--output=[Output format\: Kafka'\''s text, or one JSON document]:format:((text\:"Kafka'\''s text, line for line"
json\:"One JSON document"))' \
'--create[Create a new topic]' \
'--list[List all available topics]' \
'--describe[List details for the given topics]' \
'--alter[Alter the number of partitions, the replication factor (as a reassignment) or the configuration of a topic]' \
'--delete[Delete a topic (marks it for deletion; the controller deletes it when delete.topic.enable is true)]' \
'--if-exists[If set when altering or deleting or describing topics, the action will only execute if the topic exists]' \
'--if-not-exists[If set when creating topics, the action will only execute if the topic does not already exist]' \
'--under-replicated-partitions[If set when describing topics, only show under replicated partitions]' \
'--unavailable-partitions[If set when describing topics, only show partitions whose leader is not available]' \
'--under-min-isr-partitions[If set when describing topics, only show partitions whose isr count is less than the configured minimum]' \
'--at-min-isr-partitions[If set when describing topics, only show partitions whose isr count is equal to the configured minimum]' \
'--topics-with-overrides[If set when describing topics, only show topics that have overridden configs]' \
'--exclude-internal[Exclude internal topics when running list or describe command. The internal topics will be listed by default]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_kafka-topics.sh_commands] )) ||
_kafka-topics.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-topics.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-topics.sh" ]; then
    _kafka-topics.sh "$@"
else
    compdef _kafka-topics.sh kafka-topics.sh
fi
