//! One broker's connection, owned by its own task so that a request travels and its reply is
//! read and decoded while the consumer hands out the records of the previous reply. The
//! consumer sends one [`Job`] at a time per broker (one in-flight fetch per broker) and reads
//! every reply from a single channel shared by all links.

use tokio::sync::mpsc;

use crate::client::BrokerConnection;
use crate::net::NetError;
use crate::protocol::messages::{FetchRequest, ListOffsetsRequest, Response};

/// A request for a broker, tagged so the reply can be matched with what was asked.
#[derive(Debug)]
pub enum Job {
    Fetch {
        version: i16,
        request: FetchRequest,
    },
    ListOffsets {
        version: i16,
        request: ListOffsetsRequest,
    },
}

/// A broker's reply to a [`Job`] (or the error that ended the link).
#[derive(Debug)]
pub struct Reply {
    pub broker: i32,
    pub result: Result<Response, NetError>,
}

/// The consumer's handle on a broker's task. Dropping it ends the task (and closes the
/// connection) once the job in progress is done.
#[derive(Debug)]
pub struct Link {
    jobs: mpsc::UnboundedSender<Job>,
    /// The negotiated Fetch version.
    pub fetch_version: i16,
    /// The negotiated ListOffsets version.
    pub list_offsets_version: i16,
}

impl Link {
    /// Starts the task for `conn`; replies go to `replies`.
    pub fn spawn(
        broker: i32,
        mut conn: BrokerConnection,
        replies: mpsc::UnboundedSender<Reply>,
        fetch_version: i16,
        list_offsets_version: i16,
    ) -> Link {
        let (jobs, mut rx) = mpsc::unbounded_channel::<Job>();
        tokio::spawn(async move {
            while let Some(job) = rx.recv().await {
                let result = match &job {
                    Job::Fetch { version, request } => conn.conn.request(*version, request).await,
                    Job::ListOffsets { version, request } => {
                        conn.conn.request(*version, request).await
                    }
                };
                let failed = result.is_err();
                if replies.send(Reply { broker, result }).is_err() || failed {
                    return;
                }
            }
        });
        Link {
            jobs,
            fetch_version,
            list_offsets_version,
        }
    }

    /// Hands `job` to the task; false when the task has ended (its error was reported).
    pub fn send(&mut self, job: Job) -> bool {
        self.jobs.send(job).is_ok()
    }
}
