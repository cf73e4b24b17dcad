//! kill -9 of the real server while four clients write: after the restart, every write
//! any client was told succeeded has its event delivered (compared key by key).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{queue_config, Receiver};
use crate::support::process::{ServeProcess, AK, SK};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_writes_loses_no_event_of_an_acknowledged_write() {
    let hook = Receiver::start().await;
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let config = tmp.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[[notify.targets]]\nid = \"hooks\"\nkind = \"webhook\"\nurl = \"{}\"\n",
            hook.url
        ),
    )
    .expect("config");
    let start = {
        let (data, config) = (data.clone(), config.clone());
        move || ServeProcess::start_with_config(&data, Some(&config))
    };
    let server = tokio::task::spawn_blocking(start.clone())
        .await
        .expect("start");
    let client = server.client();
    client
        .create_bucket()
        .bucket("crash")
        .send()
        .await
        .expect("bucket");
    let xml = format!(
        "<NotificationConfiguration>{}</NotificationConfiguration>",
        queue_config(
            "arn:originstore:sqs::hooks:webhook",
            &["s3:ObjectCreated:*"],
            "",
            ""
        )
    );
    let resp = crate::support::server::signed_request(
        &server.endpoint,
        (AK, SK),
        http::Method::PUT,
        "/crash?notification",
        http::HeaderMap::new(),
    )
    .body(xml)
    .send()
    .await
    .expect("sent");
    assert_eq!(resp.status(), 200);

    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (client, acknowledged) = (client.clone(), acknowledged.clone());
            tokio::spawn(async move {
                for i in 0.. {
                    let key = format!("w{w}/{i:05}");
                    let put = client
                        .put_object()
                        .bucket("crash")
                        .key(&key)
                        .body(key.clone().into_bytes().into())
                        .send()
                        .await;
                    match put {
                        Ok(_) => {
                            acknowledged.lock().expect("lock").insert(key);
                        }
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    for w in writers {
        let _ = w.await;
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() > 20,
        "writes were acknowledged before the kill: {}",
        acknowledged.len()
    );

    let _restarted = tokio::task::spawn_blocking(start).await.expect("restart");
    let delivered = || -> BTreeSet<String> {
        hook.bodies()
            .iter()
            .filter_map(|b| {
                b["Records"][0]["s3"]["object"]["key"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect()
    };
    for _ in 0..600 {
        if acknowledged.is_subset(&delivered()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let missing: Vec<_> = acknowledged.difference(&delivered()).cloned().collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged writes without an event: {missing:?}",
        missing.len()
    );
}
