//! The opened bundle's expiry dates on one time axis.

use leptos::prelude::*;

use super::*;

/// Days from `today` (`YYYY-MM-DD`) to `day`, by the calendar (for drawing only; the
/// worker computed the days left).
pub(super) fn day_number(ymd: &str) -> Option<i64> {
    let mut it = ymd.get(..10)?.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (it.next()??, it.next()??, it.next()??);
    // Days since 1970-01-01 (civil calendar, Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Every certificate of the opened bundle and the CRL's next update on one time axis, with
/// today and the renew threshold; each bar's label says its date and what applies.
#[component]
pub(super) fn Timeline() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    move || {
        let f = d.opened.with(|o| o.as_ref().map(|o| o.facts.clone()))?;
        let today = day_number(&f.today)?;
        let mut bars: Vec<(String, String, i64, String)> = f
            .certs
            .iter()
            .map(|c| {
                (
                    c.id.clone(),
                    c.expires.clone(),
                    c.days_left,
                    c.action.clone(),
                )
            })
            .collect();
        if let Some(c) = &f.crl {
            bars.push((
                "CRL next update".into(),
                c.next_update.clone(),
                c.days_left,
                c.action.clone(),
            ));
        }
        let end = bars
            .iter()
            .filter_map(|b| day_number(&b.1))
            .max()
            .unwrap_or(today)
            .max(today + f.renew_within_days)
            + 30;
        let start = today - 30;
        let (label_w, plot_w, row_h) = (190.0, 560.0, 18.0);
        let x =
            move |day: i64| label_w + plot_w * (day - start) as f64 / (end - start).max(1) as f64;
        let height = row_h * (bars.len() as f64 + 2.0);
        let threshold = today + f.renew_within_days;
        let rows = bars
            .into_iter()
            .enumerate()
            .map(|(i, (id, date, days, action))| {
                let y = row_h * (i as f64 + 1.0);
                let stop = day_number(&date).unwrap_or(today);
                let due = days <= f.renew_within_days;
                let label = format!("{id}: until {date}, {days} days left; {action}");
                view! {
                    <g data-testid="timeline-bar" data-id=id.clone() role="listitem" aria-label=label.clone()>
                        <title>{label.clone()}</title>
                        <text x="4" y=y + 12.0 font-size="11">{id.clone()}</text>
                        <rect x=x(start.max(stop.min(today))) y=y + 3.0
                            width=(x(stop) - x(start.max(stop.min(today)))).abs().max(2.0) height=row_h - 6.0
                            class=if due { "bar due" } else { "bar" }/>
                    </g>
                }
            })
            .collect_view();
        Some(view! {
            <h3 id="timeline-title">"Expiry at a glance"</h3>
            <p class="hint" id="timeline-legend">{format!(
                "Today is {}; a certificate within {} days of its end is due for renewal (the dashed line). Each bar ends at its certificate's notAfter.",
                f.today, f.renew_within_days
            )}</p>
            <svg id="timeline" role="list" aria-labelledby="timeline-title" aria-describedby="timeline-legend"
                width="100%" viewBox=format!("0 0 {} {height}", label_w + plot_w + 10.0)>
                <line data-testid="timeline-today" x1=x(today) x2=x(today) y1="0" y2=height class="today"
                    stroke="currentColor"/>
                <line data-testid="timeline-threshold" x1=x(threshold) x2=x(threshold) y1="0" y2=height
                    stroke="currentColor" stroke-dasharray="4 3"/>
                {rows}
            </svg>
        })
    }
}
