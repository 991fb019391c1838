//! Partition choice, pure: Java's built-in partitioner (murmur2 of the serialized key for
//! keyed records, sticky partitions for keyless ones as KIP-480/KIP-794 describe) and
//! `RoundRobinPartitioner`. Randomness comes in as a seed, so choices are reproducible.

use std::collections::HashMap;

/// Kafka's `Utils.murmur2`: 32-bit MurmurHash2 with seed 0x9747b28c, over `data` as signed
/// Java bytes (the tail bytes are mixed in the same order as Java's switch fall-through).
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    // Java keeps the length in an int; keys beyond 2 GiB cannot reach a producer anyway.
    let mut h: u32 = SEED ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if let Some(&b) = tail.first() {
        h ^= u32::from(b);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on MIN).
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition Java's default partitioner gives a keyed record: `toPositive(murmur2(key))
/// % numPartitions`. `num_partitions` must be positive; 0 gives partition 0.
pub fn partition_for_key(key: &[u8], num_partitions: i32) -> i32 {
    if num_partitions <= 0 {
        return 0;
    }
    to_positive(murmur2(key)) % num_partitions
}

/// Which strategy `partitioner.class` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionerKind {
    /// Unset (Kafka 3.3+'s built-in partitioner) or the deprecated DefaultPartitioner /
    /// UniformStickyPartitioner names.
    BuiltIn,
    /// `org.apache.kafka.clients.producer.RoundRobinPartitioner`: every record, keyed or not,
    /// goes to the next partition in turn.
    RoundRobin,
}

impl PartitionerKind {
    /// The kind a `partitioner.class` value names, or `None` for a class rkafka lacks.
    pub fn from_class(class: &str) -> Option<PartitionerKind> {
        match class.trim() {
            ""
            | "org.apache.kafka.clients.producer.internals.DefaultPartitioner"
            | "org.apache.kafka.clients.producer.UniformStickyPartitioner" => {
                Some(PartitionerKind::BuiltIn)
            }
            "org.apache.kafka.clients.producer.RoundRobinPartitioner" => {
                Some(PartitionerKind::RoundRobin)
            }
            _ => None,
        }
    }
}

/// Per-topic stickiness: the partition keyless records go to and how many bytes went there.
#[derive(Debug, Clone, Copy)]
struct Sticky {
    partition: i32,
    bytes: usize,
}

/// The producer's partitioner state. Invariant: every returned partition is in
/// `0..num_partitions`.
#[derive(Debug)]
pub struct Partitioner {
    kind: PartitionerKind,
    ignore_keys: bool,
    /// Bytes sent to a sticky partition before switching (`batch.size`, as KIP-794).
    switch_after: usize,
    sticky: HashMap<String, Sticky>,
    round_robin: HashMap<String, u32>,
    /// xorshift64 state; never 0.
    rng: u64,
}

impl Partitioner {
    /// `switch_after` is `batch.size` in bytes; `seed` feeds the random sticky choices.
    pub fn new(kind: PartitionerKind, ignore_keys: bool, switch_after: usize, seed: u64) -> Self {
        Partitioner {
            kind,
            ignore_keys,
            switch_after: switch_after.max(1),
            sticky: HashMap::new(),
            round_robin: HashMap::new(),
            rng: seed | 1,
        }
    }

    fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }

    /// Chooses the partition of one record of `size` bytes for `topic` with `num_partitions`
    /// partitions, of which `available` (those with a leader) are preferred for keyless
    /// records. Returns `None` only when `num_partitions` is not positive.
    pub fn partition(
        &mut self,
        topic: &str,
        key: Option<&[u8]>,
        size: usize,
        num_partitions: i32,
        available: &[i32],
    ) -> Option<i32> {
        if num_partitions <= 0 {
            return None;
        }
        let pool: Vec<i32> = available
            .iter()
            .copied()
            .filter(|p| (0..num_partitions).contains(p))
            .collect();
        match (self.kind, key) {
            (PartitionerKind::RoundRobin, _) => {
                let counter = self.round_robin.entry(topic.to_string()).or_insert(0);
                let n = *counter;
                *counter = counter.wrapping_add(1);
                let value = (n & 0x7fff_ffff) as usize;
                Some(if pool.is_empty() {
                    (value % num_partitions as usize) as i32
                } else {
                    pool[value % pool.len()]
                })
            }
            (PartitionerKind::BuiltIn, Some(k)) if !self.ignore_keys => {
                Some(partition_for_key(k, num_partitions))
            }
            (PartitionerKind::BuiltIn, _) => {
                Some(self.sticky_partition(topic, size, num_partitions, &pool))
            }
        }
    }

    /// KIP-794: stay on one partition until `batch.size` bytes went there, then move to a
    /// random other one (among available partitions when any).
    fn sticky_partition(&mut self, topic: &str, size: usize, num: i32, pool: &[i32]) -> i32 {
        let current = self.sticky.get(topic).copied();
        let valid = |p: i32| (0..num).contains(&p) && (pool.is_empty() || pool.contains(&p));
        let partition = match current {
            Some(s) if valid(s.partition) && s.bytes < self.switch_after => s.partition,
            previous => {
                let choices: Vec<i32> = if pool.is_empty() {
                    (0..num).collect()
                } else {
                    pool.to_vec()
                };
                let others: Vec<i32> = choices
                    .iter()
                    .copied()
                    .filter(|&p| Some(p) != previous.map(|s| s.partition))
                    .collect();
                let from = if others.is_empty() { &choices } else { &others };
                let r = self.random();
                let pick = from
                    .get((r % from.len().max(1) as u64) as usize)
                    .copied()
                    .unwrap_or(0);
                self.sticky.insert(
                    topic.to_string(),
                    Sticky {
                        partition: pick,
                        bytes: 0,
                    },
                );
                pick
            }
        };
        if let Some(s) = self.sticky.get_mut(topic) {
            s.bytes = s.bytes.saturating_add(size);
        }
        partition
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_java_for_known_keys() {
        // Kafka's UtilsTest.testMurmur2 vectors (every tail length occurs).
        let cases: &[(&[u8], i32)] = &[
            (b"21", -973932308),
            (b"foobar", -790332482),
            (b"a-little-bit-long-string", -985981536),
            (b"a-little-bit-longer-string", -1486304829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58897971,
            ),
            (b"abc", 479470107),
        ];
        for (key, want) in cases {
            assert_eq!(murmur2(key), *want, "{}", String::from_utf8_lossy(key));
        }
        assert_eq!(to_positive(i32::MIN), 0);
        assert_eq!(to_positive(-1), i32::MAX);
        // Keys land where Java puts them: checked against Kafka's producer in tests/producer.rs
        // for 1,000 keys; here the pure properties.
        for key in [&b"k"[..], b"ke", b"key", b"key1", b"key12"] {
            let p = partition_for_key(key, 7);
            assert!((0..7).contains(&p));
            assert_eq!(p, partition_for_key(key, 7));
        }
    }

    #[test]
    fn sticky_switches_after_batch_size_and_round_robin_cycles() {
        let mut p = Partitioner::new(PartitionerKind::BuiltIn, false, 100, 42);
        let first = p.partition("t", None, 60, 4, &[]).unwrap();
        assert_eq!(p.partition("t", None, 60, 4, &[]).unwrap(), first);
        let next = p.partition("t", None, 60, 4, &[]).unwrap();
        assert_ne!(
            next, first,
            "switches once batch.size bytes went to one partition"
        );
        // Only available partitions are chosen for keyless records.
        for _ in 0..50 {
            let q = p.partition("u", None, 500, 4, &[2]).unwrap();
            assert_eq!(q, 2);
        }
        // Keys ignore availability and stickiness.
        assert_eq!(
            p.partition("t", Some(b"key"), 1, 4, &[2]),
            Some(partition_for_key(b"key", 4))
        );
        let mut rr = Partitioner::new(PartitionerKind::RoundRobin, false, 100, 1);
        let got: Vec<i32> = (0..6)
            .map(|_| rr.partition("t", Some(b"k"), 1, 3, &[]).unwrap())
            .collect();
        assert_eq!(got, vec![0, 1, 2, 0, 1, 2]);
        assert_eq!(rr.partition("t", None, 1, 0, &[]), None);
        assert_eq!(
            PartitionerKind::from_class("org.apache.kafka.clients.producer.RoundRobinPartitioner"),
            Some(PartitionerKind::RoundRobin)
        );
        assert_eq!(PartitionerKind::from_class("com.example.Mine"), None);
    }
}
