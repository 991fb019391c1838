//! Client-side consumer group membership (classic protocol). Pure parts: the embedded
//! consumer protocol ([`protocol`]), the assignors ([`assignor`]) and the member's state
//! machine ([`membership`]); the async part talks to the group coordinator
//! ([`coordinator`]). The consumer (`client::consumer::group`) drives them.

pub mod assignor;
pub mod coordinator;
pub mod membership;
pub mod protocol;

pub use assignor::Assignor;
pub use protocol::{Assignment, Subscription, TopicPartition};
