using System.Text.Json;
using MassTransit;
using MlOps.AppHost;
using MlOps.ServiceDefaults.Messaging;
using MlOps.Tests;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace MlOps.SystemTests;

/// <summary>
/// Issue 24 item 2: the kustomize base and its overlays, rendered as <c>kubectl kustomize</c> renders them (offline; no
/// cluster runs here), checked against the Kubernetes and KEDA schemas (kubernetes/validate, npm packages with the
/// schemas inside) and against the app model, so the two cannot drift apart.
/// </summary>
public class KubernetesTests
{
    public static TheoryData<string> Overlays => new() { "dev", "prod", "gpu", "dapr" };

    static readonly string Kubernetes = Path.Combine(TestInfra.RepositoryRoot, "kubernetes");

    static async Task<string> RenderAsync(string overlay)
    {
        var (code, output) = await PublishedAppModel.RunAsync("kubectl", ["kustomize", Path.Combine(Kubernetes, "overlays", overlay)]);
        Assert.True(code == 0, $"kubectl kustomize {overlay} failed: {output}");
        return output;
    }

    static async Task<List<YamlMappingNode>> ObjectsAsync(string overlay)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(await RenderAsync(overlay)));
        return yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    static string Kind(YamlMappingNode o) => o["kind"].ToString();
    static string Name(YamlMappingNode o) => o["metadata"]["name"].ToString();
    static YamlMappingNode? Child(YamlMappingNode node, string key) => node.Children.TryGetValue(key, out var v) ? v as YamlMappingNode : null;
    static YamlMappingNode Pod(YamlMappingNode deployment) => (YamlMappingNode)deployment["spec"]["template"]["spec"];
    static YamlMappingNode Container(YamlMappingNode deployment) => (YamlMappingNode)((YamlSequenceNode)Pod(deployment)["containers"])[0];

    [Theory, MemberData(nameof(Overlays))]
    public async Task EveryOverlayRendersAndEveryObjectIsValidAgainstTheSchema(string overlay)
    {
        var rendered = await RenderAsync(overlay);
        var validator = Path.Combine(Kubernetes, "validate", "validate.mjs");
        Assert.True(Directory.Exists(Path.Combine(Kubernetes, "validate", "node_modules")),
            "kubernetes/validate has no node_modules: run `npm ci` there (scripts/test.sh does)");
        var (code, output) = await PublishedAppModel.RunAsync("node", [validator], stdin: rendered);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(code == 0, string.Join("\n", lines.Where(l => !l.GetProperty("valid").GetBoolean())));
        Assert.Equal(rendered.Split("\nkind: ").Length - 1 + (rendered.StartsWith("kind: ") ? 1 : 0), lines.Count);
    }

    [Theory, MemberData(nameof(Overlays))]
    public async Task EveryServiceOfTheAppModelHasADeploymentWithProbesLimitsASecureContainerAndItsImage(string overlay)
    {
        var (manifest, _) = await PublishedAppModel.ManifestAsync();
        var objects = await ObjectsAsync(overlay);
        foreach (var name in PublishedAppModel.Projects(manifest).Keys)
        {
            var deployment = objects.SingleOrDefault(o => Kind(o) == "Deployment" && Name(o) == $"mlops-{name}");
            Assert.True(deployment is not null, $"{overlay}: no Deployment mlops-{name} for the app model's '{name}'");
            var container = Container(deployment!);
            Assert.Equal("/health", container["readinessProbe"]["httpGet"]["path"].ToString());
            Assert.Equal("/alive", container["livenessProbe"]["httpGet"]["path"].ToString());
            var limits = (YamlMappingNode)container["resources"]["limits"];
            Assert.True(limits.Children.ContainsKey("cpu") && limits.Children.ContainsKey("memory"), $"{overlay}: mlops-{name} has no CPU or memory limit");
            Assert.Matches($"^([a-z0-9.-]+/)*mlops/{name}:[A-Za-z0-9._-]+$", container["image"].ToString());
            Assert.Equal("true", Pod(deployment!)["securityContext"]["runAsNonRoot"].ToString());
            Assert.Equal("false", container["securityContext"]["allowPrivilegeEscalation"].ToString());
            Assert.Equal("8080", ((YamlMappingNode)((YamlSequenceNode)container["ports"])[0])["containerPort"].ToString());
            Assert.Contains(objects, o => Kind(o) == "Service" && Name(o) == $"mlops-{name}");
        }
        // The gateway is the only way in from outside.
        var exposed = objects.Where(o => Kind(o) == "Service" && Child(o, "spec")?.Children.TryGetValue("type", out var t) == true && t.ToString() is "LoadBalancer" or "NodePort").Select(Name);
        Assert.Equal(overlay == "dev" ? [] : ["mlops-gateway"], exposed);
    }

    /// <summary>
    /// Every environment variable a manifest gives a service (its own, or a key of the Secret or ConfigMap it reads whole) is
    /// one that service reads: one the published app model gives it, or a setting of a section the services read; and every
    /// variable the app model fills from a parameter reaches the service in the dev overlay (where the Secret is generated).
    /// </summary>
    [Theory, MemberData(nameof(Overlays))]
    public async Task TheManifestsNameOnlyVariablesTheServicesReadAndGiveEveryOneTheAppModelNeeds(string overlay)
    {
        var (manifest, _) = await PublishedAppModel.ManifestAsync();
        var projects = PublishedAppModel.Projects(manifest);
        var objects = await ObjectsAsync(overlay);
        var sections = MlOpsTopology.PassedSections.Concat(["ConnectionStrings", "Logging", "Dapr"]).ToHashSet();
        Dictionary<string, string> DataOf(string kind, string name) =>
            objects.Where(o => Kind(o) == kind && (Name(o) == name || Name(o).StartsWith(name + "-", StringComparison.Ordinal) && kind == "Secret" || kind == "ConfigMap" && Name(o).StartsWith(name, StringComparison.Ordinal)))
                .SelectMany(o => Child(o, "data")?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>()).ToDictionary(kv => kv.Key.ToString(), kv => kv.Value.ToString());
        foreach (var (name, project) in projects)
        {
            var deployment = objects.Single(o => Kind(o) == "Deployment" && Name(o) == $"mlops-{name}");
            var container = Container(deployment);
            var given = new HashSet<string>();
            if (container.Children.TryGetValue("env", out var env))
                given.UnionWith(((YamlSequenceNode)env).Cast<YamlMappingNode>().Select(e => e["name"].ToString()));
            if (container.Children.TryGetValue("envFrom", out var from))
                foreach (YamlMappingNode source in (YamlSequenceNode)from)
                {
                    var secret = Child(source, "secretRef");
                    var config = Child(source, "configMapRef");
                    given.UnionWith((secret is not null ? DataOf("Secret", secret["name"].ToString()) : DataOf("ConfigMap", config!["name"].ToString())).Keys);
                }
            var published = project.GetProperty("env").EnumerateObject().ToDictionary(e => e.Name, e => e.Value.GetString()!);
            foreach (var variable in given)
                Assert.True(published.ContainsKey(variable) || sections.Contains(variable.Split("__")[0]),
                    $"{overlay}: mlops-{name} is given {variable}, which no MlOps service reads");
            if (overlay != "dev") continue;
            foreach (var (variable, value) in published.Where(p => p.Value.Contains(".value}") || p.Value.Contains(".connectionString}")))
                Assert.True(given.Contains(variable), $"dev: mlops-{name} lacks {variable} ({value} in the app model)");
        }
    }

    [Theory]
    [InlineData("prod")]
    [InlineData("gpu")]
    [InlineData("dapr")]
    public async Task ProductionKeepsNoSecretInTheManifests(string overlay)
    {
        var objects = await ObjectsAsync(overlay);
        Assert.DoesNotContain(objects, o => Kind(o) == "Secret");
        foreach (var deployment in objects.Where(o => Kind(o) == "Deployment"))
            if (Container(deployment).Children.TryGetValue("env", out var env))
                foreach (YamlMappingNode e in (YamlSequenceNode)env)
                    Assert.False(e["name"].ToString().StartsWith("ConnectionStrings__", StringComparison.Ordinal) && e.Children.ContainsKey("value"),
                        $"{Name(deployment)}: {e["name"]} is written inline");
    }

    /// <summary>Each KEDA ScaledObject scales a stage on a queue its consumers really read (their definitions pin the names).</summary>
    [Fact]
    public async Task EveryScaledObjectWatchesAQueueOfTheStageItScales()
    {
        var definitions = new[] { typeof(MlOps.Ingest.IngestService), typeof(MlOps.Validate.ValidateService), typeof(MlOps.Train.TrainService),
                typeof(MlOps.Registry.RegistryService), typeof(MlOps.Deploy.DeployService) }.SelectMany(t => t.Assembly.GetTypes())
            .Where(t => t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(StageConsumerDefinition<>));
        var queues = definitions.Select(d => ((IConsumerDefinition)Activator.CreateInstance(d)!).GetEndpointName(new StageEndpointNameFormatter())).ToHashSet();
        var scaled = (await ObjectsAsync("prod")).Where(o => Kind(o) == "ScaledObject").ToList();
        Assert.Equal(["mlops-ingest", "mlops-registry", "mlops-train", "mlops-validate"], scaled.Select(Name).Order());
        foreach (var o in scaled)
        {
            var queue = ((YamlMappingNode)((YamlSequenceNode)o["spec"]["triggers"])[0])["metadata"]["queueName"].ToString();
            Assert.Contains(queue, queues);
            Assert.StartsWith(Name(o)["mlops-".Length..] + "-", queue);
            Assert.Equal(Name(o), o["spec"]["scaleTargetRef"]["name"].ToString());
        }
        Assert.Contains(await ObjectsAsync("prod"), o => Kind(o) == "HorizontalPodAutoscaler" && o["spec"]["scaleTargetRef"]["name"].ToString() == "mlops-deploy");
    }

    /// <summary>Item 5: only serving goes to GPU nodes, and only in the gpu overlay; training stays on the CPU (no trainer uses a GPU).</summary>
    [Theory, MemberData(nameof(Overlays))]
    public async Task OnlyServingInTheGpuOverlayAsksForAGpu(string overlay)
    {
        foreach (var deployment in (await ObjectsAsync(overlay)).Where(o => Kind(o) == "Deployment"))
        {
            var gpu = Child(Child(Container(deployment), "resources")!, "limits")?.Children.ContainsKey("nvidia.com/gpu") == true;
            var pinned = Child(Pod(deployment), "nodeSelector")?.Children.ContainsKey("nvidia.com/gpu.present") == true;
            var expected = overlay == "gpu" && Name(deployment) == "mlops-deploy";
            Assert.Equal(expected, gpu);
            Assert.Equal(expected, pinned);
            if (expected) Assert.EndsWith("-gpu", Container(deployment)["image"].ToString());
        }
    }
}
