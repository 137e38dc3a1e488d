//! Downloads one file into place, all or nothing.
//!
//! The body is streamed into a temporary file beside the destination while its
//! md5 is computed; only a complete body whose length and checksum are right is
//! renamed to the final name. Any failure removes the temporary file, so a
//! half-written download is never mistaken for data.

use crate::error::{Error, Result};
use crate::idx::to_hex;
use md5::{Digest, Md5};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest body accepted: the biggest file of these data sets is 30 MB.
pub const MAX_DOWNLOAD_BYTES: u64 = 256 << 20;

/// Downloads `url` to `dest`, checking the md5 of the bytes received when given.
pub fn download(url: &str, dest: &Path, md5: Option<&str>, progress: bool) -> Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, "cannot create the folder", e))?;
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "download".into());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // Unique per process and call, so two concurrent runs never share a temp file.
    let tmp = TempFile(dir.join(format!(".{name}.part-{}-{nanos}", std::process::id())));

    let digest = fetch_into(url, &tmp.0, progress)?;
    if let Some(expected) = md5 {
        if !digest.eq_ignore_ascii_case(expected) {
            return Err(Error::Checksum {
                origin: url.to_string(),
                expected: expected.to_string(),
                actual: digest,
            });
        }
    }
    std::fs::rename(&tmp.0, dest)
        .map_err(|e| Error::io(dest, "cannot move the download into place", e))?;
    tmp.keep();
    Ok(())
}

/// Removes the file when dropped, unless kept: every early return cleans up.
struct TempFile(PathBuf);

impl TempFile {
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn is_loopback(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or(url);
    ["127.", "localhost", "[::1]"]
        .iter()
        .any(|p| rest.starts_with(p))
}

/// Streams the body into `path`; returns the md5 of what was written.
fn fetch_into(url: &str, path: &Path, progress: bool) -> Result<String> {
    let mut cfg = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(60)));
    if is_loopback(url) {
        // A proxy from the environment must not capture a local mirror (tests).
        cfg = cfg.proxy(None);
    }
    let agent: ureq::Agent = cfg.build().into();
    let fail = |detail: String| Error::Download {
        url: url.to_string(),
        detail,
    };
    let response = agent.get(url).call().map_err(|e| request_error(url, e))?;
    let body = response.into_body();
    let expected_len = body.content_length();
    if let Some(n) = expected_len.filter(|&n| n > MAX_DOWNLOAD_BYTES) {
        return Err(fail(format!(
            "the server announces {n} bytes, more than the {MAX_DOWNLOAD_BYTES}-byte limit"
        )));
    }
    let mut reader = body
        .into_with_config()
        .limit(MAX_DOWNLOAD_BYTES + 1)
        .reader();
    let mut file = std::fs::File::create(path).map_err(|e| Error::io(path, "cannot create", e))?;
    let bar = progress_bar(url, expected_len, progress);
    let mut md5 = Md5::new();
    let mut received: u64 = 0;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                bar.abandon();
                return Err(fail(format!("connection lost after {received} bytes: {e}")));
            }
        };
        received += n as u64;
        if received > MAX_DOWNLOAD_BYTES {
            return Err(fail(format!(
                "more than {MAX_DOWNLOAD_BYTES} bytes received"
            )));
        }
        md5.update(&buf[..n]);
        file.write_all(&buf[..n])
            .map_err(|e| Error::io(path, "cannot write", e))?;
        bar.set_position(received);
    }
    if let Some(n) = expected_len.filter(|&n| n != received) {
        bar.abandon();
        return Err(fail(format!(
            "incomplete: {received} of {n} bytes received"
        )));
    }
    file.sync_all()
        .map_err(|e| Error::io(path, "cannot flush", e))?;
    bar.finish_and_clear();
    Ok(to_hex(&md5.finalize()))
}

fn progress_bar(url: &str, len: Option<u64>, show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    // Drawn on stderr only when it is a terminal (indicatif hides it otherwise).
    let bar = indicatif::ProgressBar::new(len.unwrap_or(0));
    let template = "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}";
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    let file = url.rsplit('/').next().unwrap_or(url).to_string();
    bar.set_message(format!("downloading {file}"));
    bar
}

/// Separates "could not connect at all" (likely no network) from other failures.
fn request_error(url: &str, e: ureq::Error) -> Error {
    use std::io::ErrorKind::*;
    let network = |detail: String| Error::Network {
        url: url.to_string(),
        detail,
    };
    match e {
        ureq::Error::HostNotFound => network("host not found".into()),
        ureq::Error::ConnectionFailed => network("connection failed".into()),
        ureq::Error::Timeout(t) => network(format!("timed out ({t:?})")),
        ureq::Error::Io(io)
            if matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | NotConnected
                    | TimedOut
                    | AddrNotAvailable
                    | HostUnreachable
                    | NetworkUnreachable
                    | NetworkDown
            ) =>
        {
            network(io.to_string())
        }
        ureq::Error::StatusCode(code) => Error::Download {
            url: url.to_string(),
            detail: format!("the server answered HTTP {code}"),
        },
        other => Error::Download {
            url: url.to_string(),
            detail: other.to_string(),
        },
    }
}
