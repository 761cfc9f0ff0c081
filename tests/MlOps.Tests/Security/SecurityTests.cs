using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.IdentityModel.Tokens;
using MlOps.ServiceDefaults.Security;

namespace MlOps.Tests;

/// <summary>
/// Who may do what (issue 17 item 1), against the running embedded app: every endpoint the app maps needs a role unless it
/// is a probe or the login page, each mutating one refuses the anonymous (401) and a role that may not (403), tokens from
/// an OpenID Connect issuer over real HTTP are checked and their subject is what the run events and the model log record,
/// anonymous access is refused beyond loopback, and rate limits answer 429 with Retry-After.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class SecurityTests
{
    static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    /// <summary>One key per role, given to the app as operators would (Auth:ApiKeys).</summary>
    static readonly Dictionary<string, string> Keys = Roles.All.ToDictionary(r => r, r => $"{r}-key-{Guid.NewGuid():N}");

    static Dictionary<string, string?> KeySettings() => Keys.SelectMany(k => new[]
    {
        new KeyValuePair<string, string?>($"Auth:ApiKeys:{k.Key}:Key", k.Value), new KeyValuePair<string, string?>($"Auth:ApiKeys:{k.Key}:Roles", k.Key),
    }).ToDictionary();

    static HttpRequestMessage Request(HttpMethod method, string path, string? key = null, string? bearer = null, HttpContent? content = null) =>
        TestInfra.Request(method, path, key, bearer, content);

    /// <summary>A path that matches the route, with a plausible value for each parameter (and <paramref name="pipeline"/> for {pipeline}).</summary>
    static string PathOf(RoutePattern pattern, string pipeline = "secured") => "/" + string.Join("/", pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
    {
        RoutePatternLiteralPart literal => literal.Content,
        RoutePatternParameterPart { Name: "pipeline" } => pipeline,
        RoutePatternParameterPart { Name: "version" } => "1",
        RoutePatternParameterPart { Name: "alias" } => "champion",
        RoutePatternParameterPart { Name: "runId" or "predictionId" } => Guid.NewGuid().ToString("N"),
        RoutePatternParameterPart => "secured",
        RoutePatternSeparatorPart separator => separator.Content,
        _ => "",
    }))));

    /// <summary>Every route with a {pipeline} segment, whichever service maps it, refuses a name that cannot be a pipeline's with one 400 ProblemDetails (PipelineRoutes).</summary>
    [Fact]
    public async Task EveryRouteWithAPipelineRefusesAnInvalidNameTheSameWay()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var routes = ((IEndpointRouteBuilder)mlops.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.Parameters.Any(p => p.Name == "pipeline")).ToList();
        Assert.True(routes.Count >= 15, $"only {routes.Count} routes with a pipeline");
        foreach (var route in routes)
        {
            foreach (var method in (route.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => new HttpMethod(m)))
            {
                var path = PathOf(route.RoutePattern, "Not_A_Pipeline");
                using var answer = await mlops.Client.SendAsync(Request(method, path, key: mlops.AdminKey,
                    content: method == HttpMethod.Get ? null : new StringContent("{}", System.Text.Encoding.UTF8, "application/json")));
                Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{method} {path} answered {(int)answer.StatusCode}");
                var problem = await answer.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Equal("Invalid pipeline name", problem.GetProperty("title").GetString());
                Assert.Contains("'Not_A_Pipeline' is not a pipeline name", problem.GetProperty("detail").GetString());
            }
        }
    }

    [Fact]
    public async Task EveryEndpointNeedsARoleAndEveryMutatingOneRefusesTheAnonymousAndTheWrongRole()
    {
        await using var mlops = await EmbeddedApp.StartAsync(KeySettings());
        using var anonymous = new HttpClient { BaseAddress = mlops.Client.BaseAddress };
        var endpoints = ((IEndpointRouteBuilder)mlops.App).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Select(e => (Endpoint: e, Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"], Path: PathOf(e.RoutePattern)))
            .ToList();
        Assert.True(endpoints.Count > 40, $"only {endpoints.Count} endpoints found");

        // Open: the probes (Kubernetes sends no credentials) and the page that takes a key. Nothing else.
        var open = endpoints.Where(e => e.Endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is not null)
            .Select(e => e.Endpoint.RoutePattern.RawText!.TrimStart('/')).Order().ToList();
        Assert.Equal(["alive", "health", "login", "login", "v2/health/live", "v2/health/ready"], open);

        var mutating = 0;
        foreach (var (endpoint, methods, path) in endpoints.Where(e => e.Endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Authorization.IAllowAnonymous>() is null))
        {
            foreach (var method in methods.Select(m => new HttpMethod(m)))
            {
                var body = () => method == HttpMethod.Get ? null : new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                var what = $"{method} {path} ({endpoint.RoutePattern.RawText})";
                using var none = await anonymous.SendAsync(Request(method, path, content: body()));
                Assert.True(none.StatusCode == HttpStatusCode.Unauthorized, $"{what} without credentials answered {(int)none.StatusCode}");
                Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
                using var wrongKey = await anonymous.SendAsync(Request(method, path, key: "not-a-key-anyone-was-given", content: body()));
                Assert.True(wrongKey.StatusCode == HttpStatusCode.Unauthorized, $"{what} with an unknown key answered {(int)wrongKey.StatusCode}");
                using var viewer = await anonymous.SendAsync(Request(method, path, key: Keys[Roles.Viewer], content: body()));
                if (method == HttpMethod.Get)
                {
                    Assert.True(viewer.StatusCode is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{what} refused a viewer: {(int)viewer.StatusCode}");
                    continue;
                }
                // A viewer only reads: every endpoint that changes something needs a role of its own, so one mapped without a
                // policy (which would fall back to "any role may") fails here.
                mutating++;
                Assert.True(viewer.StatusCode == HttpStatusCode.Forbidden, $"{what} with the viewer role answered {(int)viewer.StatusCode}");
                var problem = await viewer.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Contains("key:viewer", problem.GetProperty("detail").GetString());
                Assert.Contains("admin", problem.GetProperty("detail").GetString());
            }
        }
        Assert.True(mutating >= 11, $"only {mutating} mutating endpoints were tried");
    }

    [Fact]
    public async Task EachRoleMayDoItsOwnWorkAndNoMore()
    {
        await using var mlops = await EmbeddedApp.StartAsync(KeySettings());
        using var http = new HttpClient { BaseAddress = mlops.Client.BaseAddress };
        var spec = () => new StringContent("""{"target": "target"}""", System.Text.Encoding.UTF8, "application/json");
        var csv = () => new ByteArrayContent(File.ReadAllBytes(TestInfra.Sample("classification.csv")));
        var command = () => new StringContent("""{"reason": "test"}""", System.Text.Encoding.UTF8, "application/json");
        async Task<HttpStatusCode> As(string role, HttpMethod method, string path, HttpContent? content) =>
            (await http.SendAsync(Request(method, path, key: Keys[role], content: content))).StatusCode;

        Assert.Equal(HttpStatusCode.OK, await As(Roles.Author, HttpMethod.Put, "/pipelines/roles", spec()));
        Assert.Equal(HttpStatusCode.Forbidden, await As(Roles.Approver, HttpMethod.Put, "/pipelines/roles", spec()));
        Assert.Equal(HttpStatusCode.Forbidden, await As(Roles.Predictor, HttpMethod.Post, "/pipelines/roles/datasets", csv()));
        Assert.Equal(HttpStatusCode.Forbidden, await As(Roles.Labeler, HttpMethod.Post, "/pipelines/roles/retrain", command()));
        var upload = await http.SendAsync(Request(HttpMethod.Post, "/pipelines/roles/datasets", key: Keys[Roles.Author], content: csv()));
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var run = await PipelineCalls.WaitForRunAsync(mlops.Client, (await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid(), RunTimeout);
        Assert.Equal("deployed", run.GetProperty("run").GetProperty("status").GetString());

        var infer = () => new StringContent("""{"inputs":[{"name":"Features","shape":[1,10],"datatype":"FP32","data":[1,1,1,1,1,1,1,1,1,1]}]}""", System.Text.Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, await As(Roles.Predictor, HttpMethod.Post, "/v2/models/roles/infer", infer()));
        Assert.Equal(HttpStatusCode.Forbidden, await As(Roles.Author, HttpMethod.Post, "/v2/models/roles/infer", infer()));
        Assert.Equal(HttpStatusCode.OK, await As(Roles.Admin, HttpMethod.Post, "/v2/models/roles/infer", infer()));
        Assert.Equal(HttpStatusCode.Forbidden, await As(Roles.Author, HttpMethod.Put, "/models/roles/versions/1/tags", new StringContent("""{"team": "a"}""", System.Text.Encoding.UTF8, "application/json")));
        Assert.Equal(HttpStatusCode.OK, await As(Roles.Approver, HttpMethod.Put, "/models/roles/versions/1/tags", new StringContent("""{"team": "a"}""", System.Text.Encoding.UTF8, "application/json")));
        // Feedback is the labeler's (the answer here is about the body, not the role).
        Assert.Equal(HttpStatusCode.Forbidden, await As(Roles.Predictor, HttpMethod.Post, "/monitor/roles/feedback", new StringContent("[]", System.Text.Encoding.UTF8, "application/json")));
        Assert.NotEqual(HttpStatusCode.Forbidden, await As(Roles.Labeler, HttpMethod.Post, "/monitor/roles/feedback", new StringContent("[]", System.Text.Encoding.UTF8, "application/json")));
        // Everyone reads.
        foreach (var role in Roles.All)
            Assert.Equal(HttpStatusCode.OK, await As(role, HttpMethod.Get, "/models/roles/versions", null));
    }

    [Fact]
    public async Task TokensFromAnOpenIdConnectIssuerAreCheckedAndTheirSubjectIsWhatTheLogsRecord()
    {
        await using var issuer = await TokenIssuer.StartAsync();
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:Jwt:Authority"] = issuer.Authority, ["Auth:Jwt:Audience"] = "mlops", ["Auth:Jwt:RequireHttpsMetadata"] = "false",
        });
        using var http = new HttpClient { BaseAddress = mlops.Client.BaseAddress };
        var alice = issuer.Token("alice@example.com", [Roles.Author, Roles.Approver]);
        async Task<HttpStatusCode> Runs(string token) => (await http.SendAsync(Request(HttpMethod.Get, "/runs", bearer: token))).StatusCode;

        Assert.Equal(HttpStatusCode.OK, await Runs(alice));
        Assert.Equal(HttpStatusCode.Unauthorized, await Runs(issuer.Token("alice@example.com", [Roles.Author], audience: "another-api")));
        Assert.Equal(HttpStatusCode.Unauthorized, await Runs(issuer.Token("alice@example.com", [Roles.Author], lifetime: TimeSpan.FromMinutes(-30))));
        Assert.Equal(HttpStatusCode.Unauthorized, await Runs(issuer.Token("mallory", [Roles.Admin], signedWith: new RsaSecurityKey(RSA.Create(2048)) { KeyId = "forged" })));
        Assert.Equal(HttpStatusCode.Unauthorized, await Runs(alice[..^4] + "AAAA"));
        var bob = issuer.Token("bob@example.com", [Roles.Viewer]);
        var refused = await http.SendAsync(Request(HttpMethod.Put, "/pipelines/tokens", bearer: bob, content: new StringContent("{}", System.Text.Encoding.UTF8, "application/json")));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("bob@example.com", await refused.Content.ReadAsStringAsync());

        // Alice uploads; the run's first event names her, not anything she typed.
        var put = await http.SendAsync(Request(HttpMethod.Put, "/pipelines/tokens", bearer: alice,
            content: new StringContent(await File.ReadAllTextAsync(TestInfra.Sample("classification.pipeline.json")), System.Text.Encoding.UTF8, "application/json")));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var upload = await http.SendAsync(Request(HttpMethod.Post, "/pipelines/tokens/datasets", bearer: alice,
            content: new ByteArrayContent(File.ReadAllBytes(TestInfra.Sample("classification.csv")))));
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var runId = (await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("runId").GetGuid();
        var run = await PipelineCalls.WaitForRunAsync(mlops.Client, runId, RunTimeout);
        Assert.Equal("deployed", run.GetProperty("run").GetProperty("status").GetString());
        var arrived = run.GetProperty("events").EnumerateArray().Single(e => e.GetProperty("kind").GetString() == "DataArrived");
        Assert.Equal("alice@example.com", arrived.GetProperty("detail").GetProperty("by").GetString());

        // She retires the model saying she acts for the on-call engineer: the log's actor is her token's subject, the rest a note.
        var retire = await http.SendAsync(Request(HttpMethod.Post, "/models/tokens/retire", bearer: alice,
            content: new StringContent("""{"reason": "superseded", "by": "on-call"}""", System.Text.Encoding.UTF8, "application/json")));
        Assert.True(retire.IsSuccessStatusCode, await retire.Content.ReadAsStringAsync());
        JsonElement retired = default;
        await Waits.Eventually(async () =>
        {
            var log = await mlops.Client.GetFromJsonAsync<JsonElement>("/models/tokens/log");
            retired = log.EnumerateArray().FirstOrDefault(e => e.GetProperty("kind").GetString() == "retired");
            return retired.ValueKind == JsonValueKind.Object;
        });
        Assert.Equal("alice@example.com (for on-call)", retired.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task AnonymousAccessIsASettingRefusedBeyondLoopback()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Auth:Anonymous"] = "admin", ["urls"] = "http://0.0.0.0:0" }));
        Assert.Contains("Auth:Anonymous", error.Message);
        Assert.Contains("0.0.0.0", error.Message);
        var unknownRole = await Assert.ThrowsAnyAsync<Exception>(() => EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Auth:Anonymous"] = "root" }));
        Assert.Contains("Auth:Anonymous", unknownRole.Message);
        var badKey = await Assert.ThrowsAnyAsync<Exception>(() => EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Auth:ApiKeys:ci:Key"] = "short", ["Auth:ApiKeys:ci:Roles"] = "author" }));
        Assert.Contains("Auth:ApiKeys:ci:Key", badKey.Message);

        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Auth:Anonymous"] = "viewer" });
        using var anonymous = new HttpClient { BaseAddress = mlops.Client.BaseAddress };
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/runs")).StatusCode);
        var upload = await anonymous.PostAsync("/pipelines/anon/datasets", new ByteArrayContent(File.ReadAllBytes(TestInfra.Sample("classification.csv"))));
        Assert.Equal(HttpStatusCode.Forbidden, upload.StatusCode);
        Assert.Contains("anonymous", await upload.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TheLocalAdminKeyIsMadeOnceKeptPrivateAndOpensTheConsoleThroughTheLoginPage()
    {
        await using var first = await EmbeddedApp.StartAsync();
        var file = Path.Combine(first.DataPath, "admin.key");
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.Equal(first.AdminKey, (await File.ReadAllTextAsync(file)).Trim());
        await using var again = await first.RestartAsync();
        Assert.Equal(first.AdminKey, again.AdminKey);

        // A person opening the console is sent to the login page; the key sets a cookie that opens it.
        var cookies = new CookieContainer();
        using var browser = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = again.Client.BaseAddress };
        browser.DefaultRequestHeaders.Accept.ParseAdd("text/html");
        var console = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, console.StatusCode);
        Assert.Equal("/login?returnUrl=%2Fconsole", console.Headers.Location!.OriginalString);
        Assert.Contains("<form", await browser.GetStringAsync("/login?returnUrl=%2Fconsole"));
        var wrong = await browser.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = "guess", ["returnUrl"] = "/console" }));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        var login = await browser.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = again.AdminKey, ["returnUrl"] = "https://evil.example/" }));
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/console", login.Headers.Location!.OriginalString); // never sent off the site
        var cookie = login.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        var opened = await browser.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, opened.StatusCode);
        Assert.Contains("MlOps", await opened.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RateLimitsArePerIdentityAndAnswer429WithRetryAfter()
    {
        var settings = KeySettings();
        settings["RateLimits:Specs:PermitsPerMinute"] = "3";
        await using var mlops = await EmbeddedApp.StartAsync(settings);
        using var http = new HttpClient { BaseAddress = mlops.Client.BaseAddress };
        HttpRequestMessage Put(string key) => Request(HttpMethod.Put, "/pipelines/limited", key: key,
            content: new StringContent("""{"target": "target"}""", System.Text.Encoding.UTF8, "application/json"));
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Put(Keys[Roles.Author]))).StatusCode);
        var limited = await http.SendAsync(Put(Keys[Roles.Author]));
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single()), 1, 60);
        var problem = await limited.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("key:author", problem.GetProperty("detail").GetString());
        // Another identity has its own allowance; reading is not limited.
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Put(Keys[Roles.Admin]))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(Request(HttpMethod.Get, "/pipelines/limited", key: Keys[Roles.Author]))).StatusCode);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["RateLimits:Uploads:PermitsPerMinute"] = "0" }));
        Assert.Contains("RateLimits:Uploads:PermitsPerMinute", refused.Message);
    }
}
