using System.Security.Cryptography;

namespace MlOps.Tests;

/// <summary>
/// Issue 24 item 6: with Dapr:Enabled the app reads its connection strings and keys through Dapr.Client's secret store,
/// here from a stand-in for the sidecar (DaprSidecarStandIn: no daprd can run here); with Dapr off nothing asks it.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class DaprSecretsTests
{
    const string Store = "mlops-secrets";

    static Dictionary<string, string?> DaprOn(DaprSidecarStandIn sidecar, string secrets = "mlops") => new()
    {
        ["Dapr:Enabled"] = "true", ["Dapr:GrpcEndpoint"] = sidecar.Endpoint, ["Dapr:SecretStore"] = Store, ["Dapr:Secrets"] = secrets, ["Dapr:Timeout"] = "00:00:10",
    };

    [Fact]
    public async Task WithDaprTheStoreAndTheKeysComeFromItsSecretStore()
    {
        var key = "dapr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var bucket = "dapr-" + Guid.NewGuid().ToString("N")[..12];
        var artifacts = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = TestInfra.Artifacts, ["Bucket"] = bucket }.ConnectionString;
        await using var sidecar = await DaprSidecarStandIn.StartAsync(Store, new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["mlops"] = new Dictionary<string, string>
            {
                ["ConnectionStrings__artifacts"] = artifacts,
                ["Auth__ApiKeys__fromdapr__Sha256"] = Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key))),
                ["Auth__ApiKeys__fromdapr__Roles"] = "admin",
            },
        });
        await using var mlops = await EmbeddedApp.StartAsync(DaprOn(sidecar));

        Assert.Equal([(Store, "mlops")], sidecar.Asked);
        // The object store is the one the secret names: S3, in the secret's bucket (the filesystem otherwise).
        Assert.Equal($"s3:{new Uri(new System.Data.Common.DbConnectionStringBuilder { ConnectionString = artifacts }["Endpoint"]!.ToString()!).GetLeftPart(UriPartial.Authority)}/{bucket}",
            mlops.Service<IArtifactStore>().Describe());
        // The key the secret holds (as its SHA-256) opens the API; a key it does not hold does not.
        using var withKey = TestInfra.Client(mlops.Client.BaseAddress!, key);
        Assert.Equal(HttpStatusCode.OK, (await withKey.GetAsync("/runs")).StatusCode);
        using var otherKey = TestInfra.Client(mlops.Client.BaseAddress!, "dapr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await otherKey.GetAsync("/runs")).StatusCode);
        // And a run goes through on that store.
        var run = await PipelineCalls.UploadAsync(withKey, "dapr", TestInfra.Sample("classification.csv"));
        Assert.Equal("deployed", (await PipelineCalls.WaitForRunAsync(withKey, run, TimeSpan.FromMinutes(2))).GetProperty("run").GetProperty("status").GetString());
        Assert.True(await new S3ArtifactStore(artifacts).ExistsAsync(ArtifactKeys.ModelCard(run), default));
    }

    [Fact]
    public async Task ASecretTheStoreDoesNotHoldStopsTheStartNamingIt()
    {
        await using var sidecar = await DaprSidecarStandIn.StartAsync(Store, new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["mlops"] = new Dictionary<string, string> { ["Webhooks__SigningSecret"] = "s" },
        });
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => EmbeddedApp.StartAsync(DaprOn(sidecar, "mlops,mlops-registry")));
        Assert.Contains("'mlops-registry'", e.Message);
        Assert.Contains($"'{Store}'", e.Message);
        Assert.Equal([(Store, "mlops"), (Store, "mlops-registry")], sidecar.Asked);
    }

    [Fact]
    public async Task ASidecarThatDoesNotAnswerStopsTheStartSayingWhatToCheck()
    {
        var settings = new Dictionary<string, string?> { ["Dapr:Enabled"] = "true", ["Dapr:GrpcEndpoint"] = "http://127.0.0.1:9", ["Dapr:Timeout"] = "00:00:02" };
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => EmbeddedApp.StartAsync(settings));
        Assert.Contains("Dapr sidecar", e.Message);
        Assert.Contains("Dapr:Enabled=false", e.Message);
    }

    [Fact]
    public async Task WithDaprOffTheSidecarIsNeverAsked()
    {
        await using var sidecar = await DaprSidecarStandIn.StartAsync(Store, new Dictionary<string, IReadOnlyDictionary<string, string>>());
        var settings = DaprOn(sidecar);
        settings["Dapr:Enabled"] = "false";
        await using var mlops = await EmbeddedApp.StartAsync(settings);
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.GetAsync("/runs")).StatusCode);
        Assert.StartsWith("filesystem:", mlops.Service<IArtifactStore>().Describe());
        Assert.Empty(sidecar.Asked);
    }
}
