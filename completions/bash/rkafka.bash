_rkafka() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="rkafka"
                ;;
            rkafka,broker-api-versions)
                cmd="rkafka__subcmd__broker__subcmd__api__subcmd__versions"
                ;;
            rkafka,console-consumer)
                cmd="rkafka__subcmd__console__subcmd__consumer"
                ;;
            rkafka,console-producer)
                cmd="rkafka__subcmd__console__subcmd__producer"
                ;;
            rkafka,consumer-groups)
                cmd="rkafka__subcmd__consumer__subcmd__groups"
                ;;
            rkafka,consumer-perf-test)
                cmd="rkafka__subcmd__consumer__subcmd__perf__subcmd__test"
                ;;
            rkafka,dump-log)
                cmd="rkafka__subcmd__dump__subcmd__log"
                ;;
            rkafka,producer-perf-test)
                cmd="rkafka__subcmd__producer__subcmd__perf__subcmd__test"
                ;;
            rkafka,server-start)
                cmd="rkafka__subcmd__server__subcmd__start"
                ;;
            rkafka,server-stop)
                cmd="rkafka__subcmd__server__subcmd__stop"
                ;;
            rkafka,standalone)
                cmd="rkafka__subcmd__standalone"
                ;;
            rkafka,topics)
                cmd="rkafka__subcmd__topics"
                ;;
            rkafka,zookeeper-server-start)
                cmd="rkafka__subcmd__zookeeper__subcmd__server__subcmd__start"
                ;;
            rkafka,zookeeper-server-stop)
                cmd="rkafka__subcmd__zookeeper__subcmd__server__subcmd__stop"
                ;;
            rkafka,zookeeper-shell)
                cmd="rkafka__subcmd__zookeeper__subcmd__shell"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        rkafka)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        broker__subcmd__api__subcmd__versions)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        console__subcmd__consumer)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        console__subcmd__producer)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        consumer__subcmd__groups)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        consumer__subcmd__perf__subcmd__test)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        dump__subcmd__log)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        producer__subcmd__perf__subcmd__test)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        server__subcmd__start)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        server__subcmd__stop)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        standalone)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        topics)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        zookeeper__subcmd__server__subcmd__start)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        zookeeper__subcmd__server__subcmd__stop)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        zookeeper__subcmd__shell)
            opts="-h -V --help --version zookeeper-server-start zookeeper-server-stop server-start server-stop standalone zookeeper-shell topics console-producer producer-perf-test console-consumer consumer-perf-test consumer-groups broker-api-versions dump-log"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _rkafka -o nosort -o bashdefault -o default rkafka
else
    complete -F _rkafka -o bashdefault -o default rkafka
fi
