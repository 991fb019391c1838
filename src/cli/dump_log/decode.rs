//! Kafka's built-in decoders for `--key-decoder-class` / `--value-decoder-class`: how a
//! record's key or value bytes are shown with `--print-data-log`.
//!
//! Kafka loads a Java class by name; rkafka knows the four that ship with Kafka, under their
//! class names (current and deprecated) and short names. Custom classes cannot be loaded.

use super::output::Decoded;

/// A built-in decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoder {
    /// UTF-8 text; invalid sequences become U+FFFD, as Java's `new String(bytes, UTF_8)` does.
    #[default]
    String,
    /// The raw bytes, shown as lowercase hex (Kafka's `DefaultDecoder` prints a Java array
    /// identity such as `[B@1b6d3586`, which says nothing about the bytes).
    Bytes,
    /// A big-endian int32 from the first 4 bytes, as Kafka's `IntegerDecoder`.
    Integer,
    /// A big-endian int64 from the first 8 bytes, as Kafka's `LongDecoder`.
    Long,
}

/// Names accepted for each decoder: short names, then Kafka's class names. The
/// `kafka.serializer.*` names are deprecated in Kafka 3.8 and noted as such.
const NAMES: &[(Decoder, &[&str])] = &[
    (
        Decoder::String,
        &[
            "string",
            "org.apache.kafka.tools.api.StringDecoder",
            "kafka.serializer.StringDecoder",
        ],
    ),
    (
        Decoder::Bytes,
        &[
            "bytes",
            "default",
            "org.apache.kafka.tools.api.DefaultDecoder",
            "kafka.serializer.DefaultDecoder",
        ],
    ),
    (
        Decoder::Integer,
        &[
            "integer",
            "int",
            "org.apache.kafka.tools.api.IntegerDecoder",
            "kafka.serializer.IntegerDecoder",
        ],
    ),
    (
        Decoder::Long,
        &[
            "long",
            "org.apache.kafka.tools.api.LongDecoder",
            "kafka.serializer.LongDecoder",
        ],
    ),
];

/// Help text listing the accepted names.
pub const HELP_NAMES: &str = "string (default; org.apache.kafka.tools.api.StringDecoder), \
     bytes (default, DefaultDecoder; printed as hex), integer (IntegerDecoder), long (LongDecoder); \
     kafka.serializer.* class names are accepted too";

impl Decoder {
    /// The decoder `name` stands for, with a deprecation note for `kafka.serializer.*` names.
    pub fn from_name(name: &str) -> Result<(Decoder, Option<String>), String> {
        for (decoder, names) in NAMES {
            if names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                let note = name.strip_prefix("kafka.serializer.").map(|class| {
                    format!(
                        "{name} is deprecated. Please use org.apache.kafka.tools.api.{class} instead"
                    )
                });
                return Ok((*decoder, note));
            }
        }
        Err(format!(
            "unknown decoder {name:?}: only Kafka's built-in decoders are available: {HELP_NAMES}"
        ))
    }

    /// Decodes `bytes`, or says why they cannot be decoded.
    pub fn decode(self, bytes: &[u8]) -> Result<Decoded, String> {
        match self {
            Decoder::String => Ok(Decoded::Text(String::from_utf8_lossy(bytes).into_owned())),
            Decoder::Bytes => {
                let mut hex = String::with_capacity(bytes.len() * 2);
                for b in bytes {
                    hex.push_str(&format!("{b:02x}"));
                }
                Ok(Decoded::Text(hex))
            }
            Decoder::Integer => match bytes {
                [a, b, c, d, ..] => Ok(Decoded::Number(i64::from(i32::from_be_bytes([
                    *a, *b, *c, *d,
                ])))),
                _ => Err(format!(
                    "{} bytes are too few for an integer (4)",
                    bytes.len()
                )),
            },
            Decoder::Long => match bytes.first_chunk::<8>() {
                Some(first) => Ok(Decoded::Number(i64::from_be_bytes(*first))),
                None => Err(format!("{} bytes are too few for a long (8)", bytes.len())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_with_deprecation_notes() {
        assert_eq!(
            Decoder::from_name("string").unwrap(),
            (Decoder::String, None)
        );
        assert_eq!(
            Decoder::from_name("org.apache.kafka.tools.api.LongDecoder").unwrap(),
            (Decoder::Long, None)
        );
        let (d, note) = Decoder::from_name("kafka.serializer.IntegerDecoder").unwrap();
        assert_eq!(d, Decoder::Integer);
        assert_eq!(
            note.unwrap(),
            "kafka.serializer.IntegerDecoder is deprecated. Please use \
             org.apache.kafka.tools.api.IntegerDecoder instead"
        );
        assert_eq!(Decoder::from_name("default").unwrap().0, Decoder::Bytes);
        let err = Decoder::from_name("com.example.MyDecoder").unwrap_err();
        assert!(err.contains("com.example.MyDecoder"), "{err}");
    }

    #[test]
    fn decoding() {
        assert_eq!(
            Decoder::String.decode(b"h\xffi").unwrap(),
            Decoded::Text("h\u{fffd}i".into())
        );
        assert_eq!(
            Decoder::Bytes.decode(&[0, 0xab, 0x10]).unwrap(),
            Decoded::Text("00ab10".into())
        );
        assert_eq!(
            Decoder::Integer.decode(&(-7i32).to_be_bytes()).unwrap(),
            Decoded::Number(-7)
        );
        assert_eq!(
            Decoder::Long.decode(&(1i64 << 40).to_be_bytes()).unwrap(),
            Decoded::Number(1 << 40)
        );
        assert!(Decoder::Integer.decode(b"abc").is_err());
        assert!(Decoder::Long.decode(b"abcdefg").is_err());
    }
}
