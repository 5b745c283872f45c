//! `load_paths` on real folders: recursion, extension filter, sorting,
//! typed IO errors.

use std::path::PathBuf;

use spec::{LoadError, Mode};

const SERVICE: &str = "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: NAME\n";

fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn folders_are_walked_recursively_sorted_and_filtered_by_extension() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "b.yaml", &SERVICE.replace("NAME", "b"));
    write(dir.path(), "a/z.yml", &SERVICE.replace("NAME", "z"));
    write(
        dir.path(),
        "a/y.json",
        r#"{"apiVersion":"openslo/v1","kind":"Service","metadata":{"name":"y"}}"#,
    );
    write(dir.path(), "notes.txt", "not a spec: [");
    let loaded = spec::load_paths(&[dir.path().to_path_buf()], Mode::Strict).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let names: Vec<&str> = loaded
        .set
        .as_ref()
        .unwrap()
        .services
        .iter()
        .map(|s| s.metadata.name.as_str())
        .collect();
    assert_eq!(names, ["y", "z", "b"]);
}

#[test]
fn a_file_named_explicitly_is_read_whatever_its_extension_and_only_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "svc.txt", &SERVICE.replace("NAME", "only"));
    let file = dir.path().join("svc.txt");
    let loaded = spec::load_paths(&[file.clone(), file.clone()], Mode::Strict).unwrap();
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    assert_eq!(loaded.set.unwrap().services.len(), 1);
}

#[test]
fn diagnostics_name_the_file_path() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.yaml",
        "apiVersion: openslo/v1\nkind: Service\nmetadata:\n  name: Bad_Name\n",
    );
    let loaded = spec::load_paths(&[dir.path().to_path_buf()], Mode::Strict).unwrap();
    let d = &loaded.diagnostics[0];
    assert_eq!(d.file, dir.path().join("bad.yaml").display().to_string());
    assert_eq!((d.line, d.col, d.path.as_str()), (4, 9, "metadata.name"));
    assert!(loaded.set.is_none());
}

#[test]
fn a_missing_path_is_a_typed_error() {
    let missing = PathBuf::from("/definitely/not/here/specs");
    let err = spec::load_paths(std::slice::from_ref(&missing), Mode::Strict).unwrap_err();
    assert_eq!(err, LoadError::NotFound { path: missing });
    assert_eq!(
        err.to_string(),
        "/definitely/not/here/specs: no such file or folder; expected a spec file or a folder of them"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("latin1.yaml"), b"name: caf\xe9\n").unwrap();
    match spec::load_paths(&[dir.path().to_path_buf()], Mode::Strict) {
        Err(LoadError::Read { path, kind, .. }) => {
            assert_eq!(path, dir.path().join("latin1.yaml"));
            assert_eq!(kind, std::io::ErrorKind::InvalidData);
        }
        other => panic!("expected a read error, got {other:?}"),
    }
}
