using System.Globalization;
using System.Text;
using static MlOps.ServiceDefaults.Pages.Html;

namespace MlOps.Registry;

/// <summary>
/// A pipeline at a glance, as a page that refreshes itself every few seconds (<c>GET /console/{pipeline}</c>): what serves,
/// each recent run's progress through the stages, the run graph (which run retrained which, and why), and the gate metric
/// of every model version, drawn (inline SVG, no scripts).
/// </summary>
public static class ConsolePage
{
    /// <summary>A run ID short enough for a table: its last 12 hex digits (the first ones of sequential IDs are shared by runs of the same hour).</summary>
    static string Short(Guid id) => id.ToString("N")[^12..];

    /// <summary>The stages a run goes through, and how far each status got (a failed run stops where it failed).</summary>
    static readonly string[] Stages = ["arrived", "validated", "trained", "gated", "deployed"];

    /// <summary>The start of every console page: its title, the shared style, and a refresh every <paramref name="refreshSeconds"/> if given.</summary>
    public static string Head(string title, int? refreshSeconds) =>
        $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">{(refreshSeconds is { } s ? $"<meta http-equiv=\"refresh\" content=\"{s}\">" : "")}"
        + $"<title>{E(title)}</title>" + Style + "</head><body>";

    const string Style = """
        <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem;color:#222}table{border-collapse:collapse;width:100%;margin:1rem 0}
        td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:middle}.bad{color:#b00020;font-weight:600}.ok{color:#176f2c;font-weight:600}
        .live{color:#1f5fa8;font-weight:600}.muted{color:#777}.bar{display:flex;gap:2px}.bar span{width:3.2rem;height:.7rem;background:#e4e7eb;border-radius:2px}
        .bar .done{background:#4a78b5}.bar .fail{background:#b00020}svg text{font-size:10px;fill:#555}</style>
        """;

    /// <summary>Every pipeline with recent runs (their newest run each), linking to its page (<c>GET /console</c>).</summary>
    public static string RenderIndex(IEnumerable<RunRecord> latest) =>
        Head("MlOps", refreshSeconds: 5) + "<h1>MlOps pipelines</h1><ul>"
        + (latest.Any() ? string.Concat(latest.Select(r => $"<li><a href=\"/console/{E(r.Pipeline)}\">{E(r.Pipeline)}</a>: last run {E(r.Status)} ({r.UpdatedAt:u})</li>"))
            : "<li>None yet: PUT a spec and upload a dataset.</li>")
        + "</ul></body></html>";

    static (int Done, bool Failed) Progress(RunRecord run) => (RunLifecycle.StepOf(run.State, run.Stage), RunLifecycle.Of(run.State).Stopped);

    static string StatusClass(string status) => RunLifecycle.Of(RunLifecycle.Parse(status)).Tone.ToString().ToLowerInvariant();

    public static string Render(string pipeline, IReadOnlyList<RunRecord> runs, IReadOnlyList<ModelVersion> versions, ModelVersion? champion,
        bool retired, DateTimeOffset now)
    {
        var html = new StringBuilder();
        var serving = retired ? "<span class=\"muted\">retired: nothing serves until a person promotes a version</span>"
            : champion is null ? "nothing serves yet" : $"<b>v{champion.Version}</b> serves (run <a href=\"/runs/{champion.RunId:N}/html\">{Short(champion.RunId)}</a>)";
        var active = runs.Count(r => StatusClass(r.Status) == "live");
        html.Append(Head($"MlOps: {pipeline}", refreshSeconds: 5)).Append($$"""
            <h1>MlOps console: {{E(pipeline)}}</h1>
            <p>{{serving}}. {{runs.Count}} recent run(s), {{active}} in progress; {{versions.Count}} model version(s). Updated {{now:u}}, every 5 s.</p>
            <h2>Runs</h2>
            <table><tr><th>run</th><th>trigger</th><th>status</th><th>{{string.Join(" → ", Stages)}}</th><th>started</th><th>took</th><th>rows</th><th>version</th><th>parent</th></tr>
            """);
        var byRun = versions.ToDictionary(v => v.RunId);
        foreach (var run in runs)
        {
            var took = ((StatusClass(run.Status) == "live" ? now : run.UpdatedAt) - run.CreatedAt).TotalSeconds;
            var version = byRun.GetValueOrDefault(run.RunId) is { } v ? $"v{v.Version} {(v.Approved ? "<span class=\"ok\">✓</span>" : "<span class=\"bad\">✗</span>")}" : "";
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"/runs/{run.RunId:N}/html\"><code>{Short(run.RunId)}</code></a></td><td>{E(run.Trigger)}</td>"
                + $"<td class=\"{StatusClass(run.Status)}\">{E(run.Status)}{(run.Error is null ? "" : $"<br><small>{E(run.Error.Length > 160 ? run.Error[..160] + "…" : run.Error)}</small>")}</td>"
                + $"<td>{ProgressBar(run)}</td><td>{run.CreatedAt:u}</td><td>{took:0.0} s</td><td>{run.DatasetRows}</td><td>{version}</td>"
                + $"<td>{(run.ParentRunId is { } p ? $"<a href=\"/runs/{p:N}/html\"><code>{Short(p)}</code></a>" : "")}</td></tr>");
        }
        html.Append("</table><h2>Run graph</h2><p class=\"muted\">Each dot a run, oldest on the left, one row per trigger; a line joins a retrain to the run it retrained.</p>");
        html.Append(Graph(runs));
        html.Append("<h2>Model versions</h2>");
        html.Append(Versions(versions, champion));
        html.Append("</body></html>");
        return html.ToString();
    }

    static string Graph(IReadOnlyList<RunRecord> runs)
    {
        if (runs.Count == 0) return "<p>No runs yet.</p>";
        var ordered = runs.OrderBy(r => r.CreatedAt).ToList();
        var lanes = ordered.Select(r => r.Trigger ?? "?").Distinct().ToList();
        const int step = 34, lane = 30, left = 90;
        var width = left + step * ordered.Count + 20;
        var height = lane * lanes.Count + 10;
        var at = ordered.Select((r, i) => (r.RunId, X: left + step * i + 10, Y: 15 + lane * lanes.IndexOf(r.Trigger ?? "?"))).ToDictionary(p => p.RunId);
        var svg = new StringBuilder($"<svg role=\"img\" width=\"{width}\" height=\"{height}\"><title>Runs and the runs they retrained</title>");
        for (var i = 0; i < lanes.Count; i++)
            svg.Append($"<text x=\"0\" y=\"{19 + lane * i}\">{E(lanes[i])}</text>");
        foreach (var r in ordered)
            if (r.ParentRunId is { } parent && at.TryGetValue(parent, out var from))
                svg.Append($"<line class=\"edge\" x1=\"{from.X}\" y1=\"{from.Y}\" x2=\"{at[r.RunId].X}\" y2=\"{at[r.RunId].Y}\" stroke=\"#9aa5b1\" stroke-width=\"1.5\"/>");
        foreach (var r in ordered)
        {
            var colour = StatusClass(r.Status) switch { "ok" => "#176f2c", "bad" => "#b00020", "muted" => "#999", _ => "#1f5fa8" };
            var (x, y) = (at[r.RunId].X, at[r.RunId].Y);
            svg.Append($"<a href=\"/runs/{r.RunId:N}/html\"><circle cx=\"{x}\" cy=\"{y}\" r=\"7\" fill=\"{colour}\"><title>{Short(r.RunId)}: {E(r.Trigger)}, {E(r.Status)}, {r.CreatedAt:u}</title></circle></a>");
        }
        return svg.Append("</svg>").ToString();
    }

    static string Versions(IReadOnlyList<ModelVersion> versions, ModelVersion? champion)
    {
        if (versions.Count == 0) return "<p>No model versions yet.</p>";
        var metric = versions.Any(v => v.Metrics.ContainsKey("accuracy")) ? "accuracy" : "r2";
        var values = versions.Select(v => v.Metrics.GetValueOrDefault(metric, double.NaN)).Where(double.IsFinite).ToList();
        var low = values.Count == 0 ? 0 : Math.Min(0.5, Math.Floor(values.Min() * 10) / 10);
        const int height = 120, bar = 26, gap = 8, left = 34;
        var width = left + versions.Count * (bar + gap) + 10;
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<p>{metric} on each version's hold-out rows; green passed the gate, grey did not; the champion is outlined.</p>"
            + $"<svg role=\"img\" width=\"{width}\" height=\"{height + 28}\"><title>{metric} per model version</title>"
            + $"<text x=\"0\" y=\"10\">1</text><text x=\"0\" y=\"{height}\">{low:0.#}</text><line x1=\"{left - 4}\" y1=\"{height}\" x2=\"{width}\" y2=\"{height}\" stroke=\"#ccc\"/>");
        for (var i = 0; i < versions.Count; i++)
        {
            var v = versions[i];
            var value = v.Metrics.GetValueOrDefault(metric, double.NaN);
            var h = double.IsFinite(value) ? Math.Max(1, (height - 4) * (value - low) / (1 - low)) : 0;
            var x = left + i * (bar + gap);
            var outline = champion?.Version == v.Version ? " stroke=\"#222\" stroke-width=\"2\"" : "";
            svg.Append(CultureInfo.InvariantCulture, $"<rect class=\"version\" x=\"{x}\" y=\"{height - h:0.#}\" width=\"{bar}\" height=\"{h:0.#}\" fill=\"{(v.Approved ? "#4c9a5b" : "#b8bec6")}\"{outline}>"
                + $"<title>v{v.Version}: {metric} {value:0.####}, {(v.Approved ? "approved" : "rejected")}: {E(string.Join(" ", v.Reasons))}</title></rect>"
                + $"<text x=\"{x + bar / 2}\" y=\"{height + 12}\" text-anchor=\"middle\">v{v.Version}</text>"
                + $"<text x=\"{x + bar / 2}\" y=\"{height + 24}\" text-anchor=\"middle\">{value:0.###}</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    static string ProgressBar(RunRecord run)
    {
        var (done, failed) = Progress(run);
        return "<div class=\"bar\">" + string.Concat(Stages.Select((stage, i) =>
            $"<span class=\"{(i < done ? "done" : failed && i == done ? "fail" : "")}\" title=\"{stage}\"></span>")) + "</div>";
    }

    /// <summary>One run as a page (<c>GET /runs/{id}/html</c>): its facts, its stages drawn on a time line, the gate's verdict and metrics.</summary>
    public static string RenderRun(RunRecord run, ModelVersion? version, IReadOnlyList<(string Event, double Start, double Seconds, double? Work)> stages,
        Orchestration? orchestration, IReadOnlyList<string> artifacts, DateTimeOffset now)
    {
        var live = StatusClass(run.Status) == "live";
        var html = new StringBuilder();
        html.Append(Head($"Run {Short(run.RunId)} of {run.Pipeline}", live ? 3 : null)).Append(CultureInfo.InvariantCulture, $$"""
            <p><a href="/console/{{E(run.Pipeline)}}">← {{E(run.Pipeline)}}</a></p>
            <h1>Run <code>{{run.RunId:N}}</code></h1>
            <p class="{{StatusClass(run.Status)}}">{{E(run.Status)}}</p>{{ProgressBar(run)}}
            {{(run.Error is null ? "" : $"<p class=\"bad\">{E(run.Error)}</p>")}}
            <table>
            <tr><th>trigger</th><td>{{E(run.Trigger)}}</td></tr>
            <tr><th>parent run</th><td>{{(run.ParentRunId is { } parent ? $"<a href=\"/runs/{parent:N}/html\"><code>{parent:N}</code></a>" : "—")}}</td></tr>
            <tr><th>started</th><td>{{run.CreatedAt:u}} (last change {{run.UpdatedAt:u}})</td></tr>
            <tr><th>dataset</th><td>{{run.DatasetRows}} rows, {{run.DatasetBytes}} bytes, SHA-256 <code>{{E(run.DatasetSha256)}}</code></td></tr>
            <tr><th>spec, code, seed</th><td>SHA-256 <code>{{E(run.SpecSha256)}}</code>, code {{E(run.CodeVersion)}}, seed {{run.Seed}}</td></tr>
            {{(run.CachedFrom is { } cached ? $"<tr><th>model from the training cache</th><td><a href=\"/runs/{cached:N}/html\"><code>{cached:N}</code></a></td></tr>" : "")}}
            </table>
            <p><a href="/validation/{{run.RunId:N}}/html">validation report</a> · <a href="/lineage/runs/{{run.RunId:N}}">lineage</a> · <a href="/runs/{{run.RunId:N}}">this run as JSON</a></p>
            <h2>Stages</h2>
            """);
        html.Append(Timeline(stages, live ? (now - run.CreatedAt).TotalSeconds : null));
        if (orchestration is not null)
            html.Append(CultureInfo.InvariantCulture,
                $"<p class=\"orchestration\">From the data's arrival to serving: {orchestration.ArrivedToDeployedSeconds:0.###} s, of which the stages' own work " +
                $"{orchestration.StagesSeconds:0.###} s and the orchestration (queues, hand-overs) {orchestration.OverheadSeconds * 1000:0.#} ms.</p>");
        if (version is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>Model v{version.Version}: {(version.Approved ? "<span class=\"ok\">approved</span>" : "<span class=\"bad\">rejected</span>")} by the gate</h2><ul>");
            foreach (var reason in version.Reasons) html.Append($"<li>{E(reason)}</li>");
            html.Append("</ul><table><tr><th>metric</th><th>hold-out value</th></tr>");
            foreach (var (name, value) in version.Metrics.OrderBy(m => m.Key, StringComparer.Ordinal))
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(name)}</td><td>{value:0.######}</td></tr>");
            html.Append($"</table><p>model SHA-256 <code>{E(version.ModelSha256)}</code>{(version.Aliases.Count > 0 ? $", aliases: {E(string.Join(", ", version.Aliases))}" : "")}</p>");
        }
        html.Append("<h2>Artifacts</h2><ul>");
        foreach (var key in artifacts) html.Append($"<li><code>{E(key)}</code></li>");
        return html.Append("</ul></body></html>").ToString();
    }

    /// <summary>
    /// The stages on a time line: each event's bar spans the time since the one before it; its darker end, the time the
    /// stage that published the event worked on the run (the rest of the bar is waiting: queues, hand-overs).
    /// </summary>
    static string Timeline(IReadOnlyList<(string Event, double Start, double Seconds, double? Work)> stages, double? runningFor)
    {
        if (stages.Count == 0) return "<p>No events yet.</p>";
        var total = Math.Max(stages.Max(s => s.Start + s.Seconds), runningFor ?? 0);
        if (total <= 0) total = 1;
        const int width = 640, left = 160, row = 20;
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture,
            $"<svg role=\"img\" width=\"{left + width + 70}\" height=\"{row * stages.Count + 24}\"><title>Stages on a time line ({total:0.###} s)</title>");
        for (var i = 0; i < stages.Count; i++)
        {
            var (name, start, seconds, work) = stages[i];
            var x = left + width * start / total;
            var w = Math.Max(2, width * seconds / total);
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{row * i + 14}\">{E(name)}</text>"
                + $"<rect class=\"stage\" x=\"{x:0.#}\" y=\"{row * i + 4}\" width=\"{w:0.#}\" height=\"{row - 8}\" fill=\"#a9c1e0\"><title>{E(name)}: {seconds:0.###} s</title></rect>");
            if (work is { } busy)
            {
                // The stage's own work ends where its event was sent: the bar's right end.
                var ww = Math.Min(w, Math.Max(1, width * busy / total));
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect class=\"work\" x=\"{x + w - ww:0.#}\" y=\"{row * i + 4}\" width=\"{ww:0.#}\" height=\"{row - 8}\" fill=\"#24508a\"><title>the stage's own work: {busy:0.###} s</title></rect>");
            }
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + w + 4:0.#}\" y=\"{row * i + 14}\">{seconds:0.###} s{(work is { } b ? $" ({b:0.###} s work)" : "")}</text>");
        }
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{row * stages.Count + 18}\">0 s</text><text x=\"{left + width}\" y=\"{row * stages.Count + 18}\" text-anchor=\"end\">{total:0.###} s</text></svg>");
        return svg.ToString();
    }
}
