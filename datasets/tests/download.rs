//! The download path end to end against a small HTTP/1.1 server on 127.0.0.1
//! started by each test (no test reaches the internet): a good download, a
//! wrong checksum, a connection cut mid-file, a 404, and no server at all.

mod common;

use common::{md5_hex, temp_dir, write_dataset};
use datasets::{load, DataSource, DatasetKind, Error, IdxFile, Mirror, Split};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the server answers for a path.
#[derive(Clone)]
enum Reply {
    Full(Vec<u8>),
    /// Announces the full length, sends half, then closes the connection.
    Cut(Vec<u8>),
}

/// Serves `routes` until dropped (at most 60 s), counting requests.
struct Server {
    port: u16,
    stop: Arc<AtomicBool>,
    requests: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(routes: HashMap<String, Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(AtomicUsize::new(0));
        let (s, r) = (stop.clone(), requests.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !s.load(Ordering::Relaxed) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((conn, _)) => {
                        r.fetch_add(1, Ordering::Relaxed);
                        serve(conn, &routes);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Server {
            port,
            stop,
            requests,
            thread: Some(thread),
        }
    }

    fn url(&self, prefix: &str) -> String {
        format!("http://127.0.0.1:{}/{prefix}", self.port)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(mut conn: TcpStream, routes: &HashMap<String, Reply>) {
    conn.set_nonblocking(false).ok();
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16 << 10 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&req);
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let head = |len: usize| {
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")
    };
    let _ = match routes.get(&path) {
        Some(Reply::Full(body)) => conn
            .write_all(head(body.len()).as_bytes())
            .and_then(|_| conn.write_all(body)),
        Some(Reply::Cut(body)) => conn
            .write_all(head(body.len()).as_bytes())
            .and_then(|_| conn.write_all(&body[..body.len() / 2]))
            .and_then(|_| conn.flush()),
        None => conn.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        ),
    };
    let _ = conn.shutdown(std::net::Shutdown::Both);
}

/// Generated gzipped IDX files: routes under /good/ and /cut/, and their md5s.
fn fixture(name: &str) -> (HashMap<String, Reply>, Vec<(IdxFile, String)>) {
    let dir = temp_dir(&format!("{name}-src"));
    let files = write_dataset(&dir, true, 11);
    std::fs::remove_dir_all(dir).ok();
    let mut routes = HashMap::new();
    let mut md5 = Vec::new();
    for (file_name, bytes) in files {
        let file = IdxFile::ALL
            .into_iter()
            .find(|f| format!("{}.gz", f.file_name()) == file_name)
            .unwrap();
        md5.push((file, md5_hex(&bytes)));
        routes.insert(format!("/good/{file_name}"), Reply::Full(bytes.clone()));
        routes.insert(format!("/cut/{file_name}"), Reply::Cut(bytes));
    }
    (routes, md5)
}

fn source(cache: &Path, mirror: Mirror) -> DataSource {
    DataSource {
        cache_dir: Some(cache.to_path_buf()),
        use_env: false,
        use_workspace: false,
        mirror: Some(mirror),
        progress: true,
        ..DataSource::new()
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn downloads_verify_and_are_reused_from_the_cache() {
    let (routes, md5) = fixture("good");
    let server = Server::start(routes);
    let cache = temp_dir("good-cache");
    let src = source(
        &cache,
        Mirror {
            url: server.url("good/"),
            md5,
        },
    );
    let train = load(DatasetKind::FashionMnist, Split::Train, &src).unwrap();
    assert_eq!((train.len(), train.images.height()), (50, 28));
    assert_eq!(server.requests(), 2);
    let test = load(DatasetKind::FashionMnist, Split::Test, &src).unwrap();
    assert_eq!(test.len(), 20);
    let mut names: Vec<_> = files_in(&cache.join("fashion-mnist"))
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "t10k-images-idx3-ubyte.gz",
            "t10k-labels-idx1-ubyte.gz",
            "train-images-idx3-ubyte.gz",
            "train-labels-idx1-ubyte.gz"
        ]
    );
    // Second time: from the cache, no request, even with the server gone.
    drop(server);
    let again = load(
        DatasetKind::FashionMnist,
        Split::Train,
        &src.clone().offline(),
    )
    .unwrap();
    assert_eq!(again.labels, train.labels);
    std::fs::remove_dir_all(cache).ok();
}

#[test]
fn a_wrong_checksum_is_an_error_and_leaves_no_file() {
    let (routes, mut md5) = fixture("md5");
    md5[0].1 = "0123456789abcdef0123456789abcdef".into();
    let server = Server::start(routes);
    let cache = temp_dir("md5-cache");
    let src = source(
        &cache,
        Mirror {
            url: server.url("good/"),
            md5,
        },
    );
    let e = load(DatasetKind::Kmnist, Split::Train, &src).unwrap_err();
    println!("checksum: {e}");
    assert!(matches!(e, Error::Checksum { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("train-images-idx3-ubyte.gz") && msg.contains("0123456789abcdef"),
        "{msg}"
    );
    assert!(
        files_in(&cache.join("kmnist")).is_empty(),
        "{:?}",
        files_in(&cache)
    );
    std::fs::remove_dir_all(cache).ok();
}

#[test]
fn a_connection_cut_mid_file_is_an_error_and_leaves_no_file() {
    let (routes, md5) = fixture("cut");
    let server = Server::start(routes);
    let cache = temp_dir("cut-cache");
    let src = source(
        &cache,
        Mirror {
            url: server.url("cut/"),
            md5,
        },
    );
    let e = load(DatasetKind::Kmnist, Split::Test, &src).unwrap_err();
    println!("cut: {e}");
    assert!(matches!(e, Error::Download { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("t10k-images-idx3-ubyte.gz") && msg.contains("connection lost after"),
        "{msg}"
    );
    // Neither the final name nor a temporary file remains.
    assert!(
        files_in(&cache.join("kmnist")).is_empty(),
        "{:?}",
        files_in(&cache.join("kmnist"))
    );
    std::fs::remove_dir_all(cache).ok();
}

#[test]
fn a_missing_file_on_the_server_is_an_http_error() {
    let server = Server::start(HashMap::new());
    let cache = temp_dir("404-cache");
    let src = source(
        &cache,
        Mirror {
            url: server.url("nothing/"),
            md5: vec![],
        },
    );
    let e = load(DatasetKind::FashionMnist, Split::Test, &src)
        .unwrap_err()
        .to_string();
    assert!(e.contains("HTTP 404"), "{e}");
    assert!(files_in(&cache.join("fashion-mnist")).is_empty());
    std::fs::remove_dir_all(cache).ok();
}

#[test]
fn no_server_listening_is_a_clear_network_error() {
    // A port that was free a moment ago: nothing listens there now.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = temp_dir("nonet-cache");
    let url = format!("http://127.0.0.1:{port}/");
    let src = source(&cache, Mirror { url, md5: vec![] });
    let e = load(DatasetKind::Kmnist, Split::Train, &src).unwrap_err();
    println!("no server: {e}");
    assert!(matches!(e, Error::Network { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("No network?") && msg.contains("--data-dir"),
        "{msg}"
    );
    assert!(files_in(&cache.join("kmnist")).is_empty());
    std::fs::remove_dir_all(cache).ok();
}
