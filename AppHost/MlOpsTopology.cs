using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;

namespace MlOps.AppHost;

/// <summary>
/// Chooses the topology from configuration (command-line <c>--MlOps:Mode=distributed</c>, environment <c>MlOps__Mode</c>, …):
/// <list type="bullet">
/// <item><c>MlOps:Mode=embedded</c> (default): one process, in-memory bus, filesystem store under <c>MlOps:DataPath</c>.</item>
/// <item><c>MlOps:Mode=distributed</c>: six processes over RabbitMQ (<c>ConnectionStrings:messaging</c>, an amqp:// URI) and
/// S3 (<c>ConnectionStrings:artifacts</c>; without it the services share a folder, which only works on one machine), behind
/// one gateway (http://localhost:5100, as the embedded app), each service as <c>MlOps:Replicas</c> replicas.</item>
/// <item>adding <c>MlOps:Containers=true</c>: RabbitMQ, MinIO and PostgreSQL (the registry's database) as containers (needs a
/// container engine).</item>
/// </list>
/// Containers are never the default: without an engine they would keep every service waiting forever.
/// </summary>
public static class MlOpsTopology
{
    public static void Add(IDistributedApplicationBuilder builder)
    {
        var config = builder.Configuration;
        // Publishing (aspire publish, azd, the manifest) describes where MlOps runs in production: always the distributed
        // topology, with what differs per cluster as parameters and nothing of this machine (no path, no local key).
        if (builder.ExecutionContext.IsPublishMode)
        {
            AddPublished(builder, config);
            return;
        }
        var mode = config["MlOps:Mode"] ?? "embedded";
        var dataPath = Path.GetFullPath(config["MlOps:DataPath"] ?? Path.Combine(builder.AppHostDirectory, "..", ".mlops"));
        Directory.CreateDirectory(dataPath);

        switch (mode)
        {
            case "embedded":
                var embedded = builder.AddProject<Projects.Embedded>("mlops")
                    .WithHttpHealthCheck("/health");
                ShareData(embedded, dataPath, "mlops");
                PassThrough(embedded, config);
                break;
            case "distributed":
                AddDistributed(builder, config, dataPath);
                break;
            default:
                throw new InvalidOperationException($"MlOps:Mode is '{mode}'; use 'embedded' (one process) or 'distributed' (six services over RabbitMQ).");
        }
    }

