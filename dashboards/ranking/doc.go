// Package ranking computes the monthly approval-performance ranking (审批绩效排名) of
// docs/ranking.md and renders it as CSV and HTML. It is pure: a month's per-department
// aggregates, the method and the generation time in, the Ranking out; no clock, no Redis,
// no I/O beyond the io.Writer given to a renderer. Gathering the aggregates from cases and
// alerts, storing published months and serving them is the caller's job.
//
// # The method
//
// Over the cases decided in the month (withdrawn cases excluded), per department:
// decided; on_time_rate, statutory_rate and early_rate, the shares decided by the promised
// deadline, by the statutory deadline, and using at most half of the promised days;
// avg_time_ratio, the mean of deadline.TimeRatio over the decided cases; red_per_100 and
// yellow_per_100, the alerts whose instant falls in the month per 100 decided cases; and
// open_overdue. The score is
//
//	100 · (w_on_time·on_time_rate + w_time_ratio·(1 − min(avg_time_ratio, 1))
//	       + w_early·early_rate + w_red·max(0, 1 − red_per_100/10)
//	       + w_open_overdue·max(0, 1 − open_overdue/10)) / Σw
//
// which with the default weights 40, 20, 10, 20, 10 (adding up to 100) is the
// published formula exactly. Departments are ranked by score, then on-time rate, then decided
// count, on full precision; those still equal share a rank (1, 2, 2, 4).
//
// # Choices where the rules are silent
//
//   - Weights are relative: the score is scaled by 100/Σw so it stays 0–100 whatever the
//     configured weights add up to (the score is "0–100" and the weights are configurable).
//   - TimeRatio for a 0-day matter (即办件) is the used days themselves: 0 when decided on the
//     start day (which the clock rule never counts, so used_days is 0), then 1 per counted
//     working day. A case's ratio is not capped; only the average is, in the score.
//   - "Full precision" compares scores quantised to 10⁻⁹, which absorbs floating-point
//     rounding (10/12·40 is 33.333333333333336) and nothing a ranking could mean; on-time
//     rates are compared exactly (equal fractions give equal doubles).
//   - Rounding is half away from zero (四舍五入) on the decimal value, after removing
//     floating-point noise below 10⁻⁹: 0.5005 publishes as 0.501 and 1.15 as 1.2, where
//     math.Round(x*1000)/1000 would give 0.5 and 1.1.
//   - Order: ranked departments by rank, tied ones by department code; then the departments
//     below min_cases (样本不足, rank null, ranked false) by department code, since they
//     are not compared with one another. Their figures and score are still shown.
//   - A department with no decided case has every rate, ratio, per-100 figure and score
//     undefined: JSON shows 0 (the fields stay numbers), ranked is false since min_cases is
//     at least 1, and the CSV leaves them empty and the HTML shows "—".
//   - Aggregates with the same department code are added together.
//   - JSON: rates are fractions 0–1 with up to 3 decimals; red_per_100, yellow_per_100 and
//     score are written with exactly one decimal (57.0), as the published rankings show them; method is
//     {"weights": {on_time, time_ratio, early, red, open_overdue}, "min_cases": n}, the
//     names of the `ranking` configuration keys. A Ranking holds the rounded figures, so a
//     stored month reads back and renders unchanged.
//   - CSV: UTF-8 with BOM, CRLF, Chinese headings, department code and name; rates as
//     percentages with one decimal ("83.3%", which Excel and WPS read as numbers), the
//     average time ratio with three decimals; 样本不足 in the rank column; cells that would
//     start a formula (= + - @) are prefixed with an apostrophe. The table is rectangular:
//     the method is stated in the JSON and the HTML.
//   - HTML: one page, inline CSS with print rules (A4 landscape), no scripts or external
//     assets; the bar chart shows the ranked departments only, on a 0–100 scale.
//   - Provisional (Ranking.Provisional, a month not published yet): the HTML title ends in
//     （暂定）, the period runs to the instant computed ("2026年3月1日起，截至 …"; for an
//     ended month, the whole month and that instant), and a banner under the heading says
//     it is not final; the CSV's first line, after the BOM and before the heading, says the
//     same in one cell. A published month renders with none of it.
//
// docs/ranking.md says the same for readers of the project's documentation.
package ranking
