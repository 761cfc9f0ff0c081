namespace MlOps.Tests;

/// <summary>
/// Issue 16 item 5, the broker: the app on a RabbitMQ node of the test's own, which is stopped and started again while six
/// runs are under way. MassTransit reconnects, the durable queues and persistent messages come back with the node, what was
/// being handled unacknowledged is delivered again, and the consumers' idempotence makes that harmless: every run deploys
/// with exactly one version.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class BrokerRestartTests
{
    [Fact]
    public async Task SixRunsUnderWayWhenTheBrokerRestartsAllDeployOnceEach()
    {
        using var broker = await Broker.StartAsync();
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["ConnectionStrings:messaging"] = broker.ConnectionString });
        var (pipelines, runs) = await RunsUnderWay.StartAsync(mlops, "restart", 60);
        await broker.DownAsync();
        await RunsUnderWay.AssertStillUnderWayAsync(mlops, pipelines);
        await Task.Delay(TimeSpan.FromSeconds(5));
        await broker.UpAsync();
        await RunsUnderWay.AssertAllDeployedOnceAsync(mlops, pipelines, runs);
    }
}
