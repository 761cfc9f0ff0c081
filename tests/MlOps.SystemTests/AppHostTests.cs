using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MlOps.ServiceDefaults.Artifacts;
using MlOps.ServiceDefaults.Messaging;
using MlOps.ServiceDefaults.Security;
using MlOps.Tests;
using Xunit;

namespace MlOps.SystemTests;

/// <summary>
/// The real AppHost, started with Aspire.Hosting.Testing: six service processes over a real RabbitMQ and a real S3 endpoint,
/// and the embedded single process, each put through the same end-to-end flow.
/// </summary>
public class AppHostTests
{
    static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task DistributedModeRunsTheLoopAcrossSixServicesOverRabbitMqAndS3()
    {
        var data = TestInfra.TempDirectory();
        await using var app = await StartAsync(data, "distributed",
            $"--ConnectionStrings:messaging={TestInfra.Messaging}", $"--ConnectionStrings:artifacts={TestInfra.Artifacts}");
        // Everything through the one front door, as in embedded mode (issue 16 item 4): the gateway routes each path to its service.
        var door = app.CreateHttpClient("gateway");
        Authorize(door, data);
        await SystemFlow.RunAsync(door, door, door, new S3ArtifactStore(TestInfra.Artifacts), $"dist-{Guid.NewGuid():N}"[..20]);
        await SystemFlow.ValidationAsync(door, door, door, $"suite-{Guid.NewGuid():N}"[..20], data);
        await SystemFlow.TrainingAndGateAsync(door, door, door, new S3ArtifactStore(TestInfra.Artifacts), $"feat-{Guid.NewGuid():N}"[..20], data);
        Assert.Contains("MlOps", await door.GetStringAsync("/console")); // the console, as a person opens it
        Assert.Equal(System.Net.HttpStatusCode.OK, (await door.GetAsync("/health")).StatusCode);

        // A bus of the test's own on the same RabbitMQ, to redeliver events as the broker would.
        var busHost = Host.CreateApplicationBuilder();
        busHost.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:messaging"] = TestInfra.Messaging });
        busHost.AddMlOpsMessaging();
        using var bus = busHost.Build();
        await bus.StartAsync();
        await SystemFlow.RegistryAsync(door, door, door, m => bus.Services.GetRequiredService<MassTransit.IBus>().Publish(m), $"reg-{Guid.NewGuid():N}"[..20]);
        await bus.StopAsync();
    }

    [Fact]
    public async Task EmbeddedModeRunsTheLoopInOneProcess()
    {
        var data = TestInfra.TempDirectory();
        await using var app = await StartAsync(data, "embedded");
        var client = app.CreateHttpClient("mlops");
        Authorize(client, data);
        await SystemFlow.RunAsync(client, client, client, new FileSystemArtifactStore(Path.Combine(data, "artifacts")), "embedded-walkthrough");
    }

