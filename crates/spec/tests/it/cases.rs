//! The golden cases under `tests/data/`: each top-level spec file is one
//! case, each folder is one case made of every spec file inside it (loaded
//! together, so references resolve across them). Cases whose name starts
//! with `lenient-` load in lenient mode. The expected output of case `x`
//! (`x.yaml` or folder `x/`) is `x.expected`.

use std::path::{Path, PathBuf};

use spec::Mode;

pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) mode: Mode,
    /// `(file name relative to tests/data, text)`.
    pub(crate) sources: Vec<(String, String)>,
    pub(crate) expected_path: PathBuf,
}

pub(crate) fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
}

fn is_spec(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_under(&p, out);
        } else if is_spec(&p) {
            out.push(p);
        }
    }
}

pub(crate) fn all() -> Vec<Case> {
    let root = data_dir();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut cases = Vec::new();
    for p in entries {
        let files = if p.is_dir() {
            let mut files = Vec::new();
            files_under(&p, &mut files);
            files
        } else if is_spec(&p) {
            vec![p.clone()]
        } else {
            continue;
        };
        let name = p.file_stem().unwrap().to_str().unwrap().to_string();
        let sources = files
            .iter()
            .map(|f| {
                let rel = f
                    .strip_prefix(&root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .replace('\\', "/");
                (rel, std::fs::read_to_string(f).unwrap())
            })
            .collect();
        let mode = if name.starts_with("lenient-") {
            Mode::Lenient
        } else {
            Mode::Strict
        };
        cases.push(Case {
            expected_path: root.join(format!("{name}.expected")),
            name,
            mode,
            sources,
        });
    }
    assert!(
        cases.len() > 20,
        "expected the golden cases under {}",
        root.display()
    );
    cases
}
