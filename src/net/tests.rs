use super::*;
use crate::protocol::messages::ApiVersionsRequest;
use tokio::net::TcpListener;

fn entry(id: i32) -> InFlight {
    InFlight {
        correlation_id: id,
        api_key: ApiKey::Metadata,
        version: 1,
    }
}

#[test]
fn replies_match_in_order() {
    let mut q: VecDeque<_> = [entry(5), entry(6)].into_iter().collect();
    assert_eq!(match_reply(&mut q, 5, "h:1").unwrap().correlation_id, 5);
    let err = match_reply(&mut q, 7, "h:1").unwrap_err();
    assert!(matches!(
        err,
        NetError::CorrelationMismatch {
            expected: 6,
            got: 7,
            ..
        }
    ));
    assert!(err.to_string().contains("h:1"));
    assert_eq!(match_reply(&mut q, 6, "h:1").unwrap().correlation_id, 6);
    assert!(matches!(
        match_reply(&mut q, 6, "h:1"),
        Err(NetError::Unsolicited { .. })
    ));
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A fake broker answering each request with an ApiVersions v0 reply carrying the
/// correlation id `reply_id(request_id)`.
async fn fake_broker(reply_id: fn(i32) -> i32, announce: Option<i32>) -> HostPort {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        loop {
            let mut len = [0u8; 4];
            if s.read_exact(&mut len).await.is_err() {
                return;
            }
            let mut req = vec![0u8; i32::from_be_bytes(len) as usize];
            s.read_exact(&mut req).await.unwrap();
            let id = i32::from_be_bytes([req[4], req[5], req[6], req[7]]);
            // header v0 (correlation id) + ApiVersions v0 body: error 0, empty array.
            let mut body = reply_id(id).to_be_bytes().to_vec();
            body.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            let size = announce.unwrap_or(body.len() as i32);
            s.write_all(&size.to_be_bytes()).await.unwrap();
            s.write_all(&body).await.unwrap();
        }
    });
    HostPort {
        host: "127.0.0.1".into(),
        port,
    }
}

#[test]
fn pipelined_requests_get_their_replies() {
    rt().block_on(async {
        let addr = fake_broker(|id| id, None).await;
        let mut c = Connection::connect(&addr, ConnectionSettings::default())
            .await
            .unwrap();
        for _ in 0..3 {
            c.send(0, &ApiVersionsRequest::default()).await.unwrap();
        }
        assert_eq!(c.in_flight(), 3);
        for want in 0..3 {
            let (e, r) = c.recv().await.unwrap();
            assert_eq!(e.correlation_id, want);
            assert!(matches!(r, Response::ApiVersions(_)));
        }
    });
}

#[test]
fn wrong_correlation_closes_the_connection() {
    rt().block_on(async {
        let addr = fake_broker(|id| id + 100, None).await;
        let mut c = Connection::connect(&addr, ConnectionSettings::default())
            .await
            .unwrap();
        let err = c
            .request(0, &ApiVersionsRequest::default())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            NetError::CorrelationMismatch {
                expected: 0,
                got: 100,
                ..
            }
        ));
        let again = c
            .request(0, &ApiVersionsRequest::default())
            .await
            .unwrap_err();
        assert!(matches!(again, NetError::Broken { .. }));
    });
}

#[test]
fn oversized_frame_is_refused() {
    rt().block_on(async {
        let addr = fake_broker(|id| id, Some(1 << 30)).await;
        let settings = ConnectionSettings {
            max_response_bytes: 1024,
            ..ConnectionSettings::default()
        };
        let mut c = Connection::connect(&addr, settings).await.unwrap();
        let err = c
            .request(0, &ApiVersionsRequest::default())
            .await
            .unwrap_err();
        assert!(
            matches!(err, NetError::FrameTooLarge { max: 1024, .. }),
            "{err}"
        );
    });
}

#[test]
fn refused_connection_names_the_address() {
    rt().block_on(async {
        let addr = HostPort {
            host: "127.0.0.1".into(),
            port: 1,
        };
        let err = Connection::connect(&addr, ConnectionSettings::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    });
}

#[test]
fn silent_broker_times_out_naming_it() {
    rt().block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = HostPort {
            host: "127.0.0.1".into(),
            port: listener.local_addr().unwrap().port(),
        };
        // Accepts and keeps the socket open without ever answering.
        let keep = tokio::spawn(async move { listener.accept().await.unwrap() });
        let settings = ConnectionSettings {
            request_timeout: Duration::from_millis(100),
            ..ConnectionSettings::default()
        };
        let mut c = Connection::connect(&addr, settings).await.unwrap();
        let err = c
            .request(0, &ApiVersionsRequest::default())
            .await
            .unwrap_err();
        assert!(matches!(err, NetError::Timeout { ms: 100, .. }), "{err}");
        assert!(err.to_string().contains(&addr.to_string()));
        drop(keep);
    });
}
