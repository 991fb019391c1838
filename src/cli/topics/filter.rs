//! The `--topic` pattern of list, describe, alter and delete, as Kafka's `IncludeList` reads
//! it: surrounding quotes dropped, ',' meaning '|', spaces removed, and a topic matches only
//! when the whole name matches.

use regex_automata::meta::Regex;

use crate::admin::topic_name;

/// A compiled `--topic` pattern.
#[derive(Debug, Clone)]
pub struct TopicFilter {
    /// `--topic` as typed, as Kafka's "does not exist" message shows it.
    raw: String,
    /// The pattern after Kafka's rewriting, as shown in the invalid-regex message.
    pattern: String,
    regex: Regex,
}

impl PartialEq for TopicFilter {
    fn eq(&self, other: &Self) -> bool {
        self.pattern == other.pattern
    }
}

impl Eq for TopicFilter {}

impl TopicFilter {
    /// Compiles `raw`; the error is Kafka's "<regex> is an invalid regex.".
    pub fn new(raw: &str) -> Result<TopicFilter, String> {
        let pattern: String = raw
            .trim()
            .replace(',', "|")
            .replace(' ', "")
            .trim_start_matches(['"', '\''])
            .trim_end_matches(['"', '\''])
            .to_string();
        let regex = Regex::new(&format!("^(?:{pattern})$"))
            .map_err(|_| format!("{pattern} is an invalid regex."))?;
        Ok(TopicFilter {
            raw: raw.to_string(),
            pattern,
            regex,
        })
    }

    /// `--topic` as typed.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The pattern as given (after Kafka's rewriting).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// Whether `topic` matches (the whole name) and is not an excluded internal topic.
    pub fn allows(&self, topic: &str, exclude_internal: bool) -> bool {
        self.regex.is_match(topic) && !(exclude_internal && topic_name::is_internal(topic))
    }
}

/// The topics of `all` (sorted by the caller) selected by `filter` and `exclude_internal`.
pub fn select(all: &[String], filter: Option<&TopicFilter>, exclude_internal: bool) -> Vec<String> {
    all.iter()
        .filter(|t| match filter {
            Some(f) => f.allows(t, exclude_internal),
            None => !(exclude_internal && topic_name::is_internal(t)),
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kafkas_include_list_rules() {
        let f = TopicFilter::new("test").unwrap();
        assert!(f.allows("test", false));
        assert!(!f.allows("test5", false), "whole-name match");
        let f = TopicFilter::new("\"test.*\"").unwrap();
        assert!(f.allows("test5", false));
        let f = TopicFilter::new("a, b").unwrap();
        assert_eq!(f.pattern(), "a|b");
        assert_eq!(f.raw(), "a, b");
        assert!(f.allows("b", false));
        let f = TopicFilter::new("__.*").unwrap();
        assert!(f.allows("__consumer_offsets", false));
        assert!(!f.allows("__consumer_offsets", true));
        assert_eq!(
            TopicFilter::new("([").unwrap_err(),
            "([ is an invalid regex."
        );
        let all: Vec<String> = ["__consumer_offsets", "a", "b"].map(String::from).to_vec();
        assert_eq!(select(&all, None, true), ["a", "b"]);
        assert_eq!(select(&all, None, false).len(), 3);
    }
}
