#compdef kafka-consumer-groups.sh

autoload -U is-at-least

_kafka-consumer-groups.sh() {
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
'--bootstrap-server=[REQUIRED\: The server(s) to connect to]:server to connect to:_default' \
'*--group=[The consumer group we wish to act on (repeatable)]:consumer group:_default' \
'*--topic=[The topic whose consumer group information should be deleted or topic whose should be included in the reset offset process. In \`reset-offsets\` case, partitions can be specified using this format\: \`topic1\:0,1,2\`, where 0,1,2 are the partition to be included in the process. Reset-offsets also supports multiple topic inputs]:topic:_default' \
'--timeout=[The timeout that can be set for some use cases. For example, it can be used when describing the group to specify the maximum amount of time in milliseconds to wait before the group stabilizes]:timeout (ms):_default' \
'--command-config=[Property file containing configs to be passed to Admin Client and Consumer]:command config property file:_files' \
'--to-offset=[Reset offsets to a specific offset]:offset:_default' \
'--from-file=[Reset offsets to values defined in CSV file]:path to CSV file:_files' \
'--to-datetime=[Reset offsets to offset from datetime. Format\: '\''YYYY-MM-DDTHH\:mm\:SS.sss'\'']:datetime:_default' \
'--by-duration=[Reset offsets to offset by duration from current timestamp. Format\: '\''PnDTnHnMnS'\'']:duration:_default' \
'--shift-by=[Reset offsets shifting current offset by '\''n'\'', where '\''n'\'' can be positive or negative]:number-of-offsets:_default' \
'--state=[When specified with '\''--describe'\'', includes the state of the group. When specified with '\''--list'\'', it displays the state of all groups. It can also be used to list groups with specific states (--list --state stable,empty)]::states:_default' \
'--watch=[With --describe\: redraw the offsets table every SECONDS, with each partition'\''s lag change per second (rkafka'\''s own)]:SECONDS:_default' \
'--output=[Output format\: Kafka'\''s text, or one JSON document (rkafka'\''s own)]:format:((text\:"Kafka'\''s text, line for line"
json\:"One JSON document"))' \
'--all-topics[Consider all topics assigned to a group in the \`reset-offsets\` process]' \
'--list[List all consumer groups]' \
'--describe[Describe consumer group and list offset lag (number of messages not yet processed) related to given group]' \
'--all-groups[Apply to all consumer groups]' \
'--delete[Pass in groups to delete topic partition offsets and ownership information over the entire consumer group. For instance --group g1 --group g2]' \
'--reset-offsets[Reset offsets of consumer group. Supports one consumer group at the time, and instances should be inactive. Has 2 execution options\: --dry-run (the default) to plan which offsets to reset, and --execute to update the offsets. Additionally, the --export option is used to export the results to a CSV format. You must choose one of the following reset specifications\: --to-datetime, --by-duration, --to-earliest, --to-latest, --shift-by, --from-file, --to-current, --to-offset. To define the scope use --all-topics or --topic. One scope must be specified unless you use '\''--from-file'\'']' \
'--delete-offsets[Delete offsets of consumer group. Supports one consumer group at the time, and multiple topics]' \
'--dry-run[Only show results without executing changes on Consumer Groups. Supported operations\: reset-offsets]' \
'--execute[Execute operation. Supported operations\: reset-offsets]' \
'--export[Export operation execution to a CSV file. Supported operations\: reset-offsets]' \
'--to-earliest[Reset offsets to earliest offset]' \
'--to-latest[Reset offsets to latest offset]' \
'--to-current[Reset offsets to current offset]' \
'--members[Describe members of the group. This option may be used with '\''--describe'\'' and '\''--bootstrap-server'\'' options only]' \
'--verbose[Provide additional information, if any, when describing the group. This option may be used with '\''--offsets'\''/'\''--members'\''/'\''--state'\'' and '\''--bootstrap-server'\'' options only]' \
'--offsets[Describe the group and list all topic partitions in the group along with their offset lag. This is the default sub-action of and may be used with '\''--describe'\'' and '\''--bootstrap-server'\'' options only]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
&& ret=0
}

(( $+functions[_kafka-consumer-groups.sh_commands] )) ||
_kafka-consumer-groups.sh_commands() {
    local commands; commands=()
    _describe -t commands 'kafka-consumer-groups.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_kafka-consumer-groups.sh" ]; then
    _kafka-consumer-groups.sh "$@"
else
    compdef _kafka-consumer-groups.sh kafka-consumer-groups.sh
fi
