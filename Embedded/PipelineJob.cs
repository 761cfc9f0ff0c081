namespace MlOps.Embedded;

public static class PipelineJob
{
    public static Task<int> RunAsync(string[] args) => Task.FromResult(0);
}
