#compdef zookeeper-shell.sh

autoload -U is-at-least

_zookeeper-shell.sh() {
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
'--output=[Output format for ls, get and stat\: zkCli'\''s text or JSON]:format:((text\:"zkCli'\''s text"
json\:"One JSON object per command"))' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'-V[Print version]' \
'--version[Print version]' \
':server -- The ensemble\: host\:port\[,host\:port...\]\[/chroot\]:_default' \
'*::command -- One command to run, e.g. `ls /brokers/ids`; without it, commands are read from stdin:_default' \
&& ret=0
}

(( $+functions[_zookeeper-shell.sh_commands] )) ||
_zookeeper-shell.sh_commands() {
    local commands; commands=()
    _describe -t commands 'zookeeper-shell.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_zookeeper-shell.sh" ]; then
    _zookeeper-shell.sh "$@"
else
    compdef _zookeeper-shell.sh zookeeper-shell.sh
fi
