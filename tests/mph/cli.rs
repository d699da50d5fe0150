//! `cancer-registry mph < pairs.csv > answers.csv` over the 10,000 pairs of the reference test
//! file: answers in input order, carried columns, reference spellings.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use super::shared_mph;

#[test]
fn mph_command_answers_the_test_file_in_order() {
    let Some(dir) = shared_mph() else { return };
    let file = std::fs::File::open(dir.join("mph-testing-2000-2022.head-expected.tsv.gz")).unwrap();
    let mut lines = BufReader::new(flate2::read::GzDecoder::new(file)).lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .unwrap()
        .split('\t')
        .map(String::from)
        .collect();
    let col = |n: &str| header.iter().position(|c| c == n).unwrap();
    // The CLI's column names, and where each comes from in the reference file.
    let map = [
        ("id", "id"),
        ("year1", "year1"),
        ("month1", "month1"),
        ("day1", "day1"),
        ("site1", "site1"),
        ("hist1", "histO3_1"),
        ("beh1", "behO3_1"),
        ("lat1", "lat1"),
        ("histIcdO2_1", "histO2_1"),
        ("behIcdO2_1", "behO2_1"),
        ("year2", "year2"),
        ("month2", "month2"),
        ("day2", "day2"),
        ("site2", "site2"),
        ("hist2", "histO3_2"),
        ("beh2", "behO3_2"),
        ("lat2", "lat2"),
        ("histIcdO2_2", "histO2_2"),
        ("behIcdO2_2", "behO2_2"),
    ];
    let mut csv = map.iter().map(|m| m.0).collect::<Vec<_>>().join(",");
    csv.push('\n');
    let mut expected = Vec::new();
    for line in lines {
        let line = line.unwrap();
        let f: Vec<&str> = line.split('\t').collect();
        let row: Vec<&str> = map.iter().map(|m| f[col(m.1)]).collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
        expected.push((
            f[col("id")].to_string(),
            f[col("result")].to_string(),
            f[col("step")].to_string(),
            f[col("group_id")].to_string(),
        ));
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_cancer-registry"))
        .arg("mph")
        .env("CANCER_REGISTRY_CURRENT_YEAR", "2026")
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(csv.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = text.lines();
    assert_eq!(
        rows.next().unwrap(),
        format!(
            "{},result,rule,group,reason",
            map.iter().map(|m| m.0).collect::<Vec<_>>().join(",")
        )
    );
    let mut n = 0;
    for (row, (id, result, step, group)) in rows.zip(&expected) {
        // Reasons may hold commas (quoted): the first 23 fields never do.
        let f: Vec<&str> = row.splitn(map.len() + 4, ',').collect();
        assert_eq!(f[0], id, "order");
        let got = (f[map.len()], f[map.len() + 1], f[map.len() + 2]);
        assert_eq!(
            got,
            (result.as_str(), step.as_str(), group.as_str()),
            "pair {id}"
        );
        n += 1;
    }
    assert_eq!(n, 10_000);
}

#[test]
fn mph_command_names_a_missing_column() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cancer-registry"))
        .arg("mph")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"year1,month1,day1,site1\n2020,01,01,C504\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("hist1"), "{err}");
    assert!(out.stdout.is_empty());
}
