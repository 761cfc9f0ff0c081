namespace MlOps.Tests;

/// <summary>
/// The real RabbitMQ and S3 endpoint the tests use, started by <c>scripts/infra.sh start</c> (the README's test command does it).
/// Tests that need them fail, never skip, when they are missing: a skipped broker test proves nothing.
/// </summary>
public static class TestInfra
{
    public static string Messaging => Require("MLOPS_TEST_MESSAGING");
    public static string Artifacts => Require("MLOPS_TEST_ARTIFACTS");

    /// <summary>The same broker, another virtual host: for a test that runs its own service process beside the system tests'.</summary>
    public static string IsolatedMessaging => Require("MLOPS_TEST_MESSAGING_ISOLATED");

    /// <summary>Another virtual host, for the scale-out test's twelve service processes alone (every stage's queues, none shared).</summary>
    public static string ScaleMessaging => Require("MLOPS_TEST_MESSAGING_SCALE");

    /// <summary>A fresh, empty PostgreSQL database on the test server (the server from scripts/infra.sh), as a connection string.</summary>
    public static string NewPostgresDatabase()
    {
        var admin = Require("MLOPS_TEST_POSTGRES");
        var name = $"mlops_{Guid.NewGuid():N}";
        using (var connection = new Npgsql.NpgsqlConnection(admin))
        {
            connection.Open();
            using var create = connection.CreateCommand();
            create.CommandText = $"CREATE DATABASE {name}";
            create.ExecuteNonQuery();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    /// <summary>The repository's root (the folder with MlOps.sln), found from the test binaries.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "MlOps.sln"))) return dir.FullName;
            throw new InvalidOperationException("MlOps.sln not found above " + AppContext.BaseDirectory);
        }
    }

    static string Require(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
        ? value
        : throw new InvalidOperationException($"{name} is not set: run the tests with scripts/test.sh, which starts RabbitMQ and S3 (scripts/infra.sh) first.");

    /// <summary>The API key (role admin) every service process a test starts accepts (<see cref="ServiceProcess.Start"/>).</summary>
    public const string ApiKey = "mlops-tests-admin-key-5f0c1d2e";

    /// <summary>A client of a service process the tests started, carrying <see cref="ApiKey"/>.</summary>
    public static HttpClient Client(Uri address, string key = ApiKey)
    {
        var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Add(MlOps.ServiceDefaults.Security.ApiKeys.Header, key);
        return client;
    }

    /// <summary>A request carrying the given API key and/or bearer token, or neither.</summary>
    public static HttpRequestMessage Request(HttpMethod method, string path, string? key = null, string? bearer = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (key is not null) request.Headers.Add(MlOps.ServiceDefaults.Security.ApiKeys.Header, key);
        if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
        return request;
    }

    public static string Sample(string name) => Path.Combine(AppContext.BaseDirectory, "samples", name);

    public static string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "mlops-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }
}
