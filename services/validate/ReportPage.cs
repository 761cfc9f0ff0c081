using System.Globalization;
using System.Text;
using MlOps.Contracts;
using static MlOps.ServiceDefaults.Pages.Html;

namespace MlOps.Validate;

/// <summary>
/// The readable form of a validation report, one self-contained page: the verdict, what is wrong (with examples),
/// warnings, every expectation, and a card per column with its statistics and histogram (inline SVG, no scripts).
/// </summary>
public static class ReportPage
{
    static string N(double? x) => x is double v ? v.ToString("G6", CultureInfo.InvariantCulture) : "";

    public static string Render(ValidationReport report)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Validation of run {{report.RunId:N}}</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem;color:#222}table{border-collapse:collapse;width:100%;margin:1rem 0}
            td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}.ok{color:#176f2c}.bad{color:#b00020;font-weight:600}
            .warn{color:#8a5a00}.verdict{font-size:1.4rem}.cols{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:1rem}
            .col{border:1px solid #ddd;border-radius:6px;padding:.6rem}.col h3{margin:.2rem 0}.col dl{display:grid;grid-template-columns:auto 1fr;gap:0 .8rem;margin:.4rem 0;font-size:.9rem}
            .col dd{margin:0}svg rect{fill:#4a78b5}svg text{font-size:9px;fill:#555}</style></head><body>
            <h1>Validation report</h1>
            <p>Pipeline <b>{{E(report.Pipeline)}}</b>, run <code>{{report.RunId:N}}</code>: {{report.Rows}} rows, {{report.Columns.Count}} columns,
            {{report.Bytes}} bytes, target <b>{{E(report.Target)}}</b>{{(report.BaselineRunId is { } b ? $", compared with the schema of run <code>{b:N}</code>" : ", first accepted dataset of this pipeline (no schema to compare with)")}}.</p>
            <p class="verdict {{(report.Success ? "ok" : "bad")}}">{{(report.Success ? "PASSED" : "REJECTED")}}: {{report.Statistics.SuccessfulExpectations}} of {{report.Statistics.EvaluatedExpectations}} expectations met ({{report.Statistics.SuccessPercent}}%).</p>
            """);
        Section(html, "What is wrong", "bad", report.Results.Where(r => !r.Success && r.Severity == Severity.Error));
        Section(html, "Warnings", "warn", report.Results.Where(r => !r.Success && r.Severity == Severity.Warning));
        if (report.Inferred is { Count: > 0 } inferred)
        {
            html.Append("<h2>What MlOps worked out</h2><p>Columns the spec does not name, and what each is to the model (set <code>validation.columnTypes</code> or <code>features</code> to decide otherwise).</p>")
                .Append("<table><tr><th>column</th><th>role</th><th>why</th><th>values</th></tr>");
            foreach (var i in inferred)
                html.Append($"<tr><td>{E(i.Name)}</td><td class=\"{(i.IsFeature ? "ok" : "warn")}\">{E(i.Role)}{(i.IsFeature ? "" : " (left out)")}</td><td>{E(i.Why)}</td>")
                    .Append($"<td>{E(string.Join(", ", i.Examples.Select(x => $"'{x}'")))}</td></tr>");
            html.Append("</table>");
        }

        html.Append("<h2>Expectations</h2><table><tr><th>expectation</th><th>column</th><th>arguments</th><th>result</th><th>observed</th><th>unexpected</th></tr>");
        foreach (var r in report.Results.OrderBy(r => r.Success).ThenBy(r => r.Severity))
        {
            var cls = r.Success ? "ok" : r.Severity == Severity.Warning ? "warn" : "bad";
            var args = string.Join(", ", r.Kwargs.Where(kv => kv.Key != "column").Select(kv => $"{kv.Key}={Show(kv.Value)}"));
            html.Append($"<tr><td>{E(r.ExpectationType)}</td><td>{E(r.Column)}</td><td>{E(args)}</td><td class=\"{cls}\">{(r.Success ? "passed" : r.Severity == Severity.Warning ? "warning" : "failed")}</td>")
                .Append($"<td>{E(Show(r.Result.ObservedValue))}</td><td>{(r.Result.UnexpectedCount is long u ? $"{u} ({r.Result.UnexpectedPercent:0.##}%)" : "")}</td></tr>");
        }
        html.Append("</table><h2>Columns</h2><div class=\"cols\">");
        foreach (var c in report.ColumnStatistics)
        {
            html.Append($"<div class=\"col\"><h3>{E(c.Name)}{(c.Name == report.Target ? " (target)" : "")}</h3><dl>")
                .Append($"<dt>type</dt><dd>{c.Type.ToString().ToLowerInvariant()}{(c.Declared is { } d && d != c.Type ? $" (declared {d.ToString().ToLowerInvariant()})" : "")}</dd>")
                .Append($"<dt>empty</dt><dd>{c.Nulls} ({c.NullRate:P2})</dd><dt>distinct</dt><dd>{(c.Distinct?.ToString(CultureInfo.InvariantCulture) ?? $"more than {ColumnScan.MaxCategories}")}</dd>");
            if (c.Min is not null)
                html.Append($"<dt>min / max</dt><dd>{N(c.Min)} / {N(c.Max)}</dd><dt>mean ± std</dt><dd>{N(c.Mean)} ± {N(c.StdDev)}</dd><dt>median</dt><dd>{N(c.Median)}</dd>");
            html.Append("</dl>").Append(Histogram(c)).Append("</div>");
        }
        html.Append("</div></body></html>");
        return html.ToString();
    }

    static void Section(StringBuilder html, string title, string cls, IEnumerable<ExpectationResult> results)
    {
        var list = results.ToList();
        if (list.Count == 0) return;
        html.Append($"<h2>{title}</h2><ul>");
        foreach (var r in list)
        {
            html.Append($"<li><span class=\"{cls}\">{E(r.Message)}</span> <small>({E(r.ExpectationType)})</small>");
            if (r.Result.PartialUnexpectedList.Count > 0)
                html.Append("<br><small>examples: ").Append(E(string.Join("; ", r.Result.PartialUnexpectedList))).Append("</small>");
            html.Append("</li>");
        }
        html.Append("</ul>");
    }

    /// <summary>A bar chart: numeric bins left to right, or the most frequent values.</summary>
    static string Histogram(ColumnSummary c)
    {
        if (c.Histogram.Count == 0) return "";
        const int width = 340, height = 90, label = 14;
        var max = Math.Max(1, c.Histogram.Max(b => b.Count));
        var bar = (double)width / c.Histogram.Count;
        var svg = new StringBuilder($"<svg role=\"img\" width=\"{width}\" height=\"{height + label}\" viewBox=\"0 0 {width} {height + label}\"><title>Histogram of {E(c.Name)}</title>");
        for (var i = 0; i < c.Histogram.Count; i++)
        {
            var b = c.Histogram[i];
            var h = height * (double)b.Count / max;
            var tip = b.Value is not null ? $"{b.Value}: {b.Count}" : $"[{N(b.From)}, {N(b.To)}): {b.Count}";
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{i * bar + 1:0.#}\" y=\"{height - h:0.#}\" width=\"{Math.Max(1, bar - 2):0.#}\" height=\"{h:0.#}\"><title>{E(tip)}</title></rect>");
        }
        var first = c.Histogram[0];
        var last = c.Histogram[^1];
        svg.Append(first.Value is not null
            ? $"<text x=\"0\" y=\"{height + 11}\">most frequent first: {E(Clip(first.Value, 30))} ({first.Count})</text>"
            : $"<text x=\"0\" y=\"{height + 11}\">{N(first.From)}</text><text x=\"{width}\" y=\"{height + 11}\" text-anchor=\"end\">{N(last.To)}</text>");
        svg.Append("</svg>");
        if (c.SampledFrom > 0) svg.Append($"<div><small>from a uniform sample of {c.SampledFrom} values</small></div>");
        return svg.ToString();
    }

    static string Show(object? value) => value switch
    {
        null => "",
        System.Collections.IEnumerable list and not string => "[" + string.Join(", ", list.Cast<object?>()) + "]",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    static string Clip(string s, int n) => s.Length <= n ? s : s[..n] + "…";
}
