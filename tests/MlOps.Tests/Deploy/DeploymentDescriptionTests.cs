using YamlDotNet.RepresentationModel;

namespace MlOps.Tests;

/// <summary>The Kubernetes descriptions pin the GPU services to GPU nodes: a node selector and an nvidia.com/gpu limit.</summary>
public class DeploymentDescriptionTests
{
    [Theory]
    [InlineData("train.yaml", "train")]
    [InlineData("deploy.yaml", "deploy")]
    public void TheServiceIsPinnedToGpuNodes(string file, string container)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(TestInfra.RepositoryRoot, "kubernetes", file))));
        var deployment = yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).Single(d => d["kind"].ToString() == "Deployment");
        var pod = (YamlMappingNode)deployment["spec"]["template"]["spec"];
        Assert.Equal("true", pod["nodeSelector"]["nvidia.com/gpu.present"].ToString());
        var spec = ((YamlSequenceNode)pod["containers"]).Cast<YamlMappingNode>().Single(c => c["name"].ToString() == container);
        Assert.Equal("1", spec["resources"]["limits"]["nvidia.com/gpu"].ToString());
        Assert.Contains(((YamlSequenceNode)pod["tolerations"]).Cast<YamlMappingNode>(), t => t["key"].ToString() == "nvidia.com/gpu");
    }
}
