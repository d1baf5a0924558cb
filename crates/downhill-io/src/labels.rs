//! Class labels: text (or numbers) in the file, class indices for the library.
//!
//! A table's text target is held as [`Labels`]: one small integer per row and a table of the
//! distinct texts, not a string per row. A million labels then take 4 MB instead of about
//! 60 MB (a `String` is 24 bytes plus its own allocation), and finding the classes sorts the
//! few distinct texts, not a copy of every row's.

use anyhow::{bail, Result};
use std::collections::HashMap;
use std::ops::Range;
use std::path::Path;

/// Distinct texts looked up by a scan of the table up to this many; beyond, by a hash map
/// (a scan of a few short strings is quicker than hashing one).
const SCANNED: usize = 16;

/// The text labels of a table's rows, as codes: row `i`'s label is `names()[codes()[i]]`,
/// and the names are the distinct texts in the order they first appear. That order makes
/// the value canonical: two tables of the same labels row by row are equal, however they
/// were read (in pieces, in parallel, by another reader).
#[derive(Debug, Clone, Default)]
pub struct Labels {
    names: Vec<String>,
    codes: Vec<u32>,
    /// The codes of the names once there are more than [`SCANNED`] of them.
    index: HashMap<String, u32>,
}

impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        self.names == other.names && self.codes == other.codes
    }
}

impl Labels {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The distinct texts, in the order they first appear.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Each row's index into [`Labels::names`].
    pub fn codes(&self) -> &[u32] {
        &self.codes
    }

    /// Row `i`'s text.
    pub fn get(&self, i: usize) -> Option<&str> {
        let code = *self.codes.get(i)?;
        self.names.get(code as usize).map(String::as_str)
    }

    /// Room for `rows` more rows.
    pub fn reserve(&mut self, rows: usize) {
        self.codes.reserve(rows);
    }

    /// Appends a row whose label is `text`.
    pub fn push(&mut self, text: &str) -> Result<()> {
        let code = self.code_of(text)?;
        self.codes.push(code);
        Ok(())
    }

    /// The code of `text`, a new one if it is new.
    fn code_of(&mut self, text: &str) -> Result<u32> {
        let known = if self.index.is_empty() {
            self.names.iter().position(|n| n == text).map(|k| k as u32)
        } else {
            self.index.get(text).copied()
        };
        if let Some(code) = known {
            return Ok(code);
        }
        let Ok(code) = u32::try_from(self.names.len()) else {
            bail!("more than {} distinct labels", u32::MAX);
        };
        self.names.push(text.to_string());
        if self.names.len() > SCANNED {
            if self.index.is_empty() {
                self.index = self
                    .names
                    .iter()
                    .enumerate()
                    .map(|(k, n)| (n.clone(), k as u32))
                    .collect();
            } else {
                self.index.insert(text.to_string(), code);
            }
        }
        Ok(code)
    }

    /// Appends the rows of `other`, in order (its codes renumbered into this table's).
    pub fn append(&mut self, other: &Labels) -> Result<()> {
        let map = other
            .names
            .iter()
            .map(|n| self.code_of(n))
            .collect::<Result<Vec<u32>>>()?;
        self.codes
            .extend(other.codes.iter().map(|&c| map[c as usize]));
        Ok(())
    }

    /// The rows `rows` alone (the names only of those rows, so the value stays canonical).
    pub fn slice(&self, rows: Range<usize>) -> Labels {
        let mut out = Labels::default();
        let codes = self.codes.get(rows).unwrap_or_default();
        out.codes.reserve_exact(codes.len());
        // New codes in order of first appearance within the slice.
        let mut map = vec![u32::MAX; self.names.len()];
        for &c in codes {
            let m = &mut map[c as usize];
            if *m == u32::MAX {
                *m = out.names.len() as u32;
                out.names.push(self.names[c as usize].clone());
            }
            out.codes.push(*m);
        }
        if out.names.len() > SCANNED {
            out.index = out
                .names
                .iter()
                .enumerate()
                .map(|(k, n)| (n.clone(), k as u32))
                .collect();
        }
        out
    }

    /// Empties the table, keeping its memory.
    pub fn clear(&mut self) {
        self.names.clear();
        self.codes.clear();
        self.index.clear();
    }
}

impl Labels {
    /// Labels from texts, one per row (tests, and callers holding texts already).
    pub fn of<S: AsRef<str>>(texts: impl IntoIterator<Item = S>) -> Result<Self> {
        let mut out = Labels::default();
        for t in texts {
            out.push(t.as_ref())?;
        }
        Ok(out)
    }
}

/// The distinct texts of `names` in class order: numerically when every one is a number,
/// else alphabetically (as scikit-learn's `classes_`).
pub fn classes(names: &[String]) -> Vec<String> {
    let mut distinct: Vec<String> = names.to_vec();
    distinct.sort();
    distinct.dedup();
    if distinct.iter().all(|l| l.parse::<f64>().is_ok()) {
        distinct.sort_by(|a, b| {
            let (x, y) = (
                a.parse::<f64>().unwrap_or(0.0),
                b.parse::<f64>().unwrap_or(0.0),
            );
            x.total_cmp(&y)
        });
    }
    distinct
}

