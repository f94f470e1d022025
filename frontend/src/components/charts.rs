//! Charts as plain SVG: stacked bars over days, a line over days, horizontal bars and a
//! sparkline. Each chart is an image with a label that says what it shows; the numbers behind it
//! are in a table beside it (see the Insights page).

use leptos::prelude::*;

/// A series of a stacked bar chart: its name, its CSS colour class and one value per bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: &'static str,
    pub class: &'static str,
    pub values: Vec<u64>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
/// Room at the bottom for the first and last labels.
const AXIS: f64 = 18.0;

/// The tallest stack of `series`, at least 1 (so that an empty chart still draws).
fn tallest(series: &[Series], bars: usize) -> u64 {
    (0..bars)
        .map(|bar| {
            series
                .iter()
                .map(|s| s.values.get(bar).copied().unwrap_or(0))
                .sum::<u64>()
        })
        .max()
        .unwrap_or(0)
        .max(1)
}

/// Stacked bars, one per label (a day), each stack the series in order from the bottom.
#[component]
pub fn StackedBars(label: String, labels: Vec<String>, series: Vec<Series>) -> impl IntoView {
    let bars = labels.len().max(1);
    let top = tallest(&series, bars) as f64;
    let slot = WIDTH / bars as f64;
    let width = (slot * 0.8).max(1.0);
    let plot = HEIGHT - AXIS;
    let stacks = (0..labels.len())
        .map(|bar| {
            let mut base = plot;
            let pieces = series
                .iter()
                .filter_map(|s| {
                    let value = s.values.get(bar).copied().unwrap_or(0);
                    (value > 0).then(|| {
                        let height = value as f64 / top * (plot - 4.0);
                        base -= height;
                        view! {
                            <rect class=s.class x=format!("{:.1}", bar as f64 * slot + slot * 0.1) y=format!("{base:.1}")
                                width=format!("{width:.1}") height=format!("{height:.1}")>
                                <title>{format!("{}: {} {}", labels[bar], value, s.name)}</title>
                            </rect>
                        }
                    })
                })
                .collect_view();
            view! { <g class="bar" data-label=labels[bar].clone()>{pieces}</g> }
        })
        .collect_view();
    let first = labels.first().cloned().unwrap_or_default();
    let last = labels.last().cloned().unwrap_or_default();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label.clone()>
                <line class="axis" x1="0" y1=format!("{plot}") x2=format!("{WIDTH}") y2=format!("{plot}")/>
                {stacks}
                <text class="tick" x="0" y=format!("{HEIGHT}")>{first}</text>
                <text class="tick" x=format!("{WIDTH}") y=format!("{HEIGHT}") text-anchor="end">{last}</text>
            </svg>
            <figcaption class="legend">
                {series.iter().map(|s| view! { <span><i class=format!("swatch {}", s.class)></i>{s.name}</span> }).collect_view()}
            </figcaption>
        </figure>
    }
}

/// A line over days; a day without a value (`None`) breaks the line. `format` writes a value
/// for its tooltip; the scale runs from 0 to `max` (or the largest value).
#[component]
pub fn LineChart(
    label: String,
    labels: Vec<String>,
    values: Vec<Option<f64>>,
    max: Option<f64>,
    format: fn(f64) -> String,
) -> impl IntoView {
    let top = max
        .or_else(|| values.iter().flatten().copied().reduce(f64::max))
        .filter(|top| *top > 0.0)
        .unwrap_or(1.0);
    let plot = HEIGHT - AXIS;
    let step = WIDTH / labels.len().max(1) as f64;
    let point = |index: usize, value: f64| {
        (
            index as f64 * step + step / 2.0,
            plot - value / top * (plot - 4.0),
        )
    };
    // Runs of consecutive days with a value, each drawn as one polyline.
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut run = Vec::new();
    for (index, value) in values.iter().enumerate() {
        match value {
            Some(value) => run.push(point(index, *value)),
            None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
            None => {}
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    let lines = runs
        .into_iter()
        .map(|run| {
            let points = run
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect::<Vec<_>>()
                .join(" ");
            view! { <polyline class="line" points=points/> }
        })
        .collect_view();
    let dots = values
        .iter()
        .enumerate()
        .filter_map(|(index, value)| {
            let value = (*value)?;
            let (x, y) = point(index, value);
            Some(view! {
                <circle class="dot" cx=format!("{x:.1}") cy=format!("{y:.1}") r="3">
                    <title>{format!("{}: {}", labels[index], format(value))}</title>
                </circle>
            })
        })
        .collect_view();
    let first = labels.first().cloned().unwrap_or_default();
    let last = labels.last().cloned().unwrap_or_default();
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=label>
                <line class="axis" x1="0" y1=format!("{plot}") x2=format!("{WIDTH}") y2=format!("{plot}")/>
                {lines}
                {dots}
                <text class="tick" x="0" y=format!("{HEIGHT}")>{first}</text>
                <text class="tick" x=format!("{WIDTH}") y=format!("{HEIGHT}") text-anchor="end">{last}</text>
                <text class="tick" x="0" y="12">{format(top)}</text>
            </svg>
        </figure>
    }
}

/// Horizontal bars, one per item: its label and its count, longest first as given.
#[component]
pub fn HorizontalBars(
    label: String,
    items: Vec<(String, u64)>,
    class: &'static str,
) -> impl IntoView {
    let top = items
        .iter()
        .map(|(_, count)| *count)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    view! {
        <ul class="hbars" role="img" aria-label=label>
            {items.into_iter().map(|(name, count)| {
                let share = count as f64 / top * 100.0;
                view! {
                    <li class="hbar">
                        <span class="hbar-label">{name}</span>
                        <span class="hbar-track"><span class=format!("hbar-fill {class}") style=format!("width: {share:.1}%")></span></span>
                        <span class="hbar-count">{count}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// A small line of `values` (a table cell's trend).
#[component]
pub fn Sparkline(label: String, values: Vec<u64>) -> impl IntoView {
    let (width, height) = (100.0, 24.0);
    let top = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = width / (values.len().max(2) - 1) as f64;
    let points = values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            format!(
                "{:.1},{:.1}",
                index as f64 * step,
                height - 2.0 - *value as f64 / top * (height - 4.0)
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <svg class="sparkline" viewBox=format!("0 0 {width} {height}") role="img" aria-label=label>
            <polyline points=points/>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_the_tallest_stack() {
        let series = vec![
            Series {
                name: "a",
                class: "a",
                values: vec![1, 5, 2],
            },
            Series {
                name: "b",
                class: "b",
                values: vec![4, 1],
            },
        ];
        assert_eq!(tallest(&series, 3), 6);
        assert_eq!(tallest(&[], 0), 1, "an empty chart still has a scale");
    }
}
