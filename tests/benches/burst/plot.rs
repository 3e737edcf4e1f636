//! The charts, as SVG (plotters): each burst's throughput (alerts and verifications per
//! second) and end-to-end latency (p50, p99 per second of arrival) over time, and the scaling
//! runs' verification rate over time per replica count.

use std::path::Path;

use plotters::prelude::*;

use crate::scenario::Outcome;

/// `(label, points)` of one line.
type Line = (String, Vec<(f64, f64)>);

const COLORS: [RGBColor; 4] = [BLUE, RED, GREEN, MAGENTA];

/// Throughput and latency of every non-scaling burst, one row each.
pub fn bursts(path: &Path, outcomes: &[&Outcome]) -> anyhow::Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let height = 360 * u32::try_from(outcomes.len())?;
    let root = SVGBackend::new(path, (1200, height)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let rows = root.split_evenly((outcomes.len(), 2));
    for (i, outcome) in outcomes.iter().enumerate() {
        let name = &outcome.scenario.name;
        let p = &outcome.progress;
        chart(
            &rows[2 * i],
            &format!("{name}: throughput ({} members)", outcome.scenario.n),
            "members per second",
            &[
                ("verified (/auth/get ok)".into(), p.rates(|s| s.auth_get_ok)),
                ("pushes received".into(), p.rates(|s| s.pushes)),
            ],
        )?;
        let per_second = &outcome.latency_per_second;
        chart(
            &rows[2 * i + 1],
            &format!("{name}: latency, webhook sent → push received"),
            "seconds",
            &[
                (
                    "p50".into(),
                    per_second.iter().map(|(t, p50, _)| (*t, *p50)).collect(),
                ),
                (
                    "p99".into(),
                    per_second.iter().map(|(t, _, p99)| (*t, *p99)).collect(),
                ),
            ],
        )?;
    }
    root.present().map_err(err)
}

/// The scaling runs' verification rate over time, one line per replica count.
pub fn scaling(path: &Path, outcomes: &[&Outcome]) -> anyhow::Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let root = SVGBackend::new(path, (1200, 480)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let lines: Vec<Line> = outcomes
        .iter()
        .map(|o| {
            (
                format!(
                    "{} replica(s): {:.0}/s",
                    o.scenario.replicas, o.verified_rate
                ),
                o.progress.rates(|s| s.auth_get_ok),
            )
        })
        .collect();
    let latency = outcomes[0].scenario.latency_ms.unwrap_or(0);
    chart(
        &root,
        &format!("verification replicas, /auth/get +{latency} ms: verified per second"),
        "members per second",
        &lines,
    )?;
    root.present().map_err(err)
}

fn chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    caption: &str,
    y_desc: &str,
    lines: &[Line],
) -> anyhow::Result<()> {
    let points = lines.iter().flat_map(|(_, p)| p.iter());
    let (x_max, y_max) = points.fold((1.0f64, 1.0f64), |(x, y), (px, py)| {
        (x.max(*px), y.max(*py))
    });
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(60)
        .build_cartesian_2d(0.0..x_max * 1.02, 0.0..y_max * 1.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("seconds after the trigger")
        .y_desc(y_desc)
        .draw()
        .map_err(err)?;
    for (i, (label, points)) in lines.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(LineSeries::new(
                points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(label.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    Ok(())
}

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart: {e}")
}
