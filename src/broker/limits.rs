//! Connection counting for `max.connections` and `max.connections.per.ip`: a connection is
//! admitted only with a [`ConnectionPermit`], which gives its slot back when dropped, so the
//! counts stay right however a connection ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};

/// Why a connection was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("max.connections ({max}) reached")]
    Total { max: usize },
    #[error("max.connections.per.ip ({max}) reached for {ip}")]
    PerIp { ip: IpAddr, max: usize },
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// The limits and the live counts. Invariant: `total` equals the sum of `per_ip`, and both
/// equal the number of live permits.
#[derive(Debug)]
pub struct ConnectionLimits {
    max_total: usize,
    max_per_ip: usize,
    counts: Mutex<Counts>,
}

/// One admitted connection's slot.
#[derive(Debug)]
pub struct ConnectionPermit {
    limits: Arc<ConnectionLimits>,
    ip: IpAddr,
}

impl ConnectionLimits {
    pub fn new(max_total: usize, max_per_ip: usize) -> Arc<ConnectionLimits> {
        Arc::new(ConnectionLimits {
            max_total,
            max_per_ip,
            counts: Mutex::new(Counts::default()),
        })
    }

    /// Admits a connection from `ip` if both limits allow it.
    pub fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionPermit, Refused> {
        // The counts are updated in single steps, so a poisoned lock still holds whole numbers.
        let mut c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if c.total >= self.max_total {
            return Err(Refused::Total {
                max: self.max_total,
            });
        }
        let from_ip = c.per_ip.entry(ip).or_insert(0);
        if *from_ip >= self.max_per_ip {
            let max = self.max_per_ip;
            if *from_ip == 0 {
                c.per_ip.remove(&ip);
            }
            return Err(Refused::PerIp { ip, max });
        }
        *from_ip += 1;
        c.total += 1;
        Ok(ConnectionPermit {
            limits: Arc::clone(self),
            ip,
        })
    }

    /// Live connections in total and from `ip`.
    pub fn count(&self, ip: IpAddr) -> (usize, usize) {
        let c = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        (c.total, c.per_ip.get(&ip).copied().unwrap_or(0))
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut c = self
            .limits
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_ip.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                c.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_ip_and_total_limits() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let limits = ConnectionLimits::new(3, 2);
        let a1 = limits.try_acquire(a).unwrap();
        let _a2 = limits.try_acquire(a).unwrap();
        assert_eq!(
            limits.try_acquire(a).unwrap_err(),
            Refused::PerIp { ip: a, max: 2 }
        );
        let _b1 = limits.try_acquire(b).unwrap();
        assert_eq!(
            limits.try_acquire(b).unwrap_err(),
            Refused::Total { max: 3 }
        );
        drop(a1);
        assert_eq!(limits.count(a), (2, 1));
        let _a3 = limits.try_acquire(a).unwrap();
        assert_eq!(limits.count(b), (3, 1));
    }

    #[test]
    fn zero_per_ip_refuses_without_leaking_entries() {
        let a: IpAddr = "::1".parse().unwrap();
        let limits = ConnectionLimits::new(10, 0);
        assert!(limits.try_acquire(a).is_err());
        assert_eq!(limits.count(a), (0, 0));
        assert!(limits.counts.lock().unwrap().per_ip.is_empty());
    }
}
