//! Kafka's topic name rules (`org.apache.kafka.common.internals.Topic`): legal characters
//! `[a-zA-Z0-9._-]`, at most 249 characters, not `.` or `..`; which topics are internal; and
//! the '.'/'_' collision (both become '_' in metric names).

/// The longest legal topic name, in characters (bytes: the legal characters are ASCII).
pub const MAX_NAME_LENGTH: usize = 249;

/// `__consumer_offsets`: group offsets and metadata.
pub const GROUP_METADATA_TOPIC: &str = "__consumer_offsets";
/// `__transaction_state`: the transaction coordinator's log.
pub const TRANSACTION_STATE_TOPIC: &str = "__transaction_state";

/// Why a topic name is illegal; the text is Kafka's `InvalidTopicException` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTopicName {
    #[error("Topic name is illegal, it can't be empty")]
    Empty,
    #[error("Topic name cannot be \".\" or \"..\"")]
    Dots,
    #[error(
        "Topic name is illegal, it can't be longer than {MAX_NAME_LENGTH} characters, topic name: {name}"
    )]
    TooLong { name: String },
    #[error(
        "Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
    )]
    IllegalChars { name: String },
}

/// Checks `name` against Kafka's rules.
pub fn validate(name: &str) -> Result<(), InvalidTopicName> {
    if name.is_empty() {
        return Err(InvalidTopicName::Empty);
    }
    if name == "." || name == ".." {
        return Err(InvalidTopicName::Dots);
    }
    if name.chars().count() > MAX_NAME_LENGTH {
        return Err(InvalidTopicName::TooLong {
            name: name.to_string(),
        });
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
    {
        return Err(InvalidTopicName::IllegalChars {
            name: name.to_string(),
        });
    }
    Ok(())
}

/// Whether `name` is one of Kafka's internal topics.
pub fn is_internal(name: &str) -> bool {
    name == GROUP_METADATA_TOPIC || name == TRANSACTION_STATE_TOPIC
}

/// Whether `name` has a '.' or '_', which may collide with another topic in metric names.
pub fn has_collision_chars(name: &str) -> bool {
    name.contains(['.', '_'])
}

/// `name` with '.' replaced by '_': two topics collide when these are equal.
pub fn unify_collision_chars(name: &str) -> String {
    name.replace('.', "_")
}

/// Kafka's warning printed when creating a topic with collision characters.
pub const COLLISION_WARNING: &str = "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. To avoid issues it is best to use either, but not both.";

/// The existing topics `name` collides with (same name after unifying '.' and '_', but not
/// `name` itself).
pub fn collisions<'a>(name: &str, existing: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    if !has_collision_chars(name) {
        return Vec::new();
    }
    let unified = unify_collision_chars(name);
    existing
        .into_iter()
        .filter(|t| *t != name && unify_collision_chars(t) == unified)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legal_names() {
        for ok in ["test", "a.b_c-D9", "...", &"x".repeat(249)] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn illegal_names_get_kafkas_messages() {
        assert_eq!(
            validate("").unwrap_err().to_string(),
            "Topic name is illegal, it can't be empty"
        );
        assert_eq!(
            validate("..").unwrap_err().to_string(),
            "Topic name cannot be \".\" or \"..\""
        );
        assert!(matches!(validate("."), Err(InvalidTopicName::Dots)));
        let long = "x".repeat(250);
        assert_eq!(
            validate(&long).unwrap_err().to_string(),
            format!(
                "Topic name is illegal, it can't be longer than 249 characters, topic name: {long}"
            )
        );
        for bad in ["a b", "a/b", "é", "a:b", "a*"] {
            assert_eq!(
                validate(bad).unwrap_err().to_string(),
                format!(
                    "Topic name \"{bad}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
                )
            );
        }
    }

    #[test]
    fn internal_topics_and_collisions() {
        assert!(is_internal("__consumer_offsets"));
        assert!(is_internal("__transaction_state"));
        assert!(!is_internal("__other"));
        assert!(has_collision_chars("a.b"));
        assert!(!has_collision_chars("a-b"));
        assert_eq!(collisions("a.b", ["a_b", "a.b", "ab", "a-b"]), ["a_b"]);
        assert!(collisions("ab", ["ab"]).is_empty());
    }
}
