//! Truncated, corrupted and hostile model files give errors, never panics or huge allocations.

mod common;

use common::fixtures;
use tamis_fasttext::{Error, Model, Scratch};

fn read(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).expect("fixture")
}

/// A model that loaded from corrupted bytes must still predict without panicking.
fn exercise(model: &Model) {
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    for text in [
        "",
        "Alle Menschen sind frei",
        "人人生而自由",
        "x y z w v u t",
        "</s>",
    ] {
        model.predict_into(text, 3, 0.0, &mut scratch, &mut out);
        model.predict_into(text, usize::MAX, 0.0, &mut scratch, &mut out);
    }
}

#[test]
fn every_prefix_of_a_small_ftz_is_truncated() {
    let bytes = read("hs.ftz");
    assert!(Model::from_bytes(&bytes).is_ok());
    for len in 0..bytes.len() {
        match Model::from_bytes(&bytes[..len]) {
            Err(Error::Truncated { .. }) => {}
            other => panic!("prefix of {len} bytes: {other:?}"),
        }
    }
}

#[test]
fn prefixes_of_other_fixtures_are_errors() {
    for name in ["hs.bin", "softmax.ftz", "many.ftz", "ns.ftz"] {
        let bytes = read(name);
        let lens = (0..bytes.len().min(4096)).chain((4096..bytes.len()).step_by(61));
        for len in lens {
            match Model::from_bytes(&bytes[..len]) {
                Err(Error::Truncated { .. }) => {}
                other => panic!("{name}: prefix of {len} bytes: {other:?}"),
            }
        }
    }
}

#[test]
fn header_errors_are_typed() {
    let good = read("hs.ftz");
    let mut bad = good.clone();
    bad[0] ^= 1;
    assert!(matches!(
        Model::from_bytes(&bad),
        Err(Error::BadMagic { .. })
    ));
    let mut bad = good.clone();
    bad[4..8].copy_from_slice(&13i32.to_le_bytes());
    assert!(matches!(
        Model::from_bytes(&bad),
        Err(Error::UnsupportedVersion { found: 13 })
    ));
    let mut bad = good.clone();
    bad.push(0);
    assert!(matches!(
        Model::from_bytes(&bad),
        Err(Error::TrailingBytes { count: 1, .. })
    ));
    // model kind (8 + 7 * 4 bytes in): 2 = skipgram
    let mut bad = good.clone();
    bad[36..40].copy_from_slice(&2i32.to_le_bytes());
    assert!(matches!(
        Model::from_bytes(&bad),
        Err(Error::NotSupervised { model: 2 })
    ));
    // loss code 9
    let mut bad = good.clone();
    bad[32..36].copy_from_slice(&9i32.to_le_bytes());
    assert!(matches!(
        Model::from_bytes(&bad),
        Err(Error::Malformed { .. })
    ));
    // n-gram sizes that would make prediction quadratic (maxn at offset 48, minn 44, wordNgrams 28)
    for (offset, value) in [(48, -1i32), (48, 1000), (44, -2), (28, 100_000)] {
        let mut bad = good.clone();
        bad[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
        let err = Model::from_bytes(&bad).unwrap_err();
        assert!(
            matches!(err, Error::Malformed { .. }),
            "{offset}={value}: {err}"
        );
    }
    // The error messages say what is wrong.
    let msg = Model::from_bytes(&good[..100]).unwrap_err().to_string();
    assert!(
        msg.contains("truncated") && msg.contains("dictionary"),
        "{msg}"
    );
    let msg = Model::from_bytes(b"not a model at all")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("magic"), "{msg}");
    let err = Model::load("/nonexistent/model.bin").unwrap_err();
    assert!(matches!(err, Error::Io { .. }) && err.to_string().contains("/nonexistent/model.bin"));
}

/// Headers that claim enormous sizes fail on the byte count, before allocating.
#[test]
fn hostile_sizes_do_not_allocate() {
    let good = read("hs.bin");
    // dictionary size / nwords at offset 64 (after magic, version, 12 ints and a double)
    let mut bad = good.clone();
    bad[64..68].copy_from_slice(&i32::MAX.to_le_bytes());
    bad[68..72].copy_from_slice(&(i32::MAX - 6).to_le_bytes());
    assert!(matches!(
        Model::from_bytes(&bad),
        Err(Error::Truncated { .. })
    ));
    // pruneidx_size: huge
    let mut bad = good.clone();
    bad[84..92].copy_from_slice(&(i64::MAX / 2).to_le_bytes());
    assert!(matches!(
        Model::from_bytes(&bad),
        Err(Error::Truncated { .. })
    ));
    // A minimal header followed by a dense matrix of 2^40 × 2^20 floats.
    let mut v = Vec::new();
    v.extend_from_slice(&793_712_314i32.to_le_bytes());
    v.extend_from_slice(&12i32.to_le_bytes());
    for x in [16i32, 5, 5, 1, 5, 1, 3, 3, 0, 0, 0, 100] {
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.extend_from_slice(&1e-4f64.to_le_bytes());
    v.extend_from_slice(&1i32.to_le_bytes()); // size
    v.extend_from_slice(&0i32.to_le_bytes()); // nwords
    v.extend_from_slice(&1i32.to_le_bytes()); // nlabels
    v.extend_from_slice(&1i64.to_le_bytes()); // ntokens
    v.extend_from_slice(&(-1i64).to_le_bytes()); // pruneidx_size
    v.extend_from_slice(b"__label__a\0");
    v.extend_from_slice(&1i64.to_le_bytes());
    v.push(1);
    v.push(0); // dense input
    v.extend_from_slice(&(1i64 << 40).to_le_bytes());
    v.extend_from_slice(&(1i64 << 20).to_le_bytes());
    assert!(matches!(
        Model::from_bytes(&v),
        Err(Error::Truncated { .. })
    ));
    // The same with an overflowing shape.
    let n = v.len();
    v[n - 8..].copy_from_slice(&i64::MAX.to_le_bytes());
    assert!(Model::from_bytes(&v).is_err());
}

/// Flip bytes all over small models: loading either fails or gives a model that predicts.
#[test]
fn corrupted_bytes_never_panic() {
    for name in ["hs.ftz", "ns.ftz", "many.ftz", "softmax.ftz"] {
        let good = read(name);
        let mut loaded = 0;
        let positions = (0..good.len().min(2048)).chain((2048..good.len()).step_by(97));
        for pos in positions {
            for flip in [0x01u8, 0x80, 0xFF] {
                let mut bad = good.clone();
                bad[pos] ^= flip;
                if let Ok(model) = Model::from_bytes(&bad) {
                    loaded += 1;
                    if pos < 2048 || pos % 7 == 0 {
                        exercise(&model);
                    }
                }
            }
        }
        assert!(loaded > 0, "{name}");
    }
    // Dense models: fewer positions (each load copies 200 KB).
    let good = read("softmax.bin");
    for pos in (0..good.len()).step_by(331).chain(0..600) {
        let mut bad = good.clone();
        bad[pos] ^= 0xFF;
        if let Ok(model) = Model::from_bytes(&bad) {
            exercise(&model);
        }
    }
}
