using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace MlOps.ServiceDefaults.Artifacts;

public static class ArtifactStoreRegistration
{
    /// <summary>
    /// S3 when <c>ConnectionStrings:artifacts</c> is set, otherwise the filesystem under <c>Artifacts:Path</c>
    /// (default <c>.mlops/artifacts</c> in the working folder), with the same key layout either way.
    /// </summary>
    public static IHostApplicationBuilder AddArtifactStore(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(IArtifactStore))) return builder; // embedded: one store for all stages
        var connectionString = builder.Configuration.GetConnectionString("artifacts");
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            var store = new S3ArtifactStore(connectionString); // a malformed string fails here, at start
            builder.Services.AddSingleton<IArtifactStore>(store);
        }
        else
        {
            var path = builder.Configuration["Artifacts:Path"] ?? Path.Combine(".mlops", "artifacts");
            builder.Services.AddSingleton<IArtifactStore>(new FileSystemArtifactStore(path));
        }
        return builder;
    }
}
