using System.Net;
using System.Text;
using MlOps.ServiceDefaults.Security;

namespace MlOps.Tests;

/// <summary>
/// Webhooks go only where allowed (issue 17 item 4): internal addresses refused at PUT, a name that resolves to one refused
/// when called (checked on the address connected to), an operator's allow-list in service configuration, and every call
/// signed over its exact bytes.
/// </summary>
[Collection(nameof(EmbeddedAppCollection))]
public class WebhookSecurityTests
{
    static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    [Theory]
    [InlineData("127.0.0.2", true)] [InlineData("10.20.30.40", true)] [InlineData("172.16.0.1", true)] [InlineData("172.31.255.255", true)]
    [InlineData("172.32.0.1", false)] [InlineData("192.168.1.1", true)] [InlineData("169.254.169.254", true)] [InlineData("100.64.0.1", true)]
    [InlineData("100.128.0.1", false)] [InlineData("0.0.0.0", true)] [InlineData("224.0.0.1", true)] [InlineData("8.8.8.8", false)]
    [InlineData("::1", true)] [InlineData("fe80::1", true)] [InlineData("fd00:ec2::254", true)] [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:8.8.8.8", false)] [InlineData("2001:4860:4860::8888", false)] [InlineData("::", true)]
    public void InternalAddressesAreKnownAsSuch(string address, bool @internal) => Assert.Equal(@internal, WebhookPolicy.IsInternal(IPAddress.Parse(address)));

    static StringContent Spec(params string[] webhooks) => new(
        """{"target":"target","validation":{"minRows":50},"trainer":{"testFraction":0.1},"alerts":{"webhooks":""" + JsonSerializer.Serialize(webhooks) + ""","on":["failed"]}}""",
        Encoding.UTF8, "application/json");

    [Fact]
    public async Task InternalAddressesAreRefusedAtPutUnlessAnOperatorAllowsTheHost()
    {
        await using (var mlops = await EmbeddedApp.StartAsync())
        {
            foreach (var url in new[] { "http://127.0.0.1:8080/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]/x", "http://localhost:5000/x",
                         "http://api.localhost/x", "http://10.1.2.3/x", "http://192.168.0.10/hook", "http://[fd00:ec2::254]/", "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/" })
            {
                var answer = await mlops.Client.PutAsync("/pipelines/hooks", Spec("https://hooks.example.com/ok", url));
                Assert.True(answer.StatusCode == HttpStatusCode.BadRequest, $"{url}: {(int)answer.StatusCode}");
                var problem = await answer.Content.ReadFromJsonAsync<JsonElement>();
                var error = Assert.Single(problem.GetProperty("errors").GetProperty("alerts.webhooks").EnumerateArray()).GetString()!;
                Assert.Contains(url, error);
                Assert.Contains("Webhooks:AllowedHosts", error);
            }
            var credentials = await mlops.Client.PutAsync("/pipelines/hooks", Spec("https://user:secret@hooks.example.com/x"));
            Assert.Equal(HttpStatusCode.BadRequest, credentials.StatusCode);
            Assert.Contains("credentials", await credentials.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.OK, (await mlops.Client.PutAsync("/pipelines/hooks", Spec("https://hooks.example.com/ok", "http://8.8.8.8/hook"))).StatusCode);
        }
        await using (var allowed = await EmbeddedApp.StartAsync(new Dictionary<string, string?> { ["Webhooks:AllowedHosts:0"] = "127.0.0.1", ["Webhooks:AllowedHosts:1"] = "alerts.internal" }))
        {
            Assert.Equal(HttpStatusCode.OK, (await allowed.Client.PutAsync("/pipelines/hooks", Spec("http://127.0.0.1:8080/x", "http://alerts.internal/x"))).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await allowed.Client.PutAsync("/pipelines/hooks", Spec("http://127.0.0.2:8080/x"))).StatusCode);
        }
    }

    /// <summary>
    /// A name of this machine that resolves to an internal address: the machine's own name where it does (as in /etc/hosts
    /// here), else an entry the test adds to /etc/hosts.
    /// </summary>
    static string LoopbackName()
    {
        try
        {
            if (Dns.GetHostAddresses(Environment.MachineName) is { Length: > 0 } addresses && addresses.All(WebhookPolicy.IsInternal)) return Environment.MachineName;
        }
        catch (System.Net.Sockets.SocketException) { }
        const string name = "mlops-webhook-rebind-test";
        if (!File.ReadAllText("/etc/hosts").Contains(name)) File.AppendAllText("/etc/hosts", $"\n127.0.0.1 {name}\n");
        return name;
    }

    [Fact]
    public async Task ANameResolvingToAnInternalAddressIsRefusedWhenCalledWhileAnAllowedHostIsCalledSigned()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var name = LoopbackName();
        await using var mlops = await EmbeddedApp.StartAsync(new Dictionary<string, string?>([WebhookReceiver.Allowed, new("Webhooks:SigningSecret", "a-signing-secret-for-the-test")]));
        // The name passes the PUT (a name, not an address), but it resolves to loopback, which only 127.0.0.1 written as such
        // is allowed to be. It comes first, so by the time the allowed one is called it has been tried.
        var byName = $"http://{name}:{receiver.Port}/by-name";
        Assert.Equal(HttpStatusCode.OK, (await mlops.Client.PutAsync("/pipelines/rebind", Spec(byName, receiver.Url))).StatusCode);
        var small = Path.Combine(mlops.DataPath, "small.csv");
        await File.WriteAllLinesAsync(small, File.ReadAllLines(TestInfra.Sample("classification.csv")).Take(61)); // passes validation, too few to hold out 10 %: the run fails in train
        var run = await PipelineCalls.UploadAsync(mlops.Client, "rebind", small);
        var failed = await PipelineCalls.WaitForRunAsync(mlops.Client, run, RunTimeout);
        Assert.Equal("failed", failed.GetProperty("run").GetProperty("status").GetString());
        await Waits.Eventually(() => Task.FromResult(!receiver.Calls.IsEmpty));
        var call = Assert.Single(receiver.Calls);
        Assert.Equal("/alerts", call.Path);
        Assert.Equal("sha256=" + WebhookPolicy.Signature(Encoding.UTF8.GetBytes("a-signing-secret-for-the-test"), call.Timestamp!, call.Body), call.Signature);
        Assert.Equal(run, JsonDocument.Parse(call.Body).RootElement.GetProperty("runId").GetGuid());
        // Tampered bytes no longer match the signature.
        var tampered = call.Body.ToArray();
        tampered[^2] ^= 1;
        Assert.NotEqual("sha256=" + WebhookPolicy.Signature(Encoding.UTF8.GetBytes("a-signing-secret-for-the-test"), call.Timestamp!, tampered), call.Signature);
    }
}
