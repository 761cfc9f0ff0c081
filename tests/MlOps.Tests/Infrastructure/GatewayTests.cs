using MlOps.ServiceDefaults.Security;

namespace MlOps.Tests;

/// <summary>
/// The distributed mode's front door (issue 16 item 4), as its own binary: every path the embedded app answers reaches the
/// service that owns it (here every service's address is one embedded app, which answers them all), and a gateway with no
/// address for a service refuses to start, naming the setting. The AppHost's distributed system test runs the whole loop
/// through it.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class GatewayTests
{
    static readonly string[] Services = ["ingest", "validate", "train", "registry", "deploy", "monitor"];

    [Fact]
    public async Task AGatewayWithoutAServicesAddressRefusesToStartNamingTheSetting()
    {
        using var gateway = ServiceProcess.Start("gateway", Services.Where(s => s != "monitor").ToDictionary(s => $"services__{s}__http__0", _ => "http://127.0.0.1:1"));
        await Eventually(() => Task.FromResult(gateway.HasExited));
        Assert.Contains("The gateway has no address for monitor: set services:monitor:http:0", gateway.Output);
    }

    /// <summary>The README's first steps through the gateway: upload, the run, its validation page, the spec, infer, the console.</summary>
    [Fact]
    public async Task EveryPathOfTheWalkThroughReachesItsServiceThroughTheGateway()
    {
        await using var mlops = await EmbeddedApp.StartAsync();
        var address = mlops.Client.BaseAddress!.ToString().TrimEnd('/');
        using var gateway = ServiceProcess.Start("gateway", Services.ToDictionary(s => $"services__{s}__http__0", _ => address));
        // The caller's key passes through the gateway to the service that checks it.
        using var door = TestInfra.Client(await gateway.AddressAsync(TimeSpan.FromSeconds(60)), mlops.AdminKey);
        Assert.NotEqual(mlops.Client.BaseAddress, door.BaseAddress);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TestInfra.Client(door.BaseAddress!, "not-a-key-of-this-app").GetAsync("/runs")).StatusCode);

        var run = await PipelineCalls.WaitForRunAsync(door, await PipelineCalls.UploadAsync(door, "churn", TestInfra.Sample("customers.csv")), RunTimeout);
        Assert.Equal("deployed", run.GetProperty("run").GetProperty("status").GetString());
        var runId = run.GetProperty("run").GetProperty("runId").GetGuid();
        Assert.Contains("What MlOps worked out", await door.GetStringAsync($"/validation/{runId:N}/html"));
        Assert.Equal("churn", (await door.GetFromJsonAsync<JsonElement>("/pipelines/churn")).GetProperty("name").GetString());
        Assert.Equal("churn", (await door.GetFromJsonAsync<JsonElement>("/v2/models/churn")).GetProperty("name").GetString());
        Assert.True((await door.GetAsync("/monitor/churn")).IsSuccessStatusCode);
        Assert.True((await door.GetAsync("/models/churn/versions")).IsSuccessStatusCode);
        Assert.Contains("churn", await door.GetStringAsync("/console"));
        var landing = await door.GetAsync("/");
        Assert.True(landing.IsSuccessStatusCode, landing.ToString()); // redirected to the console, through the door
        Assert.Equal(HttpStatusCode.NotFound, (await door.GetAsync("/v2/models/no-such-model")).StatusCode); // the service's own answer, passed on
    }

    /// <summary>Tokens from an OpenID Connect issuer pass through the door to the service, which checks them and names their subject.</summary>
    [Fact]
    public async Task BearerTokensPassThroughTheGatewayToTheServiceThatChecksThem()
    {
        await using var issuer = await TokenIssuer.StartAsync();
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?>
        {
            ["Auth:Jwt:Authority"] = issuer.Authority, ["Auth:Jwt:Audience"] = "mlops", ["Auth:Jwt:RequireHttpsMetadata"] = "false",
        });
        var address = mlops.Client.BaseAddress!.ToString().TrimEnd('/');
        using var gateway = ServiceProcess.Start("gateway", Services.ToDictionary(s => $"services__{s}__http__0", _ => address));
        using var door = new HttpClient { BaseAddress = await gateway.AddressAsync(TimeSpan.FromSeconds(60)) };
        HttpRequestMessage As(string? token, HttpMethod method, string path, HttpContent? content = null) =>
            TestInfra.Request(method, path, bearer: token, content: content);
        var author = issuer.Token("carol@example.com", [Roles.Author]);
        var viewer = issuer.Token("dave@example.com", [Roles.Viewer]);
        var spec = () => new StringContent("""{"target":"target"}""", Encoding.UTF8, "application/json");

        Assert.Equal(HttpStatusCode.Unauthorized, (await door.SendAsync(As(null, HttpMethod.Get, "/runs"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await door.SendAsync(As(viewer, HttpMethod.Get, "/runs"))).StatusCode);
        var refused = await door.SendAsync(As(viewer, HttpMethod.Put, "/pipelines/through-door", spec()));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("dave@example.com", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await door.SendAsync(As(author, HttpMethod.Put, "/pipelines/through-door", spec()))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await door.SendAsync(As(issuer.Token("carol@example.com", [Roles.Author], audience: "another-api"), HttpMethod.Get, "/runs"))).StatusCode);
    }
}
