complete -c zookeeper-shell.sh -l output -d 'Output format for ls, get and stat: zkCli\'s text or JSON' -r -f -a "text\t'zkCli\'s text'
json\t'One JSON object per command'"
complete -c zookeeper-shell.sh -s h -l help -d 'Print help (see more with \'--help\')'
complete -c zookeeper-shell.sh -s V -l version -d 'Print version'
