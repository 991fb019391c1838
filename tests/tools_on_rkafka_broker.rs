//! The client tools' round trips with rkafka's own broker in the middle (issue 7's "both
//! ways"; the other way, through a real Kafka 4.4 broker, is in tests/producer.rs and
//! tests/console_consumer_kafka.rs): Kafka's ConsoleProducer (keys, headers, null markers)
//! -> `rkafka standalone` -> rkafka console-consumer printing exactly what Kafka's
//! ConsoleConsumer prints from the same broker; rkafka console-producer -> rkafka's broker ->
//! kcat and kafka-python reading the same records; kcat and kafka-python producing, rkafka
//! console-consumer reading.

mod common;
use common::kafka::{CONSOLE_CONSUMER, KafkaVersion, kafka_tool_ok, kcat_ok};
use common::*;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// `rkafka standalone` on free ports in a scratch directory, killed on drop.
struct Standalone {
    _child: KillOnDrop,
    _dir: tempfile::TempDir,
    bootstrap: String,
}

impl Standalone {
    fn start() -> Standalone {
        let dir = tempfile::tempdir().unwrap();
        let (zk_port, port) = (free_port(), free_port());
        let log = std::fs::File::create(dir.path().join("standalone.log")).unwrap();
        let child = KillOnDrop(
            Command::new(rkafka_bin())
                .args(["standalone", "--zookeeper-port"])
                .arg(zk_port.to_string())
                .arg("--port")
                .arg(port.to_string())
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap(),
        );
        let bootstrap = format!("127.0.0.1:{port}");
        let up = wait_until(Duration::from_secs(30), || {
            common::kafka::kcat(&["-L", "-b", &bootstrap, "-m", "2"], b"")
                .status
                .success()
        });
        assert!(
            up,
            "standalone did not start:\n{}",
            std::fs::read_to_string(dir.path().join("standalone.log")).unwrap_or_default()
        );
        Standalone {
            _child: child,
            _dir: dir,
            bootstrap,
        }
    }
}

fn rkafka_in(args: &[&str], stdin: &[u8]) -> Output {
    common::kafka::run_bounded(
        {
            let mut c = Command::new(rkafka_bin());
            c.args(args);
            c
        },
        stdin,
        Duration::from_secs(60),
    )
}

/// Kafka's ConsoleProducer lines: headers, key and value (tab-separated), NULL for null.
const PRODUCER_INPUT: &str = "h1:v1,h2:v2\tk1\tvalue one\n\
                              h3:NULL\tNULL\tv2\n\
                              h1:a,h1:b\tk3\tNULL\n\
                              x:y\t\tempty key\n";

