using System.Text.Json;
using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;
using MlOps.ServiceDefaults.Security;

namespace MlOps.Monitor.Consumers;

/// <summary>What a webhook receives: the kind of alert, the pipeline and run, when, a sentence, and the event itself.</summary>
public record Alert(string Kind, string Pipeline, Guid RunId, DateTimeOffset At, string Summary, object Event);

/// <summary>
/// Tells the pipeline's webhooks (its run's spec: <c>alerts.webhooks</c>) about drift, rollbacks and failed runs. Each webhook
/// is called once per event with the standard resilience (retries with backoff); one that still fails is logged and
/// skipped, so a dead endpoint never blocks the pipeline nor makes the other webhooks hear the alert twice.
/// Drift alerts of a pipeline are sent at most once per its drift cooldown. Calls go only where <see cref="WebhookPolicy"/>
/// allows, signed with the service's secret (<c>X-MlOps-Signature</c>).
/// </summary>
public sealed class AlertConsumer(IArtifactStore store, IHttpClientFactory http, WebhookPolicy policy, TimeProvider clock, AlertThrottle throttle, ILogger<AlertConsumer> logger) :
    IConsumer<DriftDetected>, IConsumer<RunFailed>, IConsumer<DeploymentRequested>, IConsumer<PerformanceDropped>, IConsumer<DeploymentRolledBack>
{
    /// <summary>The named HTTP client webhook calls go through (<see cref="WebhookPolicy.Handler"/>).</summary>
    public const string Client = "alerts";

    public Task Consume(ConsumeContext<DeploymentRolledBack> c) => SendAsync("rollback", c.Message.RunId, c.Message.Pipeline,
        $"Canary {c.Message.Pipeline} v{c.Message.Version} rolled back; v{c.Message.ServingVersion} answers every request. {c.Message.Reason}", c.Message, c.CancellationToken);

    public Task Consume(ConsumeContext<PerformanceDropped> c) => SendAsync("performance", c.Message.RunId, c.Message.Pipeline,
        $"{c.Message.Pipeline} v{c.Message.Version}: live {c.Message.Metric} {c.Message.Live:0.####} over {c.Message.Rows} labelled predictions, against {c.Message.Holdout:0.####} on its hold-out rows.",
        c.Message, c.CancellationToken);

    public Task Consume(ConsumeContext<DriftDetected> c) => SendAsync("drift", c.Message.RunId, c.Message.Pipeline,
        $"{c.Message.Pipeline} v{c.Message.Version}: {c.Message.DriftedShare:P0} of features drifted over {c.Message.CurrentRows} live rows.", c.Message, c.CancellationToken);

    public Task Consume(ConsumeContext<RunFailed> c) => SendAsync("failed", c.Message.RunId, c.Message.Pipeline,
        $"Run {c.Message.RunId:N} of {c.Message.Pipeline} failed in {c.Message.Stage}: {c.Message.Error}", c.Message, c.CancellationToken);

    public Task Consume(ConsumeContext<DeploymentRequested> c) => c.Message.Kind != "rollback" ? Task.CompletedTask
        : SendAsync("rollback", c.Message.RunId, c.Message.Pipeline,
            $"{c.Message.Pipeline} rolled back to v{c.Message.Version} by {c.Message.By}: {c.Message.Reason}", c.Message, c.CancellationToken);

    async Task SendAsync(string kind, Guid runId, string pipeline, string summary, object message, CancellationToken ct)
    {
        var spec = await store.TryGetJsonAsync<PipelineSpec>(ArtifactKeys.Spec(runId), ct);
        if (spec is null || spec.Alerts.Webhooks.Count == 0 || !spec.Alerts.On.Contains(kind)) return;
        // A drifting stream raises DriftDetected for every window; people hear of it once per drift.cooldown.
        if (kind == "drift" && !throttle.Allow(pipeline, clock.GetUtcNow(), spec.Drift.Cooldown)) return;
        var now = clock.GetUtcNow();
        var body = JsonSerializer.SerializeToUtf8Bytes(new Alert(kind, pipeline, runId, now, summary, message), ArtifactStoreJson.Options);
        var client = http.CreateClient(Client);
        foreach (var url in spec.Alerts.Webhooks)
        {
            try
            {
                // Checked again here, as the spec was stored before this service's allow-list may have changed.
                if (policy.Refusal(url) is { } refused)
                {
                    logger.LogWarning("Webhook of {Pipeline} not called for the {Kind} alert: {Reason}", pipeline, kind, refused);
                    continue;
                }
                using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
                foreach (var (name, value) in policy.Sign(body, now)) request.Headers.Add(name, value);
                using var response = await client.SendAsync(request, ct);
                if (!response.IsSuccessStatusCode) logger.LogWarning("Webhook {Url} answered {Status} to the {Kind} alert of {Pipeline}", url, (int)response.StatusCode, kind, pipeline);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or Polly.Timeout.TimeoutRejectedException)
            {
                logger.LogWarning("Webhook {Url} could not be told about the {Kind} alert of {Pipeline}: {Error}", url, kind, pipeline, e.Message);
            }
        }
    }
}

/// <summary>When each pipeline's last drift alert went out.</summary>
public sealed class AlertThrottle
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> _last = new(StringComparer.Ordinal);

    public bool Allow(string pipeline, DateTimeOffset now, TimeSpan cooldown)
    {
        while (true)
        {
            if (_last.TryGetValue(pipeline, out var last))
            {
                if (now - last < cooldown) return false;
                if (_last.TryUpdate(pipeline, now, last)) return true;
            }
            else if (_last.TryAdd(pipeline, now)) return true;
        }
    }
}

/// <summary>Queue <c>monitor-alert</c>: fixed here, not derived from where the class lives.</summary>
public sealed class AlertConsumerDefinition() : StageConsumerDefinition<AlertConsumer>("monitor", "alert");