    static void AddDistributed(IDistributedApplicationBuilder builder, IConfiguration config, string dataPath)
    {
        IResourceBuilder<IResourceWithConnectionString> messaging;
        Action<IResourceBuilder<ProjectResource>> useArtifacts;
        IResourceBuilder<IResourceWithConnectionString>? registryDatabase = null;
        var containers = config.GetValue<bool>("MlOps:Containers");
        if (containers)
        {
            messaging = builder.AddRabbitMQ("messaging");
            // The registry's records in PostgreSQL, as in production (several registry replicas may share it).
            if (string.IsNullOrWhiteSpace(config.GetConnectionString("registry")))
                registryDatabase = builder.AddPostgres("postgres").WithDataVolume("mlops-postgres").AddDatabase("registry-db", databaseName: "mlops");
            var user = builder.AddParameter("minio-user", "minioadmin");
            var password = builder.AddParameter("minio-password", secret: true);
            var minio = builder.AddContainer("minio", "minio/minio", "latest")
                .WithArgs("server", "/data")
                .WithEnvironment("MINIO_ROOT_USER", user)
                .WithEnvironment("MINIO_ROOT_PASSWORD", password)
                .WithHttpEndpoint(targetPort: 9000, name: "api")
                .WithVolume("mlops-minio", "/data");
            var endpoint = minio.GetEndpoint("api");
            useArtifacts = p => p.WaitFor(minio).WithEnvironment(ctx =>
                ctx.EnvironmentVariables["ConnectionStrings__artifacts"] =
                    ReferenceExpression.Create($"Endpoint={endpoint};AccessKey={user};SecretKey={password};Bucket=mlops"));
        }
        else
        {
            if (string.IsNullOrWhiteSpace(config.GetConnectionString("messaging")))
                throw new InvalidOperationException(
                    "MlOps:Mode=distributed needs a RabbitMQ: set ConnectionStrings:messaging (e.g. amqp://guest:guest@localhost:5672) " +
                    "or MlOps:Containers=true to start one in a container. On a machine without containers, `bash scripts/infra.sh start` " +
                    "starts RabbitMQ, S3 and PostgreSQL on loopback and `eval \"$(bash scripts/infra.sh env)\"` sets their connection strings. " +
                    "Without a broker, use the embedded mode.");
            messaging = builder.AddConnectionString("messaging");
            if (!string.IsNullOrWhiteSpace(config.GetConnectionString("artifacts")))
            {
                var artifacts = builder.AddConnectionString("artifacts");
                useArtifacts = p => p.WithReference(artifacts);
            }
            else
            {
                useArtifacts = _ => { };
            }
        }

        var replicas = Replicas(config, registryShared: containers || !string.IsNullOrWhiteSpace(config.GetConnectionString("registry")));
        var gateway = builder.AddProject<Projects.Gateway>("gateway").WithHttpHealthCheck("/health");

        void Service(IResourceBuilder<ProjectResource> project, string name)
        {
            project.WithReference(messaging).WithHttpHealthCheck("/health");
            if (messaging.Resource is ContainerResource) project.WaitFor(messaging);
            useArtifacts(project);
            ShareData(project, dataPath, name);
            PassThrough(project, config);
            if (replicas[name] > 1) project.WithReplicas(replicas[name]);
            gateway.WithReference(project);
        }

        foreach (var name in Services.Where(s => s != "registry")) Service(AddService(builder, name), name);
        var registry = AddService(builder, "registry");
        // With ConnectionStrings:registry (or a PostgreSQL container) the registry keeps its records in PostgreSQL and may run
        // as several replicas; otherwise in SQLite beside the shared folder.
        // (A parameter, not AddConnectionString("registry"): that resource would take the registry project's name.)
        if (config.GetConnectionString("registry") is { Length: > 0 } postgres)
            registry.WithEnvironment("ConnectionStrings__registry", builder.AddParameter("registry-connection", postgres, secret: true));
        else if (registryDatabase is not null) registry.WithReference(registryDatabase, connectionName: "registry").WaitFor(registryDatabase);
        Service(registry, "registry");
    }

    /// <summary>The services of the distributed topology, in the order a run passes them (the gateway fronts them all).</summary>
    public static readonly IReadOnlyList<string> Services = ["ingest", "validate", "train", "registry", "deploy", "monitor"];

    /// <summary>A service of <see cref="Services"/> as its project, under its own name (what service discovery and the gateway use).</summary>
    static IResourceBuilder<ProjectResource> AddService(IDistributedApplicationBuilder builder, string name) => name switch
    {
        "ingest" => builder.AddProject<Projects.Ingest>(name),
        "validate" => builder.AddProject<Projects.Validate>(name),
        "train" => builder.AddProject<Projects.Train>(name),
        "registry" => builder.AddProject<Projects.Registry>(name),
        "deploy" => builder.AddProject<Projects.Deploy>(name),
        "monitor" => builder.AddProject<Projects.Monitor>(name),
        _ => throw new InvalidOperationException($"No project for service '{name}'."),
    };

