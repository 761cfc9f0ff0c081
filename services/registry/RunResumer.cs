using System.Text.Json;
using MassTransit;
using MlOps.Contracts;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;

namespace MlOps.Registry;

/// <summary>
/// Runs a crash left half-way resume at start, on the in-memory bus (the embedded app), which loses the messages it held.
/// For each run still moving (requested, validating, training, gating, deploying), the event that moved it to where it is
/// is published again from its timeline: the stage after it finds what is already done (every consumer is idempotent on
/// the run ID: docs/faults.md) and goes on. A run whose event cannot be read back ends failed, "interrupted", and is
/// retried with one call (POST /pipelines/{p}/retrain). On RabbitMQ nothing is lost (durable queues, acknowledgement after
/// the work), so this does nothing there: the broker redelivers.
/// </summary>
public sealed class RunResumer(RegistryStore registry, IBus bus, IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<RunResumer> logger) : BackgroundService
{
    /// <summary>The status a run is in → the event that put it there, which is published again (<see cref="RunStatusFacts.ResumedBy"/>).</summary>
    static readonly IReadOnlyList<(string Status, string Kind, Type Message)> Resumes = RunLifecycle.All.Select(RunLifecycle.Of)
        .Where(f => f.ResumedBy is not null).Select(f => (f.Name, f.ResumedBy!.Name, f.ResumedBy)).ToList();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (MessagingExtensions.TransportName(configuration) != "in-memory") return;
        // Once everything has started: the bus, and deploy's restore of what served (so a canary resumes its count).
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(started.SetResult)) await started.Task.WaitAsync(stoppingToken);
        foreach (var (status, kind, type) in Resumes)
        {
            foreach (var run in registry.Runs(null, status, 1000))
            {
                var recorded = registry.Events(run.RunId).LastOrDefault(e => e.Kind == kind);
                object? message = null;
                try
                {
                    message = recorded?.Detail.Deserialize(type, ArtifactStoreJson.Options);
                }
                catch (JsonException e)
                {
                    logger.LogWarning(e, "Run {RunId}: its {Kind} event cannot be read back", run.RunId, kind);
                }
                if (message is null)
                {
                    await bus.Publish(new RunFailed(run.RunId, run.Pipeline, "registry",
                        $"interrupted: MlOps stopped while the run was {status}, and its last step cannot be read back to resume it. " +
                        $"Retry it with POST /pipelines/{run.Pipeline}/retrain."), stoppingToken);
                    continue;
                }
                logger.LogWarning("Run {RunId} of {Pipeline} was {Status} when MlOps stopped: resuming it from its {Kind} event", run.RunId, run.Pipeline, status, kind);
                await bus.Publish(message, type, stoppingToken);
            }
        }
    }
}
