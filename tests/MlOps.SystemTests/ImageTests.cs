using System.Text.Json;
using MlOps.AppHost;
using MlOps.Tests;
using Xunit;

namespace MlOps.SystemTests;

/// <summary>
/// Issue 24 items 3 and 4: every service of the app model and the gateway publishes as a container image
/// (<c>dotnet publish -t:PublishContainer</c>) with the name the Kubernetes manifests use, tagged with the version, as the
/// non-root user, on port 8080; the GPU build is tagged apart. The base images cannot be pulled here, so what is checked is
/// what the publish reads (MSBuild's evaluation of each project); azure.yaml points azd at the AppHost.
/// </summary>
public class ImageTests
{
    static readonly Dictionary<string, string> Projects = new()
    {
        ["ingest"] = "services/ingest/Ingest.csproj", ["validate"] = "services/validate/Validate.csproj", ["train"] = "services/train/Train.csproj",
        ["registry"] = "services/registry/Registry.csproj", ["deploy"] = "services/deploy/Deploy.csproj", ["monitor"] = "services/monitor/Monitor.csproj",
        ["gateway"] = "Gateway/Gateway.csproj",
    };

    static async Task<JsonElement> EvaluateAsync(string project, params string[] properties)
    {
        var (code, output) = await PublishedAppModel.RunAsync("dotnet", ["msbuild", Path.Combine(TestInfra.RepositoryRoot, project), "-nologo",
            "-getProperty:ContainerRepository", "-getProperty:ContainerImageTags", "-getProperty:ContainerUser", "-getProperty:Version",
            "-getProperty:EnableSdkContainerSupport", "-getProperty:ContainerBaseImage", "-getItem:ContainerPort", .. properties]);
        Assert.True(code == 0, output);
        return JsonDocument.Parse(output).RootElement.Clone();
    }

    [Fact]
    public async Task EveryServiceAndTheGatewayPublishesAnImageNamedAsTheManifestsNameIt()
    {
        Assert.Equal(MlOpsTopology.Services.Append("gateway").Order(), Projects.Keys.Order());
        foreach (var (name, project) in Projects)
        {
            var evaluated = await EvaluateAsync(project);
            var p = evaluated.GetProperty("Properties");
            Assert.Equal("true", p.GetProperty("EnableSdkContainerSupport").GetString());
            Assert.Equal($"mlops/{name}", p.GetProperty("ContainerRepository").GetString());
            var version = p.GetProperty("Version").GetString()!;
            Assert.Equal($"{version};latest", p.GetProperty("ContainerImageTags").GetString());
            Assert.Equal("app", p.GetProperty("ContainerUser").GetString());
            Assert.Equal("", p.GetProperty("ContainerBaseImage").GetString()); // the SDK's choice: the ASP.NET runtime image of the target framework
            Assert.Equal("8080", evaluated.GetProperty("Items").GetProperty("ContainerPort")[0].GetProperty("Identity").GetString());
            // The prod overlay pins the same version.
            Assert.Contains($"{{ name: mlops/{name}, newName: registry.example.com/mlops/{name}, newTag: \"{version}\" }}",
                await File.ReadAllTextAsync(Path.Combine(TestInfra.RepositoryRoot, "kubernetes", "overlays", "prod", "kustomization.yaml")));
        }
    }

    [Fact]
    public async Task TheGpuBuildOfServingIsTaggedApartOnACudaBaseRunningAsNonRoot()
    {
        var p = (await EvaluateAsync(Projects["deploy"], "-p:UseGpu=true", "-getProperty:SelfContained")).GetProperty("Properties");
        var version = p.GetProperty("Version").GetString();
        Assert.Equal($"{version}-gpu;latest-gpu", p.GetProperty("ContainerImageTags").GetString());
        Assert.StartsWith("nvcr.io/nvidia/cuda:13", p.GetProperty("ContainerBaseImage").GetString());
        Assert.Equal("true", p.GetProperty("SelfContained").GetString());
        Assert.Equal("1654", p.GetProperty("ContainerUser").GetString());
    }

    [Fact]
    public void AzdIsPointedAtTheAppHost()
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(TestInfra.RepositoryRoot, "azure.yaml"))));
        var app = (YamlDotNet.RepresentationModel.YamlMappingNode)yaml.Documents[0].RootNode["services"]["app"];
        Assert.Equal("./AppHost/AppHost.csproj", app["project"].ToString());
        Assert.Equal("dotnet", app["language"].ToString());
        Assert.Equal("containerapp", app["host"].ToString());
        Assert.True(File.Exists(Path.Combine(TestInfra.RepositoryRoot, "AppHost", "AppHost.csproj")));
    }
}
