//! Any bytes as a model file: reading never panics, and a model that is accepted predicts on
//! a row of its width without a panic, giving finite values and probabilities (or an error).
#![no_main]

use downhill::data::Matrix;
use downhill_io::model_file::ModelFile;
use downhill_io::predict::predict;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = ModelFile::from_json(Path::new("model.json"), text) else {
        return;
    };
    let n = model.features.len();
    for values in [0.5, -3.25, 0.0, 1e10] {
        let row: Vec<f64> = (0..n).map(|j| values * (1.0 + j as f64)).collect();
        let x = Matrix::from_row_major(1, n, row).expect("one row of the features' width");
        // The terms: the features, then the powers the model appends.
        let x = match model.powers().expect("checked when the model was read") {
            None => x,
            Some(pf) => match pf.transform(&x) {
                Ok(x) => x,
                Err(_) => continue,
            },
        };
        let Ok(p) = predict(&model, &x) else {
            continue;
        };
        assert_eq!(p.values.len(), 1);
        assert!(p.values[0].is_finite());
        if let Some(classes) = &model.classes {
            assert!((p.values[0] as usize) < classes.len());
        }
        if let Some(proba) = &p.proba {
            let row = proba.row(0);
            assert!(
                row.iter().all(|q| q.is_finite() && (0.0..=1.0).contains(q)),
                "{row:?}"
            );
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{row:?}");
        }
    }
});
