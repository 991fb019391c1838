//! zkCli's output formats, pure: the Stat block, Java's `Date.toString()` (in UTC), ACL
//! listings, `[a, b]` lists, the error wording of zkCli, and the JSON forms of `--output json`.

use serde_json::{Value, json};

use crate::coordinator::client::{Acl, Stat, ZkError};
use crate::coordinator::proto::perms;

/// The Stat block zkCli prints (`cZxid = 0x...`), one field per line, newline-terminated.
pub fn stat_text(s: &Stat) -> String {
    format!(
        "cZxid = 0x{:x}\nctime = {}\nmZxid = 0x{:x}\nmtime = {}\npZxid = 0x{:x}\n\
         cversion = {}\ndataVersion = {}\naclVersion = {}\nephemeralOwner = 0x{:x}\n\
         dataLength = {}\nnumChildren = {}\n",
        s.czxid,
        java_date(s.ctime),
        s.mzxid,
        java_date(s.mtime),
        s.pzxid,
        s.cversion,
        s.version,
        s.aversion,
        s.ephemeral_owner,
        s.data_length,
        s.num_children
    )
}

/// The Stat as JSON, with zkCli's field names; times stay in ms since the epoch.
pub fn stat_json(s: &Stat) -> Value {
    json!({
        "cZxid": s.czxid,
        "ctime": s.ctime,
        "mZxid": s.mzxid,
        "mtime": s.mtime,
        "pZxid": s.pzxid,
        "cversion": s.cversion,
        "dataVersion": s.version,
        "aclVersion": s.aversion,
        "ephemeralOwner": s.ephemeral_owner,
        "dataLength": s.data_length,
        "numChildren": s.num_children,
    })
}

/// `ms` since the epoch as Java's `Date.toString()` prints it (`Sat Nov 28 01:19:26 UTC
/// 2026`), always in UTC.
pub fn java_date(ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1).clamp(0, 11) as usize],
        d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        y
    )
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Permission bits as zkCli prints them, in its order: c d r w a.
pub fn perm_string(p: i32) -> String {
    [
        (perms::CREATE, 'c'),
        (perms::DELETE, 'd'),
        (perms::READ, 'r'),
        (perms::WRITE, 'w'),
        (perms::ADMIN, 'a'),
    ]
    .iter()
    .filter(|(bit, _)| p & bit != 0)
    .map(|(_, c)| *c)
    .collect()
}

/// getAcl's listing: `'scheme,'id` then `: perms` for each entry.
pub fn acl_text(acl: &[Acl]) -> String {
    acl.iter()
        .map(|a| format!("'{},'{}\n: {}\n", a.scheme, a.id, perm_string(a.perms)))
        .collect()
}

/// A Java `List.toString()`: `[a, b]`.
pub fn list_text(items: &[String]) -> String {
    format!("[{}]", items.join(", "))
}

/// The message zkCli prints for a failed command.
pub fn error_text(e: &ZkError) -> String {
    let p = e.path().unwrap_or_default();
    match e {
        ZkError::NoNode { .. } => format!("Node does not exist: {p}"),
        ZkError::NoChildrenForEphemerals { .. } => format!("Ephemerals cannot have children: {p}"),
        ZkError::NodeExists { .. } => format!("Node already exists: {p}"),
        ZkError::NotEmpty { .. } => format!("Node not empty: {p}"),
        ZkError::InvalidAcl { .. } => format!("Acl is not valid : {p}"),
        ZkError::NoAuth { .. } => format!("Authentication is not valid : {p}"),
        ZkError::BadArguments { .. } => format!("Arguments are not valid : {p}"),
        ZkError::BadVersion { .. } => format!("version No is not valid : {p}"),
        ZkError::Multi { source, .. } => error_text(source),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_dates() {
        assert_eq!(java_date(0), "Thu Jan 01 00:00:00 UTC 1970");
        // 2026-11-28T01:19:26Z, as the real zkCli printed it.
        assert_eq!(java_date(1_795_828_766_123), "Sat Nov 28 01:19:26 UTC 2026");
        assert_eq!(java_date(951_782_400_000), "Tue Feb 29 00:00:00 UTC 2000");
        assert_eq!(java_date(-1000), "Wed Dec 31 23:59:59 UTC 1969");
    }

    #[test]
    fn stat_block_matches_zkcli_layout() {
        let s = Stat {
            czxid: 0x28,
            mzxid: 0x35,
            ctime: 0,
            mtime: 0,
            version: 1,
            cversion: 1,
            aversion: 0,
            ephemeral_owner: 0x1000a2b3c4d0000,
            data_length: 1,
            num_children: 1,
            pzxid: 0x2c,
        };
        assert_eq!(
            stat_text(&s),
            "cZxid = 0x28\nctime = Thu Jan 01 00:00:00 UTC 1970\nmZxid = 0x35\n\
             mtime = Thu Jan 01 00:00:00 UTC 1970\npZxid = 0x2c\ncversion = 1\n\
             dataVersion = 1\naclVersion = 0\nephemeralOwner = 0x1000a2b3c4d0000\n\
             dataLength = 1\nnumChildren = 1\n"
        );
        let neg = Stat {
            ephemeral_owner: i64::MIN,
            ..Stat::default()
        };
        assert!(stat_text(&neg).contains("ephemeralOwner = 0x8000000000000000\n"));
        assert_eq!(stat_json(&s)["dataVersion"], 1);
    }

    #[test]
    fn acls_and_lists() {
        assert_eq!(acl_text(&Acl::open_unsafe()), "'world,'anyone\n: cdrwa\n");
        assert_eq!(perm_string(perms::READ | perms::ADMIN), "ra");
        assert_eq!(list_text(&["a".into(), "b".into()]), "[a, b]");
        assert_eq!(list_text(&[]), "[]");
    }

    #[test]
    fn errors_use_zkcli_wording() {
        let e = |code| error_text(&ZkError::from_code(code, "/x"));
        assert_eq!(e(-101), "Node does not exist: /x");
        assert_eq!(e(-110), "Node already exists: /x");
        assert_eq!(e(-111), "Node not empty: /x");
        assert_eq!(e(-103), "version No is not valid : /x");
        assert_eq!(e(-102), "Authentication is not valid : /x");
        assert_eq!(e(-6), "KeeperErrorCode = Unimplemented for /x");
    }
}
