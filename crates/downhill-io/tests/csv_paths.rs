//! The two CSV paths agree (issue 12, case 7): a plain file goes the quick way, the same file
//! with one quoted cell goes through the `csv` crate, and both give the same rows and values,
//! or the same error on the same line. The rules both follow:
//!
//! - a lone `\r` ends a record, as in the `csv` crate (so inside a row it splits the row);
//! - blank lines are skipped and are never rows;
//! - line numbers are physical and 1-based: every `\n` of the file counts.

use downhill_io::csv::{header, load, load_both_ways};
use downhill_io::table::{Loaded, Target};
use std::path::Path;

/// What [`load`] makes of `text`: the rows' values (features, then targets), or the error with
/// the file's directory taken out.
fn read(dir: &Path, text: &str, features: &[&str], target: Option<&str>) -> Result<String, String> {
    let path = dir.join("t.csv");
    std::fs::write(&path, text).unwrap();
    let shown = |e: anyhow::Error| e.to_string().replace(&*dir.to_string_lossy(), "");
    let head = header(&path).map_err(shown)?;
    let columns: Vec<usize> = features
        .iter()
        .map(|f| head.index(&path, f, "feature").unwrap())
        .collect();
    let target = match target {
        Some(t) => Target::Numeric(head.index(&path, t, "target").unwrap()),
        None => Target::None,
    };
    // The two paths, each on its own, agree with each other too.
    let (quick, careful) = load_both_ways(&path, &head, &columns, target);
    let quick = quick.map_err(shown);
    let careful = careful.map_err(shown).map(|l| values(&l));
    match quick {
        Ok(Some(q)) => assert_eq!(Ok(values(&q)), careful, "{text:?}"),
        Ok(None) => {}
        Err(e) => assert_eq!(Err(e), careful, "{text:?}"),
    }
    load(&path, &head, &columns, target)
        .map(|l| values(&l))
        .map_err(shown)
}

fn values(l: &Loaded) -> String {
    format!("{} rows: x {:?} y {:?}", l.rows, l.x, l.y)
}

/// `plain` and `quoted` (the same file with one cell quoted) read the same, which is `expect`.
fn same(
    plain: &str,
    quoted: &str,
    features: &[&str],
    target: Option<&str>,
    expect: Result<&str, &str>,
) {
    let dir = tempfile::tempdir().unwrap();
    let a = read(dir.path(), plain, features, target);
    let b = read(dir.path(), quoted, features, target);
    assert_eq!(a, b, "{plain:?} and {quoted:?}");
    let expect = expect.map(str::to_string).map_err(str::to_string);
    assert_eq!(a, expect, "{plain:?}");
}

#[test]
fn a_lone_carriage_return_in_an_unread_column_ends_the_record_on_both_paths() {
    same(
        "a,note,y\n1,foo\rbar,3\n2,ok,5\n3,ok,7.1\n4,ok,9\n",
        "a,note,y\n\"1\",foo\rbar,3\n2,ok,5\n3,ok,7.1\n4,ok,9\n",
        &["a"],
        Some("y"),
        Err("/t.csv:2: the row has 2 fields but the header has 3"),
    );
}

#[test]
fn a_lone_carriage_return_after_the_last_column_read_ends_the_record_too() {
    same(
        "a,y,note\n1,3,foo\rbar\n2,5,ok\n",
        "a,y,note\n\"1\",3,foo\rbar\n2,5,ok\n",
        &["a"],
        Some("y"),
        Err("/t.csv:2: the row has 1 fields but the header has 3"),
    );
}

#[test]
fn carriage_returns_alone_end_every_row_of_an_old_mac_file() {
    same(
        "a,y\r1,2\r3,4\r",
        "a,y\r\"1\",2\r3,4\r",
        &["a"],
        Some("y"),
        Ok("2 rows: x [1.0, 3.0] y [2.0, 4.0]"),
    );
}

#[test]
fn crlf_errors_name_the_physical_line() {
    same(
        "a,b,y\r\n1,2,3\r\n4,x,6\r\n",
        "a,b,y\r\n\"1\",2,3\r\n4,x,6\r\n",
        &["a", "b"],
        Some("y"),
        Err("/t.csv:3: column 'b': 'x' is not a number"),
    );
    same(
        "a,b,y\r\n1,2,3\r\n4,5\r\n",
        "a,b,y\r\n\"1\",2,3\r\n4,5\r\n",
        &["a", "b"],
        Some("y"),
        Err("/t.csv:3: the row has 2 fields but the header has 3"),
    );
}

