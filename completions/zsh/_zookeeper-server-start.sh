#compdef zookeeper-server-start.sh

autoload -U is-at-least

_zookeeper-server-start.sh() {
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
'*--override=[Set a key over the file'\''s value (repeatable), e.g. --override clientPort=2182]:KEY=VALUE:_default' \
'--daemon[Run in the background; console output goes to \$LOG_DIR/zookeeper.out (LOG_DIR defaults to logs/)]' \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
':config -- The coordinator'\''s configuration file, e.g. config/zookeeper.properties:_files' \
&& ret=0
}

(( $+functions[_zookeeper-server-start.sh_commands] )) ||
_zookeeper-server-start.sh_commands() {
    local commands; commands=()
    _describe -t commands 'zookeeper-server-start.sh commands' commands "$@"
}

if [ "$funcstack[1]" = "_zookeeper-server-start.sh" ]; then
    _zookeeper-server-start.sh "$@"
else
    compdef _zookeeper-server-start.sh zookeeper-server-start.sh
fi
