use super::*;

#[test]
fn wording_examples() {
    assert_eq!(percent(0.72), "72 %");
    assert_eq!(percent(0.012), "1.2 %");
    assert_eq!(percent(-0.12), "-12 %");
    assert_eq!(percent(0.0), "0 %");
    assert_eq!(signed_percent(0.3), "+30 %");
    assert_eq!(signed_percent(-0.042), "-4.2 %");
    assert_eq!(p_value(0.05), "p=0.05");
    assert_eq!(p_value(0.00012), "p=0.0001");
    assert_eq!(p_value(3.2e-12), "p=3.2e-12");
    assert_eq!(number(2.50, 2), "2.5");
    assert_eq!(minutes(45), "45 min");
    assert_eq!(minutes(120), "2 h");
    assert_eq!(minutes(150), "2 h 30 min");
    assert_eq!(minutes(1440 * 3 + 250), "3 d 4 h");
    assert_eq!(window(40_320), "28-day");
    assert_eq!(window(360), "6-hour");
    assert_eq!(window(90), "90-minute");
}