#[test]
fn blank_lines_count_as_lines_but_not_as_rows() {
    same(
        "a,y\n1,2\n\n\n\n3,x\n",
        "a,y\n\"1\",2\n\n\n\n3,x\n",
        &["a"],
        Some("y"),
        Err("/t.csv:6: column 'y': 'x' is not a number"),
    );
    same(
        "a,y\r\n\r\n1,2\r\n\r\n3,4\r\n\r\n",
        "a,y\r\n\r\n\"1\",2\r\n\r\n3,4\r\n\r\n",
        &["a"],
        Some("y"),
        Ok("2 rows: x [1.0, 3.0] y [2.0, 4.0]"),
    );
}

#[test]
fn blank_lines_are_not_rows_when_no_column_is_read() {
    same(
        "a\n\n1\n",
        "a\n\n\"1\"\n",
        &[],
        None,
        Ok("1 rows: x [] y []"),
    );
    same(
        "a\r\n\r\n1\r\n\r\n",
        "a\r\n\r\n\"1\"\r\n\r\n",
        &[],
        None,
        Ok("1 rows: x [] y []"),
    );
}

#[test]
fn a_quoted_cell_in_an_unread_column_may_hide_separators_and_newlines() {
    // The first line alone looks like a plain row of three cells; the csv crate reads one
    // record over two lines.
    same(
        "n,a,y\n\"x,1,5\n\",2,3\n4,5,6\n",
        "n,a,y\n\"x,1,5\n\",\"2\",3\n4,5,6\n",
        &["a"],
        Some("y"),
        Ok("2 rows: x [2.0, 5.0] y [3.0, 6.0]"),
    );
}

#[test]
fn an_error_after_a_quoted_record_over_two_lines_names_its_line() {
    same(
        "n,a,y\n\"x\ny\",1,2\n3,4,z\n",
        "n,a,y\n\"x\ny\",\"1\",2\n3,4,z\n",
        &["a"],
        Some("y"),
        Err("/t.csv:4: column 'y': 'z' is not a number"),
    );
}

/// A file long enough for the quick two-pass parse (AVX2), with a lone `\r` in an unread
/// column far down: the quick path must notice it as the row parser does.
#[test]
fn the_two_pass_parse_notices_a_lone_carriage_return_in_an_unread_column() {
    let mut plain = String::from("a,note,y\n");
    for i in 0..5000 {
        let note = if i == 4000 { "fo\ro" } else { "ok" };
        plain.push_str(&format!("{i},{note},{}\n", 2 * i + 1));
    }
    let quoted = plain.replacen("\n0,", "\n\"0\",", 1);
    same(
        &plain,
        &quoted,
        &["a"],
        Some("y"),
        Err("/t.csv:4002: the row has 2 fields but the header has 3"),
    );
}

/// Found by the fuzzer: a row of the wrong width whose first cell is also bad is reported
/// for its width on both paths, as the csv crate splits a row before its cells are read.
#[test]
fn a_row_of_the_wrong_width_is_reported_as_such_before_its_cells() {
    same(
        "6\n,\n",
        "6\n,\"\"\n",
        &["6"],
        None,
        Err("/t.csv:2: the row has 2 fields but the header has 1"),
    );
    same(
        "a,b\n1,2\nx,2,3\n",
        "a,b\n\"1\",2\nx,2,3\n",
        &["a", "b"],
        None,
        Err("/t.csv:3: the row has 3 fields but the header has 2"),
    );
}

/// Found by the fuzzer: with the target left of a feature, both paths report the leftmost
/// bad cell of the row (the quick path reads a row left to right).
#[test]
fn the_leftmost_bad_cell_is_reported_whatever_the_roles_of_the_columns() {
    same(
        "y,a\n1,2\n,x\n",
        "y,a\n\"1\",2\n,x\n",
        &["a"],
        Some("y"),
        Err("/t.csv:3: column 'y': the cell is empty"),
    );
}
