#[test]
fn show_format() {
    for f in ["slos.yaml", "alerting.json", "slis.yaml"] {
        let p = super::cases::data_dir().join("realistic").join(f);
        let t = std::fs::read_to_string(&p).unwrap();
        println!("==== {f}\n{}", spec::format_source(f, &t).unwrap());
    }
}
