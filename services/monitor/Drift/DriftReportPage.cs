using System.Globalization;
using System.Text;
using static MlOps.ServiceDefaults.Pages.Html;

namespace MlOps.Monitor;

/// <summary>
/// A drift check as a page: the verdict, a table of every feature (method, statistic, threshold, p-value, verdict), and per
/// feature the reference and current distributions drawn side by side (inline SVG, no scripts).
/// </summary>
public static class DriftReportPage
{
    static string N(double? x) => x is double v ? v.ToString("G4", CultureInfo.InvariantCulture) : "—";

    public static string Render(DriftReport report, string? decision = null)
    {
        var html = new StringBuilder();
        html.Append($$"""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Drift of {{E(report.Pipeline)}} v{{report.Version}}</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem;color:#222}table{border-collapse:collapse;width:100%;margin:1rem 0}
            td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left}.bad{color:#b00020;font-weight:600}.ok{color:#176f2c}
            .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(22rem,1fr));gap:1rem}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem}
            .ref{fill:#9aa5b1}.cur{fill:#4a78b5}svg text{font-size:9px;fill:#555}</style></head><body>
            <h1>Drift check: {{E(report.Pipeline)}} v{{report.Version}}</h1>
            <p>{{report.At:u}} — {{report.CurrentRows}} live rows against a sample of {{report.ReferenceRows}} training rows (run <code>{{report.RunId:N}}</code>).</p>
            <p class="{{(report.DatasetDrift ? "bad" : "ok")}}">{{(report.DatasetDrift ? "DATASET DRIFT" : "No dataset drift")}}: {{report.DriftedShare:P0}} of features drifted (threshold {{report.ShareThreshold:P0}}).{{(decision is null ? "" : " " + E(decision) + ".")}}</p>
            <table><tr><th>feature</th><th>method</th><th>statistic</th><th>threshold</th><th>p-value</th><th>drifted</th></tr>
            """);
        foreach (var f in report.Features.OrderByDescending(f => f.Drifted).ThenBy(f => f.Feature))
            html.Append($"<tr><td>{E(f.Feature)}</td><td>{E(f.Test)}</td><td>{N(f.Statistic)}</td><td>{N(f.Threshold)}</td><td>{N(f.PValue)}</td><td class=\"{(f.Drifted ? "bad" : "ok")}\">{(f.Drifted ? "yes" : "no")}</td></tr>");
        html.Append("</table><h2>Distributions</h2><p><svg width=\"12\" height=\"10\"><rect class=\"ref\" width=\"10\" height=\"10\"/></svg> training sample "
            + "<svg width=\"12\" height=\"10\"><rect class=\"cur\" width=\"10\" height=\"10\"/></svg> live rows</p><div class=\"grid\">");
        foreach (var h in report.Histograms ?? [])
            html.Append($"<div class=\"card\"><b>{E(h.Feature)}</b>{Chart(h)}</div>");
        html.Append("</div></body></html>");
        return html.ToString();
    }

    static string Chart(FeatureHistogram h)
    {
        const int width = 340, height = 100, label = 14;
        var bins = h.Reference.Length;
        var max = Math.Max(1e-9, h.Reference.Concat(h.Current).Max());
        var slot = (double)width / bins;
        var svg = new StringBuilder($"<svg role=\"img\" width=\"{width}\" height=\"{height + label}\"><title>{E(h.Feature)}: training vs live</title>");
        for (var k = 0; k < bins; k++)
        {
            foreach (var (share, cls, offset) in new[] { (h.Reference[k], "ref", 1.0), (h.Current[k], "cur", slot / 2) })
            {
                var bar = height * share / max;
                svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"{cls}\" x=\"{k * slot + offset:0.#}\" y=\"{height - bar:0.#}\" width=\"{slot / 2 - 1.5:0.#}\" height=\"{bar:0.#}\"><title>[{N(h.Edges[k])}, {N(h.Edges[k + 1])}): {share:P1}</title></rect>");
            }
        }
        svg.Append($"<text x=\"0\" y=\"{height + 11}\">{N(h.Edges[0])}</text><text x=\"{width}\" y=\"{height + 11}\" text-anchor=\"end\">{N(h.Edges[^1])}</text></svg>");
        return svg.ToString();
    }
}
