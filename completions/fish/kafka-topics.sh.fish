complete -c kafka-topics.sh -l zookeeper -d 'REQUIRED: the connection string for the ZooKeeper connection in the form host:port. Multiple hosts can be given, separated by commas or spaces, with an optional chroot at the end (h1:2181,h2:2181/kafka)' -r
complete -c kafka-topics.sh -l bootstrap-server -d 'The Kafka server to connect to (host:port[,host:port...]); the tool then uses Kafka\'s admin protocol, as Kafka 4\'s TopicCommand does' -r
complete -c kafka-topics.sh -l command-config -d 'Property file containing configs to be passed to the admin client (with --bootstrap-server)' -r -F
complete -c kafka-topics.sh -l topic -d 'The topic to create, alter, describe or delete. It also accepts a regular expression, except for --create option. Put topic name in double quotes and use the \'\\\' prefix to escape regular expression symbols; e.g. "test\\.topic"' -r
complete -c kafka-topics.sh -l partitions -d 'The number of partitions for the topic being created or altered (WARNING: If partitions are increased for a topic that has a key, the partition logic or ordering of the messages will be affected)' -r
complete -c kafka-topics.sh -l replication-factor -d 'The replication factor for each partition in the topic being created; with --alter, the target of a reassignment of every partition' -r
complete -c kafka-topics.sh -l replica-assignment -d 'A list of manual partition-to-broker assignments for the topic being created or altered' -r
complete -c kafka-topics.sh -l config -d 'A topic configuration override for the topic being created or altered (repeatable); see the topic-level configs of kafka-configs for the keys' -r
complete -c kafka-topics.sh -l delete-config -d 'A topic configuration override to be removed for an existing topic (repeatable)' -r
complete -c kafka-topics.sh -l output -d 'Output format: Kafka\'s text, or one JSON document' -r -f -a "text\t'Kafka\'s text, line for line'
json\t'One JSON document'"
complete -c kafka-topics.sh -l create -d 'Create a new topic'
complete -c kafka-topics.sh -l list -d 'List all available topics'
complete -c kafka-topics.sh -l describe -d 'List details for the given topics'
complete -c kafka-topics.sh -l alter -d 'Alter the number of partitions, the replication factor (as a reassignment) or the configuration of a topic'
complete -c kafka-topics.sh -l delete -d 'Delete a topic (marks it for deletion; the controller deletes it when delete.topic.enable is true)'
complete -c kafka-topics.sh -l if-exists -d 'If set when altering or deleting or describing topics, the action will only execute if the topic exists'
complete -c kafka-topics.sh -l if-not-exists -d 'If set when creating topics, the action will only execute if the topic does not already exist'
complete -c kafka-topics.sh -l under-replicated-partitions -d 'If set when describing topics, only show under replicated partitions'
complete -c kafka-topics.sh -l unavailable-partitions -d 'If set when describing topics, only show partitions whose leader is not available'
complete -c kafka-topics.sh -l under-min-isr-partitions -d 'If set when describing topics, only show partitions whose isr count is less than the configured minimum'
complete -c kafka-topics.sh -l at-min-isr-partitions -d 'If set when describing topics, only show partitions whose isr count is equal to the configured minimum'
complete -c kafka-topics.sh -l topics-with-overrides -d 'If set when describing topics, only show topics that have overridden configs'
complete -c kafka-topics.sh -l exclude-internal -d 'Exclude internal topics when running list or describe command. The internal topics will be listed by default'
complete -c kafka-topics.sh -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kafka-topics.sh -s V -l version -d 'Print version'
