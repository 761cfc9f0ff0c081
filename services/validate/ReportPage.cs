using System.Net;
using System.Text;
using MlOps.Contracts;

namespace MlOps.Validate;

/// <summary>The readable form of a validation report: verdict first, failed expectations with examples, then column summaries.</summary>
public static class ReportPage
{
    public static string Render(ValidationReport report, ReferenceProfile? profile)
    {
        static string E(object? s) => WebUtility.HtmlEncode(s?.ToString() ?? "");
        var html = new StringBuilder();
        html.Append($$"""
            <!doctype html><html><head><meta charset="utf-8"><title>Validation of run {{report.RunId:N}}</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%;margin:1rem 0}
            td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}.ok{color:#176f2c}.bad{color:#b00020;font-weight:600}
            .verdict{font-size:1.4rem}</style></head><body>
            <h1>Validation report</h1>
            <p>Pipeline <b>{{E(report.Pipeline)}}</b>, run <code>{{report.RunId:N}}</code>: {{report.Rows}} rows, {{report.Columns.Count}} columns, target <b>{{E(report.Target)}}</b>.</p>
            <p class="verdict {{(report.Success ? "ok" : "bad")}}">{{(report.Success ? "PASSED" : "REJECTED")}}: {{report.Statistics.SuccessfulExpectations}} of {{report.Statistics.EvaluatedExpectations}} expectations met ({{report.Statistics.SuccessPercent}}%).</p>
            """);
        if (!report.Success)
        {
            html.Append("<h2>What is wrong</h2><ul>");
            foreach (var reason in report.Reasons) html.Append($"<li class=\"bad\">{E(reason)}</li>");
            html.Append("</ul>");
        }
        html.Append("<h2>Expectations</h2><table><tr><th>expectation</th><th>column</th><th>result</th><th>observed</th><th>examples</th></tr>");
        foreach (var r in report.Results.OrderBy(r => r.Success))
        {
            html.Append($"<tr><td>{E(r.Expectation)}</td><td>{E(r.Column)}</td><td class=\"{(r.Success ? "ok" : "bad")}\">{(r.Success ? "passed" : "failed")}</td><td>{E(r.Observed)}</td><td>{E(string.Join("; ", r.Examples))}</td></tr>");
        }
        html.Append("</table>");
        if (profile is not null)
        {
            html.Append("<h2>Features</h2><table><tr><th>feature</th><th>count</th><th>min</th><th>max</th><th>mean</th><th>std</th></tr>");
            foreach (var f in profile.Features)
                html.Append($"<tr><td>{E(f.Name)}</td><td>{f.Count}</td><td>{f.Min:G6}</td><td>{f.Max:G6}</td><td>{f.Mean:G6}</td><td>{f.StdDev:G6}</td></tr>");
            html.Append("</table><h2>Target</h2><table><tr><th>class</th><th>rows</th></tr>");
            foreach (var (label, count) in profile.TargetCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                html.Append($"<tr><td>{E(label)}</td><td>{count}</td></tr>");
            html.Append("</table>");
        }
        html.Append("</body></html>");
        return html.ToString();
    }
}
