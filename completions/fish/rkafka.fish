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
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-start" -l override -d 'Set a key over the file\'s value (repeatable), e.g. --override clientPort=2182' -r
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-start" -l daemon -d 'Run in the background; console output goes to $LOG_DIR/zookeeper.out (LOG_DIR defaults to logs/)'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-start" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-start" -s V -l version -d 'Print version'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-stop" -s h -l help -d 'Print help'
complete -c rkafka -n "__fish_rkafka_using_subcommand zookeeper-server-stop" -s V -l version -d 'Print version'
