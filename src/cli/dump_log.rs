//! `rkafka dump-log` (`kafka-dump-log.sh`, Kafka's `kafka.tools.DumpLogSegments`): prints the
//! batches and records of `.log` segments and the entries of `.index`, `.timeindex`,
//! `.txnindex` and `.snapshot` files in Kafka's text format or as JSON lines, checking them on
//! the way.
//!
//! This file holds the flags and the step from flags to [`dumper::Settings`]; the dump is in
//! [`dumper`], the printed lines in [`output`], batch framing of segment files in [`reader`]
//! and the key/value decoders in [`decode`].

mod decode;
mod dumper;
mod output;
mod reader;

use std::io::{BufWriter, Write};

use clap::{CommandFactory, FromArgMatches};

use crate::error::Error;
use decode::Decoder;
pub use dumper::{Settings, dump};
pub use output::OutputFormat;

const ABOUT: &str = "Print the contents of log segments and their indexes";

const LONG_ABOUT: &str = "\
Parses Kafka log segment files and prints their contents, which helps debugging a seemingly \
corrupt log segment. Each file is handled by its suffix: .log (batches, and with \
--deep-iteration their records), .index (offset -> position entries, checked against the \
.log beside it), .timeindex (timestamp -> offset entries, checked likewise), .txnindex \
(aborted transactions) and .snapshot (producer state). Other files are skipped with a note.

Text output is Kafka's, line for line. With --output json every line becomes one JSON \
object on its own line, with a \"type\" field: file, log_start, batch, record, \
invalid_bytes, index_entry, time_index_entry, aborted_txn, producer_state, empty or \
sanity_check_passed.

Problems (a corrupt or truncated batch, an unreadable file, an index that disagrees with its \
log) are reported on stderr with the file, the byte position and the reason; the dump goes on \
and the exit code is 1. Non-consecutive offsets are reported but are not a problem (compacted \
topics have them).";

/// The flags of `dump-log`, as Kafka's DumpLogSegments names them.
#[derive(Debug, clap::Parser)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
pub struct DumpLogArgs {
    /// REQUIRED: the comma separated list of data and index log files to be dumped
    #[arg(
        long,
        required = true,
        value_delimiter = ',',
        value_name = "file1,file2,..."
    )]
    pub files: Vec<String>,

    /// Print the messages' content when dumping data logs; implies --deep-iteration. Set
    /// automatically if a decoder option is given.
    #[arg(long)]
    pub print_data_log: bool,

    /// Print every record, not only the batches. Set automatically by --print-data-log.
    #[arg(long)]
    pub deep_iteration: bool,

    /// Only verify index files against their logs, without printing their entries
    #[arg(long)]
    pub verify_index_only: bool,

    /// Only run the index sanity check (the one a broker runs on start to decide whether to
    /// rebuild an index), without printing entries
    #[arg(long)]
    pub index_sanity_check: bool,

    /// Size of the largest message, in bytes (bounds the batch read to verify an index entry)
    #[arg(long, value_name = "size", default_value_t = 5 * 1024 * 1024,
          value_parser = clap::value_parser!(i32).range(0..))]
    pub max_message_size: i32,

    /// Read at most this many bytes of each .log file, instead of the whole file
    #[arg(long, value_name = "size", default_value_t = i32::MAX,
          value_parser = clap::value_parser!(i32).range(0..))]
    pub max_bytes: i32,

    /// Decoder for record keys; implies --print-data-log. One of: string (the default),
    /// bytes (hex), integer, long, or Kafka's class names for them
    /// (org.apache.kafka.tools.api.StringDecoder, kafka.serializer.StringDecoder, ...)
    #[arg(long, value_name = "decoder", num_args = 0..=1, default_missing_value = "string")]
    pub key_decoder_class: Option<String>,

    /// Decoder for record values; implies --print-data-log. Same choices as
    /// --key-decoder-class
    #[arg(long, value_name = "decoder", num_args = 0..=1, default_missing_value = "string")]
    pub value_decoder_class: Option<String>,

    /// Do not print each record's metadata (offset, timestamp, sizes, sequence, headers)
    #[arg(long)]
    pub skip_record_metadata: bool,

    /// Output format: Kafka's text lines, or one JSON object per line
    #[arg(long, value_enum, value_name = "format", default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,
}

/// The clap command of the tool.
pub fn command() -> clap::Command {
    DumpLogArgs::command()
}

impl DumpLogArgs {
    /// Resolves the flags into settings, with notes (deprecated decoder names) for stderr.
    pub fn settings(self) -> Result<(Settings, Vec<String>), Error> {
        let mut notes = Vec::new();
        let mut decoder = |name: &Option<String>| -> Result<Decoder, Error> {
            match name {
                None => Ok(Decoder::default()),
                Some(n) => {
                    let (d, note) = Decoder::from_name(n).map_err(Error::Usage)?;
                    notes.extend(note);
                    Ok(d)
                }
            }
        };
        let key_decoder = decoder(&self.key_decoder_class)?;
        let value_decoder = decoder(&self.value_decoder_class)?;
        // `a.log, b.log` (as Kafka's help spells the list) names `b.log`, not ` b.log`.
        let files: Vec<String> = self
            .files
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect();
        if files.is_empty() {
            return Err(Error::Usage("--files names no file".to_string()));
        }
        let print_data = self.print_data_log
            || self.key_decoder_class.is_some()
            || self.value_decoder_class.is_some();
        let settings = Settings {
            files,
            print_data,
            deep_iteration: self.deep_iteration || print_data,
            verify_index_only: self.verify_index_only,
            index_sanity_check: self.index_sanity_check,
            // Both were checked non-negative by clap.
            max_message_size: u64::try_from(self.max_message_size).unwrap_or(0),
            max_bytes: u64::try_from(self.max_bytes).unwrap_or(0),
            key_decoder,
            value_decoder,
            skip_record_metadata: self.skip_record_metadata,
            format: self.output,
        };
        Ok((settings, notes))
    }
}

/// Runs the tool: dumps to stdout, problems to stderr; exit 1 when any problem was found.
pub fn run(matches: &clap::ArgMatches) -> Result<(), Error> {
    let args = DumpLogArgs::from_arg_matches(matches).map_err(|e| Error::Usage(e.to_string()))?;
    let (settings, notes) = args.settings()?;
    let mut err = std::io::stderr().lock();
    for note in notes {
        let _ = writeln!(err, "{note}");
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    let problems = dump(&settings, &mut out, &mut err).map_err(Error::Output)?;
    out.flush().map_err(Error::Output)?;
    match problems {
        0 => Ok(()),
        1 => Err(Error::Failed("1 problem found (see above)".to_string())),
        n => Err(Error::Failed(format!("{n} problems found (see above)"))),
    }
}