/// Kafka's tools print JVM warnings ("Option --... is deprecated") before the records on
/// some versions; the records are what is compared.
fn without_notes(out: &[u8]) -> String {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.starts_with("Option --"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn kafkas_console_producer_to_rkafka_broker_to_rkafka_console_consumer() {
    let broker = Standalone::start();
    let b = broker.bootstrap.as_str();
    // The topic is created by the producer's metadata request (auto.create.topics.enable).
    kafka_tool_ok(
        KafkaVersion::V4,
        KafkaVersion::V4.console_producer(),
        &[
            "--bootstrap-server",
            b,
            "--topic",
            "kafka-made",
            "--property",
            "parse.key=true",
            "--property",
            "parse.headers=true",
            "--property",
            "null.marker=NULL",
        ],
        PRODUCER_INPUT.as_bytes(),
    );
    let props = [
        "print.key=true",
        "print.headers=true",
        "print.partition=true",
        "print.offset=true",
    ];
    let mut args = vec![
        "--bootstrap-server",
        b,
        "--topic",
        "kafka-made",
        "--partition",
        "0",
        "--offset",
        "earliest",
        "--max-messages",
        "4",
    ];
    for p in props {
        args.extend(["--property", p]);
    }
    let java = kafka_tool_ok(KafkaVersion::V4, CONSOLE_CONSUMER, &args, b"");
    let mut ours_args = vec!["console-consumer"];
    ours_args.extend(&args);
    let ours = rkafka_in(&ours_args, b"");
    assert_eq!(code(&ours), 0, "{}", stderr(&ours));
    let expected = "Partition:0\tOffset:0\th1:v1,h2:v2\tk1\tvalue one\n\
                    Partition:0\tOffset:1\th3:null\tnull\tv2\n\
                    Partition:0\tOffset:2\th1:a,h1:b\tk3\tnull\n\
                    Partition:0\tOffset:3\tx:y\t\tempty key\n";
    assert_eq!(stdout(&ours), expected);
    assert_eq!(stdout(&ours), without_notes(&java.stdout));

    // kcat in the middle: the same records, headers included, from rkafka's broker. (kcat's
    // -Z prints a zero-length key as NULL too; Kafka's consumer above shows it is empty.)
    let kcat = kcat_ok(
        &[
            "-C",
            "-b",
            b,
            "-t",
            "kafka-made",
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%h|%k|%s\\n",
            "-Z",
        ],
        b"",
    );
    assert_eq!(
        stdout(&kcat),
        "h1=v1,h2=v2|k1|value one\nh3=NULL|NULL|v2\nh1=a,h1=b|k3|NULL\nx=y|NULL|empty key\n"
    );
}

#[test]
fn rkafka_console_producer_to_rkafka_broker_read_by_kcat_and_kafka_python() {
    let broker = Standalone::start();
    let b = broker.bootstrap.as_str();
    let lines: String = (0..500).map(|i| format!("key-{i}:value {i}\n")).collect();
    let out = rkafka_in(
        &[
            "console-producer",
            "--bootstrap-server",
            b,
            "--topic",
            "ours",
            "--property",
            "parse.key=true",
            "--property",
            "key.separator=:",
            "--compression-codec",
            "zstd",
        ],
        lines.as_bytes(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    let kcat = kcat_ok(
        &[
            "-C",
            "-b",
            b,
            "-t",
            "ours",
            "-o",
            "beginning",
            "-e",
            "-q",
            "-f",
            "%k:%s\\n",
        ],
        b"",
    );
    assert_eq!(stdout(&kcat), lines);

    let script = r#"
import sys
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1], consumer_timeout_ms=5000)
tp = TopicPartition(sys.argv[2], 0)
c.assign([tp]); c.seek_to_beginning(tp)
for m in c:
    sys.stdout.write("%s:%s\n" % (m.key.decode(), m.value.decode()))
    if m.offset == int(sys.argv[3]) - 1:
        break
"#;
    let py = common::kafka::run_bounded(
        {
            let mut c = Command::new("python3");
            c.args(["-c", script, b, "ours", "500"]);
            c
        },
        b"",
        Duration::from_secs(60),
    );
    assert_eq!(code(&py), 0, "{}", stderr(&py));
    assert_eq!(stdout(&py), lines);
}

#[test]
fn kcat_and_kafka_python_produce_rkafka_console_consumer_reads() {
    let broker = Standalone::start();
    let b = broker.bootstrap.as_str();
    kcat_ok(
        &["-P", "-b", b, "-t", "theirs", "-K", ":", "-z", "lz4"],
        b"a:from kcat 1\nb:from kcat 2\n",
    );
    let script = r#"
import sys
from kafka import KafkaProducer
p = KafkaProducer(bootstrap_servers=sys.argv[1], compression_type="gzip", acks="all")
for i in range(3):
    p.send(sys.argv[2], key=b"py", value=("from python %d" % i).encode(),
           headers=[("h", b"x")]).get(timeout=30)
p.close()
"#;
    let py = common::kafka::run_bounded(
        {
            let mut c = Command::new("python3");
            c.args(["-c", script, b, "theirs"]);
            c
        },
        b"",
        Duration::from_secs(60),
    );
    assert_eq!(code(&py), 0, "{}", stderr(&py));
    let out = rkafka_in(
        &[
            "console-consumer",
            "--bootstrap-server",
            b,
            "--topic",
            "theirs",
            "--from-beginning",
            "--max-messages",
            "5",
            "--property",
            "print.key=true",
            "--property",
            "print.headers=true",
        ],
        b"",
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "NO_HEADERS\ta\tfrom kcat 1\n\
         NO_HEADERS\tb\tfrom kcat 2\n\
         h:x\tpy\tfrom python 0\n\
         h:x\tpy\tfrom python 1\n\
         h:x\tpy\tfrom python 2\n"
    );
    assert!(
        stderr(&out).contains("Processed a total of 5 messages"),
        "{}",
        stderr(&out)
    );
}
