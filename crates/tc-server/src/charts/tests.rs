use super::*;

fn chart(unit: Unit, labels: &[&str], series: &[(&str, &[i64])]) -> Chart {
    Chart {
        id: "c".into(),
        title: "测试图".into(),
        desc: "说明".into(),
        unit,
        labels: labels.iter().map(|l| l.to_string()).collect(),
        series: series
            .iter()
            .map(|(n, v)| Series {
                name: n.to_string(),
                values: v.to_vec(),
            })
            .collect(),
    }
}

/// The SVG as lines, one element a line, for readable snapshots.
fn pretty(m: Markup) -> String {
    m.into_string().replace("><", ">\n<")
}

/// The `(x, y, width, height)` of every `<rect>` after the frame's background.
fn rects(svg: &str) -> Vec<[i64; 4]> {
    svg.split("<rect ")
        .skip(2)
        .filter(|r| !r.contains("height=\"8\""))
        .map(|r| {
            let num = |k: &str| -> i64 {
                let at = r.find(&format!("{k}=\"")).expect(k) + k.len() + 2;
                let end = r[at..].find('"').expect("quote") + at;
                r[at..end].parse().expect("number")
            };
            [num("x"), num("y"), num("width"), num("height")]
        })
        .collect()
}

#[test]
fn amounts_read_as_chinese_users_read_them() {
    assert_eq!(Unit::Fen.exact(123_456_789), "1,234,567.89 元");
    assert_eq!(Unit::Fen.exact(-5), "-0.05 元");
    assert_eq!(Unit::Tenths.exact(123), "12.3 个月");
    assert_eq!(Unit::Tenths.exact(120), "12 个月");
    assert_eq!(Unit::Hundredths.exact(8525), "85.25 分");
    assert_eq!(
        Unit::Count("chart-persons").exact(1_234_567),
        "1,234,567 人"
    );
    assert_eq!(Unit::Fen.scale(99_999), (100, "元"));
    assert_eq!(Unit::Fen.scale(1_000_000), (1_000_000, "万元"));
    assert_eq!(Unit::Fen.scale(12_000_000_000), (10_000_000_000, "亿元"));
    assert_eq!(decimal(25_000_000_000, 10_000_000_000), "2.5");
    assert_eq!(decimal(-12_345_000_000, 1_000_000), "-12,345");
    assert_eq!(nice(1), 1);
    assert_eq!(nice(3), 5);
    assert_eq!(nice(11), 20);
    assert_eq!(nice(500_001), 1_000_000);
}

#[test]
fn axes_hold_zero_and_every_figure() {
    let a = Axis::of(Unit::Fen, [0i128].into_iter(), [0i128].into_iter());
    assert!(a.hi > a.lo && a.lo == 0, "all zeros: {a:?}");
    let a = Axis::of(
        Unit::Fen,
        [-3_000_000i128].into_iter(),
        [9_000_000i128].into_iter(),
    );
    assert!(
        a.lo <= -3_000_000 && a.hi >= 9_000_000 && a.lo % a.step == 0,
        "{a:?}"
    );
    assert_eq!(a.unit, "万元");
    let big = i128::from(i64::MAX) * 3;
    let a = Axis::of(Unit::Fen, [0i128].into_iter(), [big].into_iter());
    assert!(a.hi >= big && a.unit == "亿元", "{a:?}");
    assert_eq!(a.px(a.hi, 10, 200, true), 10);
    assert_eq!(a.px(a.lo, 10, 200, true), 210);
}

#[test]
fn bars_snapshot() {
    let c = chart(
        Unit::Fen,
        &["太原市", "大同市", "朔州市"],
        &[
            (
                "征缴任务",
                &[120_000_000_000, 80_000_000_000, 30_000_000_000],
            ),
            ("实缴", &[110_000_000_000, 82_000_000_000, 15_000_000_000]),
        ],
    );
    insta::assert_snapshot!("bars", pretty(figure(&c, Kind::Bars)));
}

#[test]
fn stacked_snapshot_with_a_negative() {
    let c = chart(
        Unit::Fen,
        &["省级", "市级"],
        &[
            ("甲", &[5_000_000, 2_000_000]),
            ("乙", &[3_000_000, -1_000_000]),
        ],
    );
    let svg = pretty(figure(&c, Kind::Stacked));
    insta::assert_snapshot!("stacked", svg);
    // the negative part hangs below the zero line, the positive parts stack above it
    let r = rects(&svg);
    assert_eq!(r.len(), 4);
    let (a, b) = (r[0], r[2]);
    assert_eq!(a[1], b[1] + b[3], "乙 sits on 甲 in the first bar");
    let zero_of_second = r[1][1] + r[1][3];
    assert_eq!(r[3][1], zero_of_second, "the negative starts at zero");
}

#[test]
fn ranking_and_lines_snapshots() {
    let c = chart(
        Unit::Hundredths,
        &["太原市", "晋中市", "忻州市"],
        &[("得分", &[9_125, 8_050, 6_000])],
    );
    insta::assert_snapshot!("ranking", pretty(figure(&c, Kind::Ranking)));
    let c = chart(
        Unit::Tenths,
        &["2024", "2025", "2026"],
        &[("基准", &[150, 132, 118]), ("悲观", &[150, 120, -5])],
    );
    insta::assert_snapshot!("lines", pretty(figure(&c, Kind::Lines)));
}

#[test]
fn edge_cases_draw_without_panic_and_within_the_frame() {
    let cases = [
        chart(Unit::Fen, &["甲", "乙"], &[("零", &[0, 0])]),
        chart(Unit::Fen, &["唯一"], &[("一", &[42])]),
        chart(Unit::Fen, &["负", "正"], &[("值", &[-500, -100])]),
        chart(Unit::Fen, &["大"], &[("值", &[i64::MAX])]),
        chart(Unit::Fen, &["小", "大"], &[("值", &[i64::MIN, i64::MAX])]),
        chart(Unit::Count("chart-persons"), &[], &[]),
    ];
    for c in &cases {
        for kind in [Kind::Bars, Kind::Stacked, Kind::Ranking, Kind::Lines] {
            let svg = figure(c, kind).into_string();
            assert!(
                svg.contains("<title id=\"c-title\">测试图</title>"),
                "{svg}"
            );
            assert!(svg.contains("<desc id=\"c-desc\">说明</desc>"));
            assert!(!svg.contains("style=") && !svg.contains("<script"));
            if kind == Kind::Ranking {
                continue;
            }
            for [x, y, w, h] in rects(&svg) {
                assert!(x >= 0 && y >= 0 && w >= 0 && h >= 0, "{kind:?} {svg}");
                assert!(x + w <= W && y + h <= 400, "{kind:?} {svg}");
            }
        }
    }
    // all zeros: the bars have no height; one bar fills its band's middle
    let zeros = figure(&cases[0], Kind::Bars).into_string();
    assert!(rects(&zeros).iter().all(|r| r[3] == 0), "{zeros}");
    let one = rects(&figure(&cases[1], Kind::Bars).into_string());
    assert_eq!(one.len(), 1);
    assert!(one[0][3] > 0);
    // every figure is in the table too
    let t = figure(&cases[3], Kind::Bars).into_string();
    assert!(t.contains("92,233,720,368,547,758.07 元"), "{t}");
}

#[test]
fn the_same_figures_draw_the_same_bytes() {
    let c = chart(Unit::Fen, &["甲", "乙"], &[("值", &[1, 2])]);
    assert_eq!(
        figure(&c, Kind::Bars).into_string(),
        figure(&c.clone(), Kind::Bars).into_string()
    );
}