    [Fact]
    public async Task DistributedModeWithoutABrokerFailsAtOnceSayingWhatToSet()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(TestInfra.TempDirectory(), "distributed"));
        Assert.Contains("ConnectionStrings:messaging", error.ToString());
    }

    [Fact]
    public async Task SettingsGivenToTheAppHostReachEveryServiceThatReadsThem()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--MlOps:Mode=distributed", $"--MlOps:DataPath={TestInfra.TempDirectory()}", "--ConnectionStrings:messaging=amqp://guest:guest@127.0.0.1:1",
             "--Monitor:ServedRowsKept=42", "--Ingest:MaxUploadBytes=7", "--Deploy:ScoringThreadsPerRequest=2"]);
        foreach (var name in new[] { "ingest", "validate", "train", "registry", "deploy", "monitor" })
        {
            var environment = (await EnvironmentOf(builder, name)).ToDictionary(e => e.Key, e => e.Value as string);
            Assert.Equal("42", environment["Monitor__ServedRowsKept"]);
            Assert.Equal("7", environment["Ingest__MaxUploadBytes"]);
            Assert.Equal("2", environment["Deploy__ScoringThreadsPerRequest"]);
        }
    }

    /// <summary>MlOps:Replicas reaches every service; the gateway reaches all six.</summary>
    [Fact]
    public async Task ReplicasReachEveryServiceAndTheGatewayReachesThemAll()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--MlOps:Mode=distributed", $"--MlOps:DataPath={TestInfra.TempDirectory()}", "--ConnectionStrings:messaging=amqp://guest:guest@127.0.0.1:1",
             "--ConnectionStrings:registry=Host=127.0.0.1;Port=1;Username=mlops;Database=postgres", "--MlOps:Replicas=2", "--Stages:train:Concurrency=3"]);
        foreach (var name in new[] { "ingest", "validate", "train", "registry", "deploy", "monitor" })
        {
            var resource = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == name);
            Assert.Equal(2, resource.Annotations.OfType<ReplicaAnnotation>().LastOrDefault()?.Replicas ?? 1);
            Assert.Equal("3", (await EnvironmentOf(builder, name))["Stages__train__Concurrency"]);
        }
        var gateway = await EnvironmentOf(builder, "gateway");
        foreach (var name in new[] { "ingest", "validate", "train", "registry", "deploy", "monitor" })
            Assert.Contains(gateway.Keys, k => k.StartsWith($"services__{name}__", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("0", false, "MlOps:Replicas is '0'")]
    [InlineData("two", false, "MlOps:Replicas is 'two'")]
    [InlineData("2", false, "MlOps:Replicas is 2, but the registry keeps its records in SQLite")]
    public async Task AReplicaCountThatCannotWorkStopsTheAppHostNamingTheSetting(string replicas, bool postgres, string message)
    {
        string[] args = ["--MlOps:Mode=distributed", $"--MlOps:DataPath={TestInfra.TempDirectory()}", "--ConnectionStrings:messaging=amqp://guest:guest@127.0.0.1:1",
            $"--MlOps:Replicas={replicas}"];
        if (postgres) args = [.. args, "--ConnectionStrings:registry=Host=127.0.0.1;Port=1;Username=mlops;Database=postgres"];
        var error = await Assert.ThrowsAnyAsync<Exception>(() => DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(args));
        Assert.Contains(message, error.ToString());
    }

    /// <summary>
    /// The containers topology, read from the app model (no container engine here to run it): RabbitMQ, MinIO and PostgreSQL,
    /// every service on the broker and the store, and the registry on its PostgreSQL database, started after it.
    /// </summary>
    [Fact]
    public async Task TheContainersTopologyGivesTheRegistryAPostgreSqlDatabase()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--MlOps:Mode=distributed", "--MlOps:Containers=true", $"--MlOps:DataPath={TestInfra.TempDirectory()}", "--Parameters:minio-password=test-only"]);
        Assert.Contains(builder.Resources, r => r is ContainerResource { Name: "minio" });
        Assert.Contains(builder.Resources, r => r is RabbitMQServerResource);
        var database = Assert.Single(builder.Resources.OfType<PostgresDatabaseResource>());
        Assert.Equal("mlops", database.DatabaseName);
        foreach (var name in new[] { "ingest", "validate", "train", "registry", "deploy", "monitor" })
        {
            var environment = await EnvironmentOf(builder, name);
            Assert.Contains("ConnectionStrings__messaging", environment.Keys);
            Assert.Contains("ConnectionStrings__artifacts", environment.Keys);
            Assert.Equal(name == "registry", environment.ContainsKey("ConnectionStrings__registry"));
        }
        var registry = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == "registry");
        Assert.Contains(registry.Annotations.OfType<WaitAnnotation>(), w => w.Resource == database);
    }

    /// <summary>A PostgreSQL given by connection string reaches the registry alone (the resource once took the registry project's name and the AppHost did not start).</summary>
    [Fact]
    public async Task AConnectionStringForTheRegistryReachesTheRegistryAlone()
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            ["--MlOps:Mode=distributed", $"--MlOps:DataPath={TestInfra.TempDirectory()}", "--ConnectionStrings:messaging=amqp://guest:guest@127.0.0.1:1",
             "--ConnectionStrings:registry=Host=127.0.0.1;Port=1;Username=mlops;Database=postgres"]);
        using var app = builder.Build(); // the model builds: no two resources named "registry"
        foreach (var name in new[] { "ingest", "validate", "train", "registry", "deploy", "monitor" })
            Assert.Equal(name == "registry", (await EnvironmentOf(builder, name)).ContainsKey("ConnectionStrings__registry"));
    }

    /// <summary>A project's environment as the app model's callbacks set it, without starting anything (values that need a running app stay unresolved).</summary>
    static async Task<Dictionary<string, object>> EnvironmentOf(IDistributedApplicationTestingBuilder builder, string name)
    {
        var resource = builder.Resources.OfType<ProjectResource>().Single(r => r.Name == name);
        var context = new EnvironmentCallbackContext(new DistributedApplicationExecutionContext(DistributedApplicationOperation.Run), resource);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>()) await callback.Callback(context);
        return context.EnvironmentVariables;
    }

    /// <summary>The local admin key the services made in the data folder at their first start, as a user finds it.</summary>
    static void Authorize(HttpClient client, string data) =>
        client.DefaultRequestHeaders.Add(ApiKeys.Header, File.ReadAllText(Path.Combine(data, "admin.key")).Trim());

    static async Task<DistributedApplication> StartAsync(string data, string mode, params string[] extra)
    {
        using var cts = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.AppHost>(
            [$"--MlOps:Mode={mode}", $"--MlOps:DataPath={data}", "--Messaging:Retry:FirstDelay=00:00:00.100", .. extra],
            (options, _) => options.DisableDashboard = true, cts.Token);
        var app = await builder.BuildAsync(cts.Token);
        await app.StartAsync(cts.Token);
        var names = builder.Resources.OfType<ProjectResource>().Select(r => r.Name).ToList();
        foreach (var name in names)
            await app.ResourceNotifications.WaitForResourceHealthyAsync(name, cts.Token);
        return app;
    }
}
