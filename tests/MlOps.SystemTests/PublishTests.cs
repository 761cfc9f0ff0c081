using Xunit;
using System.Text.Json;
using System.Text.RegularExpressions;
using MlOps.AppHost;

namespace MlOps.SystemTests;

/// <summary>
/// Issue 24 item 1: publishing the AppHost (what azd and <c>aspire publish</c> read) describes the distributed topology: the
/// six services and the gateway, every connection string and key a parameter (secret where it is one), and nothing of the
/// machine that published it.
/// </summary>
public class PublishTests
{
    static readonly string[] SecretParameters = ["messaging", "artifacts", "registry-db", "admin-key-sha256", "webhook-signing-secret"];

    [Fact]
    public async Task PublishingDescribesEveryServiceAndTheGatewayWithParametersAndNoPathOfThisMachine()
    {
        var (manifest, text) = await PublishedAppModel.ManifestAsync();
        var projects = PublishedAppModel.Projects(manifest);
        Assert.Equal(MlOpsTopology.Services.Append("gateway").Order(), projects.Keys.Order());
        Assert.DoesNotContain("mlops", projects.Keys); // not the embedded process

        // No absolute path anywhere (projects are named relative to the manifest), nor this machine's folders or settings.
        foreach (var path in Regex.Matches(text, "\"(/[^\"]*|[A-Za-z]:\\\\[^\"]*)\"").Select(m => m.Groups[1].Value))
            Assert.Fail($"the manifest names an absolute path: {path}");
        Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), text);
        Assert.DoesNotContain(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), text);
        foreach (var local in new[] { "Artifacts__Path", "Registry__Database", "Auth__AdminKeyFile", "Webhooks__SigningSecretFile", ".mlops" })
            Assert.DoesNotContain(local, text);

        var resources = manifest.GetProperty("resources");
        foreach (var name in SecretParameters)
        {
            var parameter = resources.GetProperty(name);
            Assert.Equal("parameter.v0", parameter.GetProperty("type").GetString());
            Assert.True(parameter.GetProperty("inputs").GetProperty("value").GetProperty("secret").GetBoolean(), $"{name} is not secret");
            Assert.False(parameter.GetProperty("inputs").GetProperty("value").TryGetProperty("default", out _), $"{name} has a default value");
        }

        // Every service: the broker and the store from parameters; every connection string, key and secret from one.
        foreach (var (name, project) in projects.Where(p => p.Key != "gateway"))
        {
            var env = Env(project);
            Assert.Equal("{messaging.connectionString}", env["ConnectionStrings__messaging"]);
            Assert.Equal("{artifacts.connectionString}", env["ConnectionStrings__artifacts"]);
            Assert.Equal("{admin-key-sha256.value}", env["Auth__ApiKeys__admin__Sha256"]);
            Assert.Equal("{webhook-signing-secret.value}", env["Webhooks__SigningSecret"]);
            Assert.Equal(name == "registry", env.ContainsKey("ConnectionStrings__registry"));
            foreach (var (key, value) in env.Where(e => e.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal) || e.Key.StartsWith("Auth__", StringComparison.Ordinal) && e.Key != "Auth__ApiKeys__admin__Roles" || e.Key.StartsWith("Webhooks__", StringComparison.Ordinal)))
                Assert.Matches(@"^\{[a-z0-9-]+\.(value|connectionString)\}$", value);
        }
        Assert.Equal("{registry-db.value}", Env(projects["registry"])["ConnectionStrings__registry"]);

        // The gateway is the one endpoint outside, and knows every service's address.
        var outside = projects.Where(p => p.Value.GetProperty("bindings").EnumerateObject().Any(b => b.Value.TryGetProperty("external", out var e) && e.GetBoolean())).Select(p => p.Key);
        Assert.Equal(["gateway"], outside);
        var gateway = Env(projects["gateway"]);
        Assert.All(MlOpsTopology.Services, s => Assert.Equal($"{{{s}.bindings.http.url}}", gateway[$"services__{s}__http__0"]));
    }

    static Dictionary<string, string> Env(JsonElement project) =>
        project.GetProperty("env").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString()!);
}