/// Two classes `[negative, positive]` and targets 0/1. The positive class is `positive`, or
/// the second in order (`1` for 0/1 targets; for names, the later one alphabetically).
pub fn binary(
    path: &Path,
    target: &str,
    labels: &Labels,
    positive: Option<&str>,
) -> Result<(Vec<String>, Vec<f64>)> {
    let classes = binary_classes(path, target, labels.names(), positive)?;
    let y = encode(path, target, labels, &classes)?;
    Ok((classes, y))
}

/// [`binary`]'s classes from the distinct texts `names` (of every rank's rows, say).
pub fn binary_classes(
    path: &Path,
    target: &str,
    names: &[String],
    positive: Option<&str>,
) -> Result<Vec<String>> {
    let mut classes = classes(names);
    match classes.len() {
        1 => bail!(
            "{}: target '{target}' has only one class ('{}'): a classifier needs at least two",
            path.display(),
            classes[0]
        ),
        2 => {}
        k => bail!(
            "{}: target '{target}' has {k} classes ({}): use --model softmax for more than two",
            path.display(),
            preview(&classes)
        ),
    }
    if let Some(p) = positive {
        match classes.iter().position(|c| c == p) {
            Some(0) => classes.swap(0, 1),
            Some(_) => {}
            None => bail!(
                "--positive: '{p}' is not a class of '{target}'; the classes are: {}",
                classes.join(", ")
            ),
        }
    }
    Ok(classes)
}

/// Every class in order, and targets as class indices.
pub fn multiclass(path: &Path, target: &str, labels: &Labels) -> Result<(Vec<String>, Vec<f64>)> {
    let classes = multiclass_classes(path, target, labels.names())?;
    let y = encode(path, target, labels, &classes)?;
    Ok((classes, y))
}

/// [`multiclass`]'s classes from the distinct texts `names`.
pub fn multiclass_classes(path: &Path, target: &str, names: &[String]) -> Result<Vec<String>> {
    let classes = classes(names);
    if classes.len() < 2 {
        bail!(
            "{}: target '{target}' has only one class ('{}'): a classifier needs at least two",
            path.display(),
            classes.first().map_or("", String::as_str)
        );
    }
    Ok(classes)
}

/// Targets as indices of `classes`; a label that is not a class is an error.
pub fn encode(path: &Path, target: &str, labels: &Labels, classes: &[String]) -> Result<Vec<f64>> {
    // Each distinct text's class, looked up once.
    let of_code: Vec<Option<f64>> = labels
        .names()
        .iter()
        .map(|n| classes.iter().position(|c| c == n).map(|k| k as f64))
        .collect();
    let mut y = Vec::with_capacity(labels.len());
    for (i, &code) in labels.codes().iter().enumerate() {
        match of_code[code as usize] {
            Some(k) => y.push(k),
            None => bail!(
                "{}: data row {}: target '{target}' has class '{}', which the model does not know (its classes: {})",
                path.display(),
                i + 1,
                labels.names()[code as usize],
                classes.join(", ")
            ),
        }
    }
    Ok(y)
}

fn preview(classes: &[String]) -> String {
    let mut s = classes
        .iter()
        .take(5)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if classes.len() > 5 {
        s.push_str(", ...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Labels are held as one code per row and a table of the distinct texts, whichever way
    /// the table grows (a scan below [`SCANNED`] names, a map above), and appending, slicing
    /// and encoding give what the texts row by row give.
    #[test]
    fn labels_are_codes_into_a_table_of_distinct_texts() {
        let texts: Vec<String> = (0..200).map(|i| format!("c{}", (i * 7) % 40)).collect();
        let labels = Labels::of(&texts).unwrap();
        assert_eq!(labels.len(), 200);
        assert_eq!(labels.names().len(), 40);
        assert_eq!(labels.codes().len(), 200);
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(labels.get(i), Some(t.as_str()));
            assert_eq!(labels.names()[labels.codes()[i] as usize], *t);
        }
        // First appearance order.
        assert_eq!(&labels.names()[..3], ["c0", "c7", "c14"]);

        // Built in two pieces and appended: the same value as read in one.
        let mut head = Labels::of(&texts[..90]).unwrap();
        let tail = Labels::of(&texts[90..]).unwrap();
        head.append(&tail).unwrap();
        assert_eq!(head, labels);
        // A slice keeps only its own texts.
        let s = labels.slice(5..8);
        assert_eq!(s, Labels::of(&texts[5..8]).unwrap());
        assert_eq!(s.names().len(), 3);

        // Classes: numeric order when every label is a number; encoded as their indices.
        let small = Labels::of(["10", "9", "10", "x9"]).unwrap();
        assert_eq!(classes(&small.names()[..2]), ["9", "10"]);
        let (c, y) = multiclass(Path::new("t.csv"), "y", &small).unwrap();
        assert_eq!(c, ["10", "9", "x9"]);
        assert_eq!(y, [0.0, 1.0, 0.0, 2.0]);
        let err = encode(Path::new("t.csv"), "y", &small, &c[..2]).unwrap_err();
        assert!(err.to_string().contains("data row 4"), "{err}");
        assert!(err.to_string().contains("'x9'"), "{err}");
        let (c, y) = binary(
            Path::new("t.csv"),
            "y",
            &Labels::of(["b", "a", "a"]).unwrap(),
            Some("a"),
        )
        .unwrap();
        assert_eq!((c, y), (vec!["b".into(), "a".into()], vec![0.0, 1.0, 1.0]));
    }
}