    /// <summary>
    /// The published app: the six services and the gateway (the only endpoint outside the cluster), each with its health
    /// probe and <c>MlOps:Replicas</c> replicas (default 2: production runs several of every service), and everything that
    /// differs per installation a parameter, secret where it is one: the broker (<c>messaging</c>), the object store
    /// (<c>artifacts</c>), the registry's PostgreSQL (<c>registry-db</c>), the admin API key's SHA-256, the webhook signing
    /// secret, and an optional OpenID Connect issuer. azd and <c>aspire publish</c> ask for each; the Kubernetes overlays
    /// read them from the Secret <c>mlops</c> (kubernetes/, the same names).
    /// </summary>
    static void AddPublished(IDistributedApplicationBuilder builder, IConfiguration config)
    {
        var messaging = builder.AddConnectionString("messaging");
        var artifacts = builder.AddConnectionString("artifacts");
        var registryDb = builder.AddParameter("registry-db", secret: true);
        var adminKey = builder.AddParameter("admin-key-sha256", secret: true);
        var webhookSecret = builder.AddParameter("webhook-signing-secret", secret: true);
        var oidcAuthority = builder.AddParameter("oidc-authority", "", publishValueAsDefault: true);
        var oidcAudience = builder.AddParameter("oidc-audience", "", publishValueAsDefault: true);
        var replicas = config["MlOps:Replicas"] is null ? 2 : Replicas(config, registryShared: true)["ingest"];

        var gateway = builder.AddProject<Projects.Gateway>("gateway")
            .WithHttpHealthCheck("/health")
            .WithExternalHttpEndpoints()
            .WithReplicas(replicas);
        foreach (var name in Services)
        {
            var project = AddService(builder, name);
            project.WithReference(messaging).WithReference(artifacts)
                .WithHttpHealthCheck("/health")
                .WithReplicas(replicas)
                .WithEnvironment("Auth__ApiKeys__admin__Sha256", adminKey)
                .WithEnvironment("Auth__ApiKeys__admin__Roles", "admin")
                .WithEnvironment("Auth__Jwt__Authority", oidcAuthority)
                .WithEnvironment("Auth__Jwt__Audience", oidcAudience)
                .WithEnvironment("Webhooks__SigningSecret", webhookSecret);
            if (name == "registry") project.WithEnvironment("ConnectionStrings__registry", registryDb);
            PassThrough(project, config);
            gateway.WithReference(project);
        }
    }

    /// <summary>
    /// How many replicas of each service <c>MlOps:Replicas</c> asks for (default 1; a whole number from 1 to 32). The registry
    /// runs several only on a shared PostgreSQL (SQLite is one file on one machine). A count that cannot work stops the AppHost,
    /// naming the setting.
    /// </summary>
    public static IReadOnlyDictionary<string, int> Replicas(IConfiguration config, bool registryShared)
    {
        var text = config["MlOps:Replicas"];
        var count = 1;
        if (text is not null && (!int.TryParse(text, out count) || count is < 1 or > 32))
            throw new InvalidOperationException($"MlOps:Replicas is '{text}'; give how many replicas of each service to run, a whole number from 1 to 32.");
        if (count > 1 && !registryShared)
            throw new InvalidOperationException(
                $"MlOps:Replicas is {count}, but the registry keeps its records in SQLite, one file that several replicas cannot share: set " +
                "ConnectionStrings:registry to a PostgreSQL database (or MlOps:Containers=true), or run one replica of each service.");
        return new Dictionary<string, int>
        {
            ["ingest"] = count, ["validate"] = count, ["train"] = count, ["registry"] = count, ["deploy"] = count, ["monitor"] = count,
        };
    }

    /// <summary>
    /// Without S3 the filesystem store is one shared folder; the registry keeps its database beside it; and every service
    /// accepts the local admin key kept there (<c>admin.key</c>, made by whichever starts first, printed once), and monitor
    /// signs webhook calls with the secret kept there (<c>webhook.secret</c>).
    /// </summary>
    static void ShareData(IResourceBuilder<ProjectResource> project, string dataPath, string name) => project
        .WithEnvironment("Artifacts__Path", Path.Combine(dataPath, "artifacts"))
        .WithEnvironment("Registry__Database", Path.Combine(dataPath, "registry.db"))
        .WithEnvironment("Auth__AdminKeyFile", Path.Combine(dataPath, "admin.key"))
        .WithEnvironment("Webhooks__SigningSecretFile", Path.Combine(dataPath, "webhook.secret"));

    /// <summary>The configuration sections the services read, which the AppHost hands on.</summary>
    public static readonly IReadOnlyList<string> PassedSections = ["Messaging", "Stages", "Ingest", "Validate", "Deploy", "Registry", "Monitor", "Auth", "RateLimits", "Webhooks"];

    /// <summary>Service settings given to the AppHost (e.g. <c>Messaging:Retry:Attempts</c>, <c>Monitor:ScheduleTick</c>) reach every service.</summary>
    static void PassThrough(IResourceBuilder<ProjectResource> project, IConfiguration config)
    {
        foreach (var section in PassedSections)
        {
            foreach (var (key, value) in config.GetSection(section).AsEnumerable())
            {
                if (value is not null) project.WithEnvironment(key.Replace(":", "__"), value);
            }
        }
    }
}
