//! Round trips of event files without Python: framing, CRCs, messages; and
//! three records written by TensorBoard's own Python `RecordWriter`, which the
//! same events must reproduce byte for byte.

use super::proto::{Event, Kind, Summary, Value, What};
use super::record::{masked_crc, read_records, write_record};
use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn records_match_tensorboards_own_writer() {
    // tensorboard 2.x: RecordWriter(buf).write(Event(wall_time=1234.5, step=7,
    // summary=[Value(tag="loss/d", simple_value=0.25)]).SerializeToString())
    let want = hex(
        "1c00000000000000c8c1951d0900000000004a934010072a0f0a0d0a066c6f73732f64150000803e39baa4ab",
    );
    let e = Event {
        wall_time: 1234.5,
        step: 7,
        what: Some(What::Summary(Summary {
            value: vec![Value {
                tag: "loss/d".into(),
                metadata: None,
                kind: Some(Kind::SimpleValue(0.25)),
            }],
        })),
    };
    let mut got = Vec::new();
    write_record(&mut got, &e.encode_to_vec()).unwrap();
    assert_eq!(got, want);
    // Event(wall_time=1.0, step=0, file_version="brain.Event:2")
    let want =
        hex("1800000000000000a37f4b2209000000000000f03f1a0d627261696e2e4576656e743a3286bf577a");
    let e = Event {
        wall_time: 1.0,
        step: 0,
        what: Some(What::FileVersion("brain.Event:2".into())),
    };
    let mut got = Vec::new();
    write_record(&mut got, &e.encode_to_vec()).unwrap();
    assert_eq!(got, want);
    // Event(wall_time=2.0, step=31, session_log=SessionLog(status=START))
    let want = hex("0f000000000000006d532b09090000000000000040101f3a0208014bfde09e");
    let e = Event {
        wall_time: 2.0,
        step: 31,
        what: Some(What::SessionLog(super::proto::SessionLog {
            status: super::proto::SESSION_START,
            ..Default::default()
        })),
    };
    let mut got = Vec::new();
    write_record(&mut got, &e.encode_to_vec()).unwrap();
    assert_eq!(got, want);
    // the CRC-32C check value of "123456789" is 0xE3069283, masked as TensorFlow does
    assert_eq!(
        masked_crc(b"123456789"),
        0xE306_9283u32.rotate_right(15).wrapping_add(0xa282_ead8)
    );
}

#[test]
fn a_written_file_reads_back_event_by_event() {
    let dir = std::env::temp_dir().join(format!("tb-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = {
        let mut w = EventWriter::create(&dir).unwrap();
        w.scalars(100, &[("loss/d", 1.25), ("D(x)", 0.5)]).unwrap();
        w.image("samples", 600, vec![1, 2, 3], (20, 30, 1)).unwrap();
        w.histogram("D(x)", 100, &[0.1, 0.2, 0.9, f32::NAN], 4)
            .unwrap();
        w.text("settings", 0, "| a | b |").unwrap();
        w.purge_from(601).unwrap();
        w.flush().unwrap();
        w.path().to_path_buf()
    };
    let name = path.file_name().unwrap().to_str().unwrap().to_string();
    assert!(is_event_file(&name), "{name}");
    // a second writer in the same second and process gets its own file
    let second = EventWriter::create(&dir).unwrap().path().to_path_buf();
    assert_ne!(second, path);
    let ev = read_events(&path).unwrap();
    assert_eq!(ev.len(), 6);
    assert_eq!(ev[0].what, Some(What::FileVersion("brain.Event:2".into())));
    let values = |e: &Event| match &e.what {
        Some(What::Summary(s)) => s.value.clone(),
        other => panic!("not a summary: {other:?}"),
    };
    let v = values(&ev[1]);
    assert_eq!((ev[1].step, v.len(), v[0].tag.as_str()), (100, 2, "loss/d"));
    assert_eq!(v[1].kind, Some(Kind::SimpleValue(0.5)));
    match &values(&ev[2])[0].kind {
        Some(Kind::Image(i)) => assert_eq!(
            (
                i.height,
                i.width,
                i.colorspace,
                i.encoded_image_string.len()
            ),
            (20, 30, 1, 3)
        ),
        k => panic!("{k:?}"),
    }
    match &values(&ev[3])[0].kind {
        Some(Kind::Histo(h)) => {
            assert_eq!(h.num, 3.0);
            assert_eq!(h.bucket.iter().sum::<f64>(), 3.0);
            assert_eq!(h.bucket_limit.len(), 4);
            assert!((h.max - 0.9).abs() < 1e-7 && (h.min - 0.1).abs() < 1e-7);
        }
        k => panic!("{k:?}"),
    }
    let text = &values(&ev[4])[0];
    assert_eq!(
        text.metadata
            .as_ref()
            .unwrap()
            .plugin_data
            .as_ref()
            .unwrap()
            .plugin_name,
        "text"
    );
    match &text.kind {
        Some(Kind::Tensor(t)) => assert_eq!(t.string_val, vec![b"| a | b |".to_vec()]),
        k => panic!("{k:?}"),
    }
    match &ev[5].what {
        Some(What::SessionLog(l)) => assert_eq!((ev[5].step, l.status), (601, 1)),
        w => panic!("{w:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn corrupt_and_truncated_files_are_errors() {
    let mut bytes = Vec::new();
    write_record(&mut bytes, b"first").unwrap();
    write_record(&mut bytes, b"second").unwrap();
    assert_eq!(
        read_records(&bytes).unwrap(),
        vec![&b"first"[..], &b"second"[..]]
    );
    let mut bad = bytes.clone();
    bad[12] ^= 1;
    assert!(read_records(&bad).unwrap_err().contains("record 0"));
    let mut bad = bytes.clone();
    let n = bad.len();
    bad[n - 6] ^= 1;
    assert!(read_records(&bad).unwrap_err().contains("record 1"));
    assert!(read_records(&bytes[..bytes.len() - 3])
        .unwrap_err()
        .contains("record 1"));
    let mut huge = bytes.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(read_records(&huge).is_err());
}

#[test]
fn histograms_count_every_finite_value_once() {
    let v: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.37).sin()).collect();
    let h = histogram_of(&v, 30);
    assert_eq!(h.bucket.len(), 30);
    assert_eq!(h.bucket.iter().sum::<f64>(), 1000.0);
    assert_eq!(*h.bucket_limit.last().unwrap(), h.max);
    let same = histogram_of(&[0.5; 10], 30);
    assert_eq!(
        (same.bucket.clone(), same.bucket_limit.clone()),
        (vec![10.0], vec![0.5])
    );
    assert_eq!(histogram_of(&[], 5).num, 0.0);
}
